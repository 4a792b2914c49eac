// In-process call costs of libtvm_ffi.so, each against a direct C++ baseline in this process:
// typed call through ffi::Function, a call through TVMFFIFunctionCall, GetGlobal by name, and an
// error carried across the C ABI and caught.
#include <benchmark/benchmark.h>
#include <tvm/ffi/tvm_ffi.h>

#include <stdexcept>
#include <string>
#include <unordered_map>

#include "baselines.h"
#include "ratio_reporter.h"

namespace ffi = tvm::ffi;

namespace {
using tvmffi::rpc::bench::Add;

// The floor of any call through the C ABI: a C-ABI-shaped function behind a pointer that checks
// and unpacks its TVMFFIAny arguments and writes the result cell. The FFI adds what is its own:
// finding the function's safe_call in its object, and the typed unpacking and error handling.
__attribute__((noipa)) int CAbiAdd(void*, const TVMFFIAny* args, int32_t num_args,
                                   TVMFFIAny* result) {
  if (num_args != 2 || args[0].type_index != kTVMFFIInt || args[1].type_index != kTVMFFIInt) {
    return -1;
  }
  result->type_index = kTVMFFIInt;
  result->zero_padding = 0;
  result->v_int64 = Add(args[0].v_int64, args[1].v_int64);
  return 0;
}
using CAbiFn = int (*)(void*, const TVMFFIAny*, int32_t, TVMFFIAny*);

__attribute__((noipa)) void ThrowPlain(int64_t x) {
  if (x >= 0) throw std::runtime_error("x must be negative");
}

void ThrowNoBacktrace(int64_t x) {
  if (x >= 0) throw ffi::Error("ValueError", "x must be negative", "");
}

void ThrowWithBacktrace(int64_t x) {
  if (x >= 0) TVM_FFI_THROW(ValueError) << "x must be negative, got " << x;
}

using tvmffi::rpc::bench::BM_DirectCall;
BENCHMARK(BM_DirectCall);

// The floor for the typed calls below, in their loop shape: pack the two ints into argument
// cells each iteration, call through the pointer, read the result.
void BM_CAbiFloorPackEachCall(benchmark::State& state) {
  volatile CAbiFn fptr = CAbiAdd;
  int64_t a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    TVMFFIAny args[2];
    for (int i = 0; i < 2; ++i) {
      args[i].type_index = kTVMFFIInt;
      args[i].zero_padding = 0;
      args[i].v_int64 = i == 0 ? a : b;
    }
    TVMFFIAny result = tvmffi::rpc::bench::RawAddArgs::EmptyResult();
    int rc = fptr(nullptr, args, 2, &result);
    benchmark::DoNotOptimize(rc);
    benchmark::DoNotOptimize(result.v_int64);
  }
}
BENCHMARK(BM_CAbiFloorPackEachCall);

// The floor for BM_CAbiFunctionCall, in its loop shape: arguments packed once, outside.
void BM_CAbiFloorPackedOnce(benchmark::State& state) {
  volatile CAbiFn fptr = CAbiAdd;
  tvmffi::rpc::bench::RawAddArgs raw;
  TVMFFIAny* args = raw.args;
  for (auto _ : state) {
    TVMFFIAny result = tvmffi::rpc::bench::RawAddArgs::EmptyResult();
    int rc = fptr(nullptr, args, 2, &result);
    benchmark::DoNotOptimize(rc);
    benchmark::DoNotOptimize(result.v_int64);
  }
}
BENCHMARK(BM_CAbiFloorPackedOnce);

void BM_TypedFunctionCall(benchmark::State& state) {
  ffi::Function f = ffi::Function::FromTyped(Add);
  int64_t a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, b).cast<int64_t>());
  }
}
BENCHMARK(BM_TypedFunctionCall);

void BM_TypedFunctionWrapperCall(benchmark::State& state) {
  ffi::TypedFunction<int64_t(int64_t, int64_t)> f = Add;
  int64_t a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, b));
  }
}
BENCHMARK(BM_TypedFunctionWrapperCall);

void BM_CAbiFunctionCall(benchmark::State& state) {
  ffi::Function f = ffi::Function::FromTyped(Add);
  TVMFFIObjectHandle handle = ffi::details::ObjectUnsafe::RawObjectPtrFromObjectRef(f);
  tvmffi::rpc::bench::RawAddArgs raw;
  TVMFFIAny* args = raw.args;
  for (auto _ : state) {
    TVMFFIAny result = tvmffi::rpc::bench::RawAddArgs::EmptyResult();
    int rc = TVMFFIFunctionCall(handle, args, 2, &result);
    benchmark::DoNotOptimize(rc);
    benchmark::DoNotOptimize(result.v_int64);
  }
}
BENCHMARK(BM_CAbiFunctionCall);

