// Module and tensor costs, each against an in-process baseline: a dlopen'd function called
// through ffi::Module vs. a direct C++ call and vs. calling the same symbol's safe_call by hand;
// a DLPack import + export round trip vs. the malloc/free it cannot avoid.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdlib>

#include "baselines.h"
#include "ratio_reporter.h"

namespace ffi = tvm::ffi;

namespace {
using tvmffi::rpc::bench::Add;

using tvmffi::rpc::bench::BM_DirectCall;
BENCHMARK(BM_DirectCall);

// The symbol's safe_call invoked by hand: what any loader must do at least.
void BM_DlsymSafeCall(benchmark::State& state) {
  void* lib = dlopen(TVMFFI_BENCH_MODULE, RTLD_LAZY | RTLD_LOCAL);
  auto fn = reinterpret_cast<TVMFFISafeCallType>(dlsym(lib, "__tvm_ffi_add"));
  tvmffi::rpc::bench::RawAddArgs raw;
  TVMFFIAny* args = raw.args;
  for (auto _ : state) {
    TVMFFIAny result = tvmffi::rpc::bench::RawAddArgs::EmptyResult();
    benchmark::DoNotOptimize(fn(nullptr, args, 2, &result));
    benchmark::DoNotOptimize(result.v_int64);
  }
}
BENCHMARK(BM_DlsymSafeCall);

void BM_ModuleFunctionCall(benchmark::State& state) {
  ffi::Module mod = ffi::Module::LoadFromFile(TVMFFI_BENCH_MODULE);
  ffi::Function add = mod->GetFunction("add").value();
  int64_t a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(add(a, b).cast<int64_t>());
  }
}
BENCHMARK(BM_ModuleFunctionCall);

struct Producer {
  int64_t shape[2] = {32, 32};
  DLManagedTensor managed{};
  static void Delete(DLManagedTensor* self) { delete static_cast<Producer*>(self->manager_ctx); }
};

DLManagedTensor* NewProducer(void* data) {
  auto* p = new Producer();
  DLTensor& t = p->managed.dl_tensor;
  t.data = data;
  t.device = DLDevice{kDLCPU, 0};
  t.ndim = 2;
  t.dtype = DLDataType{kDLFloat, 32, 1};
  t.shape = p->shape;
  p->managed.manager_ctx = p;
  p->managed.deleter = Producer::Delete;
  return &p->managed;
}

// Baseline: the producer's own struct allocated and freed, plus one more malloc/free pair (the
// tensor object) that any import must make.
void BM_ProducerAllocFree(benchmark::State& state) {
  static float data[32 * 32];
  for (auto _ : state) {
    DLManagedTensor* m = NewProducer(data);
    void* obj = std::malloc(128);
    benchmark::DoNotOptimize(obj);
    std::free(obj);
    m->deleter(m);
  }
}
BENCHMARK(BM_ProducerAllocFree);

void BM_DLPackImportExportRoundTrip(benchmark::State& state) {
  static float data[32 * 32];
  for (auto _ : state) {
    ffi::Tensor t = ffi::Tensor::FromDLPack(NewProducer(data));
    DLManagedTensor* out = t.ToDLPack();
    t = ffi::Tensor();
    benchmark::DoNotOptimize(out->dl_tensor.data);
    out->deleter(out);  // releases the tensor, which runs the producer's deleter
  }
}
BENCHMARK(BM_DLPackImportExportRoundTrip);

}  // namespace

int main(int argc, char** argv) {
  return tvmffi::rpc::bench::RunWithRatios(
      argc, argv,
      {{"BM_DlsymSafeCall", "BM_DirectCall"},
       {"BM_ModuleFunctionCall", "BM_DirectCall"},
       {"BM_ModuleFunctionCall", "BM_DlsymSafeCall"},
       {"BM_DLPackImportExportRoundTrip", "BM_ProducerAllocFree"}});
}
