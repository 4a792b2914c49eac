// Runs the registered benchmarks and prints, after Google Benchmark's own table, each
// benchmark's time as a ratio of its baseline measured in the same process.
#ifndef TVMFFI_RPC_BENCH_RATIO_REPORTER_H_
#define TVMFFI_RPC_BENCH_RATIO_REPORTER_H_

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tvmffi::rpc::bench {

// (benchmark, baseline) pairs; names are the registered benchmark names.
using RatioPairs = std::vector<std::pair<std::string, std::string>>;

// Keeps every repetition's time per iteration; a ratio uses the medians, so a run with
// --benchmark_repetitions=N (and --benchmark_enable_random_interleaving=true, which spreads a
// benchmark's repetitions among the others') is robust to a noisy machine.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        ns_per_iter_[run.benchmark_name()].push_back(run.GetAdjustedRealTime());
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // The median time of `name`'s repetitions, or a negative number when it did not run.
  double Median(const std::string& name) const {
    auto it = ns_per_iter_.find(name);
    if (it == ns_per_iter_.end()) return -1;
    std::vector<double> times = it->second;
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    return n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  }
  size_t Repetitions(const std::string& name) const {
    auto it = ns_per_iter_.find(name);
    return it == ns_per_iter_.end() ? 0 : it->second.size();
  }

 private:
  std::map<std::string, std::vector<double>> ns_per_iter_;
};

inline int RunWithRatios(int argc, char** argv, const RatioPairs& pairs) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-44s %-36s %12s %12s %8s %5s\n", "benchmark", "baseline", "time", "baseline",
              "ratio", "runs");
  for (const auto& [name, base] : pairs) {
    double time = reporter.Median(name), base_time = reporter.Median(base);
    if (time < 0 || base_time < 0) continue;
    std::printf("%-44s %-36s %12.1f %12.1f %8.2f %5zu\n", name.c_str(), base.c_str(), time,
                base_time, time / base_time, reporter.Repetitions(name));
  }
  benchmark::Shutdown();
  return 0;
}

}  // namespace tvmffi::rpc::bench

#endif  // TVMFFI_RPC_BENCH_RATIO_REPORTER_H_
