// Baselines shared by the benchmark programs: a real (never inlined) C++ call.
#ifndef TVMFFI_RPC_BENCH_BASELINES_H_
#define TVMFFI_RPC_BENCH_BASELINES_H_

#include <benchmark/benchmark.h>
#include <tvm/ffi/c_api.h>

#include <cstdint>

namespace tvmffi::rpc::bench {

// noipa: the compiler may neither inline nor specialise it, so every caller pays a real call.
__attribute__((noipa)) inline int64_t Add(int64_t a, int64_t b) { return a + b; }

// C-ABI arguments (1, 2) and an empty result cell for calling Add through a safe_call.
struct RawAddArgs {
  TVMFFIAny args[2];
  RawAddArgs() {
    for (int i = 0; i < 2; ++i) {
      args[i].type_index = kTVMFFIInt;
      args[i].zero_padding = 0;
      args[i].v_int64 = i + 1;
    }
  }
  static TVMFFIAny EmptyResult() {
    TVMFFIAny result;
    result.type_index = kTVMFFINone;
    result.zero_padding = 0;
    result.v_int64 = 0;
    return result;
  }
};

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
