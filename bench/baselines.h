// Baselines shared by the benchmark programs: a real (never inlined) C++ call.
#ifndef TVMFFI_RPC_BENCH_BASELINES_H_
#define TVMFFI_RPC_BENCH_BASELINES_H_

#include <benchmark/benchmark.h>

#include <cstdint>

namespace tvmffi::rpc::bench {

// noipa: the compiler may neither inline nor specialise it, so every caller pays a real call.
__attribute__((noipa)) inline int64_t Add(int64_t a, int64_t b) { return a + b; }

// Calls Add directly: the floor every FFI path is compared with.
inline void BM_DirectCall(benchmark::State& state) {
  int64_t a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(Add(a, b));
  }
}

}  // namespace tvmffi::rpc::bench

#endif  // TVMFFI_RPC_BENCH_BASELINES_H_
