// One benchmark source, compiled twice by scripts/bench-vs-upstream: against our headers and
// libtvm_ffi.so, and against upstream apache/tvm-ffi's headers and library. It uses only the
// public API both share, so each build measures its own library and its own inline header code:
// calls (typed, packed, through the C ABI), GetGlobal, error round trips with and without a
// backtrace, and container operations. The script runs both builds, interleaved, and prints
// them side by side. Not built by CMake: upstream's headers are not available in CI.
#include <benchmark/benchmark.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ffi = tvm::ffi;

namespace {

int64_t Add(int64_t a, int64_t b) { return a + b; }

void ThrowPlain(int64_t x) {
  if (x >= 0) throw ffi::Error("ValueError", "x must be negative", "");
}
void ThrowTraced(int64_t x) {
  if (x >= 0) TVM_FFI_THROW(ValueError) << "x must be negative, got " << x;
}

const bool kRegistered = [] {
  ffi::reflection::GlobalDef()
      .def("bench_vs_upstream.add", Add)
      .def("bench_vs_upstream.throw_plain", ThrowPlain)
      .def("bench_vs_upstream.throw_traced", ThrowTraced);
  return true;
}();

void BM_CallTyped(benchmark::State& state) {
  ffi::Function f = ffi::Function::FromTyped(Add);
  int64_t acc = 0;
  for (auto _ : state) {
    acc = f(acc, 1).cast<int64_t>();
  }
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_CallTyped);

void BM_CallPacked(benchmark::State& state) {
  ffi::Function f = ffi::Function::FromPacked([](ffi::PackedArgs args, ffi::Any* rv) {
    *rv = args[0].cast<int64_t>() + args[1].cast<int64_t>();
  });
  int64_t acc = 0;
  for (auto _ : state) {
    acc = f(acc, 1).cast<int64_t>();
  }
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_CallPacked);

void BM_CallCAbi(benchmark::State& state) {
  ffi::Function f = ffi::Function::FromTyped(Add);
  TVMFFIObjectHandle handle = ffi::details::ObjectUnsafe::TVMFFIObjectPtrFromObjectRef(f);
  TVMFFIAny args[2];
  TVMFFIAny result;
  int64_t acc = 0;
  for (auto _ : state) {
    for (int i = 0; i < 2; ++i) {
      args[i].type_index = kTVMFFIInt;
      args[i].zero_padding = 0;
      args[i].v_int64 = i == 0 ? acc : 1;
    }
    result.type_index = kTVMFFINone;
    result.v_int64 = 0;
    if (TVMFFIFunctionCall(handle, args, 2, &result) != 0) state.SkipWithError("call failed");
    acc = result.v_int64;
  }
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_CallCAbi);

void BM_CallGlobal(benchmark::State& state) {
  ffi::Function f = ffi::Function::GetGlobalRequired("bench_vs_upstream.add");
  int64_t acc = 0;
  for (auto _ : state) {
    acc = f(acc, 1).cast<int64_t>();
  }
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_CallGlobal);

void BM_GetGlobal(benchmark::State& state) {
  for (auto _ : state) {
    std::optional<ffi::Function> f = ffi::Function::GetGlobal("bench_vs_upstream.add");
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_GetGlobal);

void BM_GetGlobalMissing(benchmark::State& state) {
  for (auto _ : state) {
    std::optional<ffi::Function> f = ffi::Function::GetGlobal("bench_vs_upstream.missing");
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_GetGlobalMissing);

template <bool kTraced>
void BM_ErrorRoundTrip(benchmark::State& state) {
  ffi::Function f = ffi::Function::GetGlobalRequired(kTraced ? "bench_vs_upstream.throw_traced"
                                                             : "bench_vs_upstream.throw_plain");
  int64_t caught = 0;
  for (auto _ : state) {
    try {
      f(int64_t{1});
    } catch (const ffi::Error& e) {
      caught += static_cast<int64_t>(e.kind().size());
    }
  }
  benchmark::DoNotOptimize(caught);
}
BENCHMARK_TEMPLATE(BM_ErrorRoundTrip, false)->Name("BM_ErrorRoundTripNoBacktrace");
BENCHMARK_TEMPLATE(BM_ErrorRoundTrip, true)->Name("BM_ErrorRoundTripBacktrace");

void BM_ArrayPushBack64(benchmark::State& state) {
  for (auto _ : state) {
    ffi::Array<int64_t> a;
    for (int64_t i = 0; i < 64; ++i) a.push_back(i);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ArrayPushBack64);

void BM_ArraySum64(benchmark::State& state) {
  ffi::Array<int64_t> a;
  for (int64_t i = 0; i < 64; ++i) a.push_back(i);
  for (auto _ : state) {
    int64_t s = 0;
    for (int64_t v : a) s += v;
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ArraySum64);

void BM_StringMake(benchmark::State& state) {
  std::string text(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    ffi::String s(text);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StringMake)->Arg(5)->Arg(64);

std::vector<ffi::String> Keys(int64_t n) {
  std::vector<ffi::String> keys;
  for (int64_t i = 0; i < n; ++i) keys.emplace_back("key_number_" + std::to_string(i));
  return keys;
}

void BM_MapInsert(benchmark::State& state) {
  std::vector<ffi::String> keys = Keys(state.range(0));
  for (auto _ : state) {
    ffi::Map<ffi::String, int64_t> m;
    int64_t i = 0;
    for (const ffi::String& k : keys) m.Set(k, i++);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_MapInsert)->Arg(4)->Arg(64)->Arg(4096);

void BM_MapLookup(benchmark::State& state) {
  std::vector<ffi::String> keys = Keys(state.range(0));
  ffi::Map<ffi::String, int64_t> m;
  int64_t i = 0;
  for (const ffi::String& k : keys) m.Set(k, i++);
  size_t next = 0;
  for (auto _ : state) {
    int64_t v = m.at(keys[next]);
    benchmark::DoNotOptimize(v);
    next = next + 1 == keys.size() ? 0 : next + 1;
  }
}
BENCHMARK(BM_MapLookup)->Arg(4)->Arg(64)->Arg(4096);

void BM_AnyRoundTrip(benchmark::State& state) {
  ffi::String s("a longer string than sixteen bytes");
  for (auto _ : state) {
    ffi::Any a = s;
    ffi::String back = a.cast<ffi::String>();
    benchmark::DoNotOptimize(back);
  }
}
BENCHMARK(BM_AnyRoundTrip);

}  // namespace

BENCHMARK_MAIN();
