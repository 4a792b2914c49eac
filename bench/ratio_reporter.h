// Runs the registered benchmarks and prints, after Google Benchmark's own table, each
// benchmark's time as a ratio of its baseline measured in the same process.
#ifndef TVMFFI_RPC_BENCH_RATIO_REPORTER_H_
#define TVMFFI_RPC_BENCH_RATIO_REPORTER_H_

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tvmffi::rpc::bench {

// (benchmark, baseline) pairs; names are the registered benchmark names.
using RatioPairs = std::vector<std::pair<std::string, std::string>>;

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        ns_per_iter_[run.benchmark_name()] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::map<std::string, double>& times() const { return ns_per_iter_; }

 private:
  std::map<std::string, double> ns_per_iter_;
};

inline int RunWithRatios(int argc, char** argv, const RatioPairs& pairs) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-44s %-36s %12s %12s %8s\n", "benchmark", "baseline", "time", "baseline",
              "ratio");
  for (const auto& [name, base] : pairs) {
    auto it = reporter.times().find(name);
    auto bt = reporter.times().find(base);
    if (it == reporter.times().end() || bt == reporter.times().end()) continue;
    std::printf("%-44s %-36s %12.1f %12.1f %8.2f\n", name.c_str(), base.c_str(), it->second,
                bt->second, it->second / bt->second);
  }
  benchmark::Shutdown();
  return 0;
}

}  // namespace tvmffi::rpc::bench

#endif  // TVMFFI_RPC_BENCH_RATIO_REPORTER_H_
