// Runs the registered benchmarks and prints, after Google Benchmark's own table, each
// benchmark's time (and latency percentiles, where it reports them) as a ratio of its
// baseline's, both measured in this process.
#ifndef TVMFFI_RPC_BENCH_RATIO_REPORTER_H_
#define TVMFFI_RPC_BENCH_RATIO_REPORTER_H_

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tvmffi::rpc::bench {

// (benchmark, baseline) pairs; names are the registered benchmark names without their
// "/min_time:..." part (which a smoke run changes).
using RatioPairs = std::vector<std::pair<std::string, std::string>>;

// A run's name without "/min_time:...".
inline std::string PairName(std::string name) {
  size_t at = name.find("/min_time:");
  if (at != std::string::npos) {
    size_t end = name.find('/', at + 1);
    name.erase(at, end == std::string::npos ? std::string::npos : end - at);
  }
  return name;
}

// TVMFFI_BENCH_SMOKE=1: every benchmark runs briefly, to show that it starts, finishes and
// reports its ratios (CI), never to measure. The figures of such a run mean nothing.
inline bool SmokeRun() {
  const char* smoke = std::getenv("TVMFFI_BENCH_SMOKE");
  return smoke != nullptr && *smoke != '\0' && *smoke != '0';
}
// The minimum time per benchmark: `seconds`, or a token amount in a smoke run.
inline double MinTime(double seconds) { return SmokeRun() ? 0.01 : seconds; }

// Keeps every repetition's time per iteration and latency counters; ratios use the medians,
// so a run with --benchmark_repetitions=N (and --benchmark_enable_random_interleaving=true,
// which spreads a benchmark's repetitions among the others') is robust to a noisy machine.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      std::string name = PairName(run.benchmark_name());
      if (run.error_occurred) {
        errors_[name] = run.error_message;
        continue;
      }
      samples_[name]["time"].push_back(run.GetAdjustedRealTime());
      for (const char* counter : {"p50_us", "p99_us"}) {
        auto it = run.counters.find(counter);
        if (it != run.counters.end()) samples_[name][counter].push_back(it->second.value);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // The median of `what` ("time", "p50_us", "p99_us") over name's repetitions; negative when
  // there is none.
  double Median(const std::string& name, const std::string& what = "time") const {
    auto it = samples_.find(name);
    if (it == samples_.end()) return -1;
    auto values = it->second.find(what);
    if (values == it->second.end() || values->second.empty()) return -1;
    std::vector<double> v = values->second;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  size_t Repetitions(const std::string& name) const {
    auto it = samples_.find(name);
    if (it == samples_.end()) return 0;
    auto times = it->second.find("time");
    return times == it->second.end() ? 0 : times->second.size();
  }
  // Why name did not run ("" when it ran or was never seen).
  std::string Error(const std::string& name) const {
    auto it = errors_.find(name);
    return it == errors_.end() ? "" : it->second;
  }

 private:
  std::map<std::string, std::map<std::string, std::vector<double>>> samples_;
  std::map<std::string, std::string> errors_;
};

// Runs the benchmarks and prints the ratio table. A pair whose benchmark or baseline did not
// run (an error, a typo, a rename, a --benchmark_filter) is printed as MISSING with the
// reason; in a smoke run that makes the exit status 1. Time: mean real time per iteration; with N
// threads that is 1/throughput (about latency/N), so multi-caller rows also compare latency p50 and
// p99.
inline int RunWithRatios(int argc, char** argv, const RatioPairs& pairs) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (SmokeRun()) std::printf("\n(TVMFFI_BENCH_SMOKE: a smoke run, the figures mean nothing)\n");
  std::printf("\n%-58s %-50s %10s %10s %7s %7s %7s %4s\n", "benchmark", "baseline", "ns/iter",
              "baseline", "ratio", "p50 x", "p99 x", "runs");
  int missing = 0;
  for (const auto& [name, base] : pairs) {
    double time = reporter.Median(name), base_time = reporter.Median(base);
    if (time < 0 || base_time < 0) {
      const std::string& absent = time < 0 ? name : base;
      std::string why = reporter.Error(absent);
      std::printf("%-58s %-50s MISSING: %s %s\n", name.c_str(), base.c_str(), absent.c_str(),
                  why.empty() ? "did not run (not registered, or filtered out)" : why.c_str());
      ++missing;
      continue;
    }
    auto percentile_ratio = [&](const char* what) {
      double a = reporter.Median(name, what), b = reporter.Median(base, what);
      char out[16] = "-";
      if (a >= 0 && b > 0) std::snprintf(out, sizeof(out), "%.2f", a / b);
      return std::string(out);
    };
    std::printf("%-58s %-50s %10.1f %10.1f %7.2f %7s %7s %4zu\n", name.c_str(), base.c_str(), time,
                base_time, time / base_time, percentile_ratio("p50_us").c_str(),
                percentile_ratio("p99_us").c_str(), reporter.Repetitions(name));
  }
  benchmark::Shutdown();
  return missing != 0 && SmokeRun() ? 1 : 0;
}

}  // namespace tvmffi::rpc::bench

#endif  // TVMFFI_RPC_BENCH_RATIO_REPORTER_H_