void BM_GetGlobal(benchmark::State& state) {
  ffi::Function::SetGlobal("bench.runtime.add", ffi::Function::FromTyped(Add), true);
  for (auto _ : state) {
    auto f = ffi::Function::GetGlobal("bench.runtime.add");
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_GetGlobal);

// Baseline for lookups: a std::unordered_map<std::string, ...> find with the same key, made
// once (GetGlobal hashes the name it is given and allocates nothing either).
void BM_StdMapLookup(benchmark::State& state) {
  std::unordered_map<std::string, int64_t (*)(int64_t, int64_t)> table;
  for (int i = 0; i < 200; ++i) table["bench.filler." + std::to_string(i)] = Add;
  table["bench.runtime.add"] = Add;
  const std::string key = "bench.runtime.add";
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.data());
    auto it = table.find(key);
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_StdMapLookup);

// ffi::Map lookups: n String keys (the last one looked up, key made once). Up to 4 entries a
// map is small (a linear scan), above that a hash table; the baseline is a std::unordered_map
// of the same n keys.
void BM_FfiMapLookup(benchmark::State& state) {
  ffi::Map<ffi::Any, ffi::Any> map;
  int64_t n = state.range(0);
  for (int64_t i = 0; i < n; ++i) map.Set(ffi::String("bench.key." + std::to_string(i)), i);
  const ffi::Any key = ffi::String("bench.key." + std::to_string(n - 1));
  for (auto _ : state) {
    auto it = map.get()->find(key);
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_FfiMapLookup)->Arg(4)->Arg(64)->Arg(4096);
void BM_StdMapLookupN(benchmark::State& state) {
  std::unordered_map<std::string, int64_t> map;
  int64_t n = state.range(0);
  for (int64_t i = 0; i < n; ++i) map["bench.key." + std::to_string(i)] = i;
  const std::string key = "bench.key." + std::to_string(n - 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.data());
    auto it = map.find(key);
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_StdMapLookupN)->Arg(4)->Arg(64)->Arg(4096);

void BM_CxxThrowCatch(benchmark::State& state) {
  for (auto _ : state) {
    try {
      ThrowPlain(1);
    } catch (const std::runtime_error& e) {
      benchmark::DoNotOptimize(e.what());
    }
  }
}
BENCHMARK(BM_CxxThrowCatch);

// throw in the callee -> safe_call -> TLS -> rethrown by the caller -> caught.
template <void (*Thrower)(int64_t)>
void ErrorRoundTrip(benchmark::State& state) {
  ffi::Function f = ffi::Function::FromTyped(Thrower);
  TVMFFIObjectHandle handle = ffi::details::ObjectUnsafe::RawObjectPtrFromObjectRef(f);
  TVMFFIAny arg;
  arg.type_index = kTVMFFIInt;
  arg.zero_padding = 0;
  arg.v_int64 = 1;
  for (auto _ : state) {
    try {
      ffi::Any result;
      TVM_FFI_CHECK_SAFE_CALL(
          TVMFFIFunctionCall(handle, &arg, 1, reinterpret_cast<TVMFFIAny*>(&result)));
    } catch (const ffi::Error& e) {
      benchmark::DoNotOptimize(e.kind());
    }
  }
}
void BM_ErrorRoundTripNoBacktrace(benchmark::State& state) {
  ErrorRoundTrip<ThrowNoBacktrace>(state);
}
BENCHMARK(BM_ErrorRoundTripNoBacktrace);
void BM_ErrorRoundTripWithBacktrace(benchmark::State& state) {
  ErrorRoundTrip<ThrowWithBacktrace>(state);
}
BENCHMARK(BM_ErrorRoundTripWithBacktrace);

}  // namespace

int main(int argc, char** argv) {
  return tvmffi::rpc::bench::RunWithRatios(
      argc, argv,
      {{"BM_CAbiFloorPackEachCall", "BM_DirectCall"},
       {"BM_TypedFunctionCall", "BM_DirectCall"},
       {"BM_TypedFunctionCall", "BM_CAbiFloorPackEachCall"},
       {"BM_TypedFunctionWrapperCall", "BM_CAbiFloorPackEachCall"},
       {"BM_CAbiFunctionCall", "BM_CAbiFloorPackedOnce"},
       {"BM_GetGlobal", "BM_StdMapLookup"},
       {"BM_FfiMapLookup/4", "BM_StdMapLookupN/4"},
       {"BM_FfiMapLookup/64", "BM_StdMapLookupN/64"},
       {"BM_FfiMapLookup/4096", "BM_StdMapLookupN/4096"},
       {"BM_ErrorRoundTripNoBacktrace", "BM_CxxThrowCatch"},
       {"BM_ErrorRoundTripWithBacktrace", "BM_CxxThrowCatch"}});
}
