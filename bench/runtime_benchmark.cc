// In-process call costs of libtvm_ffi.so, each against a direct C++ baseline in this process:
// typed call through ffi::Function, a call through TVMFFIFunctionCall, GetGlobal by name, and an
// error carried across the C ABI and caught.
#include <benchmark/benchmark.h>
#include <tvm/ffi/tvm_ffi.h>

#include <stdexcept>

#include "baselines.h"
#include "ratio_reporter.h"

namespace ffi = tvm::ffi;

namespace {
using tvmffi::rpc::bench::Add;

// The least any type-erased call can do: an indirect call that unpacks Anys and boxes the result.
void PackedAdd(const ffi::AnyView* args, int32_t, ffi::Any* rv) {
  *rv = Add(args[0].cast<int64_t>(), args[1].cast<int64_t>());
}

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

// The unavoidable part of any FFI call: pack two ints as AnyViews, call through a pointer,
// unpack, box the result.
void BM_IndirectCallWithAnyPacking(benchmark::State& state) {
  void (*volatile fptr)(const ffi::AnyView*, int32_t, ffi::Any*) = PackedAdd;
  int64_t a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    ffi::AnyView args[2] = {ffi::AnyView(a), ffi::AnyView(b)};
    ffi::Any rv;
    fptr(args, 2, &rv);
    benchmark::DoNotOptimize(rv.cast<int64_t>());
  }
}
BENCHMARK(BM_IndirectCallWithAnyPacking);

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

// Baseline for lookups: a std::unordered_map<std::string, ...> find with the same key.
void BM_StdMapLookup(benchmark::State& state) {
  std::unordered_map<std::string, int64_t (*)(int64_t, int64_t)> table;
  for (int i = 0; i < 200; ++i) table["bench.filler." + std::to_string(i)] = Add;
  table["bench.runtime.add"] = Add;
  std::string_view name = "bench.runtime.add";
  for (auto _ : state) {
    auto it = table.find(std::string(name));
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_StdMapLookup);

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
      {{"BM_IndirectCallWithAnyPacking", "BM_DirectCall"},
       {"BM_TypedFunctionCall", "BM_DirectCall"},
       {"BM_TypedFunctionCall", "BM_IndirectCallWithAnyPacking"},
       {"BM_TypedFunctionWrapperCall", "BM_IndirectCallWithAnyPacking"},
       {"BM_CAbiFunctionCall", "BM_IndirectCallWithAnyPacking"},
       {"BM_GetGlobal", "BM_StdMapLookup"},
       {"BM_ErrorRoundTripNoBacktrace", "BM_CxxThrowCatch"},
       {"BM_ErrorRoundTripWithBacktrace", "BM_CxxThrowCatch"}});
}
