// Host <-> GPU copies through a session (issue #11) against the device's own copies in the same
// process: RemoteTensor::CopyFrom / ToHost of 64 MiB on the server's cuda:0, over TCP loopback
// on one host (the bytes staged in shared memory, the default) and through the stream (shared
// memory off, as between hosts), against the device layer's cuMemcpyHtoD / cuMemcpyDtoH of the
// same bytes from and to pageable host memory. Needs a GPU: without one it says why and
// measures nothing (exit 0).
#include <benchmark/benchmark.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "ratio_reporter.h"
#include "tvmffi/device/device_api.h"
#include "tvmffi/device/device_tensor.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/server/server.h"

namespace ffi = tvm::ffi;

namespace {

constexpr DLDevice kGpu{kDLCUDA, 0};
constexpr DLDataType kU8{kDLUInt, 8, 1};

struct Heap {
  void AllocData(DLTensor* t) { t->data = std::malloc(ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { std::free(t->data); }
};

ffi::Tensor HostBytes(int64_t bytes) {
  ffi::Tensor t = ffi::Tensor::FromNDAlloc(Heap{}, ffi::Shape({bytes}), kU8, DLDevice{kDLCPU, 0});
  std::memset(t.data_ptr(), 1, static_cast<size_t>(bytes));
  return t;
}

const std::string& ServerAddress() {
  static const std::string* address = [] {
    tvmffi::rpc::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = tvmffi::rpc::Server::Start(options);
    if (!server.ok()) std::abort();
    auto* a = new std::string("127.0.0.1:" + std::to_string((*server)->port()));
    server->release();  // lives as long as the process
    return a;
  }();
  return *address;
}

// The device's own copy: the device layer, in this process, pageable host memory.
void DeviceCopy(benchmark::State& state, bool to_device) {
  int64_t bytes = state.range(0);
  absl::StatusOr<ffi::Tensor> gpu = tvmffi::device::NewDeviceTensor(ffi::Shape({bytes}), kU8, kGpu);
  if (!gpu.ok()) {
    state.SkipWithError(std::string(gpu.status().message()).c_str());
    return;
  }
  ffi::Tensor host = HostBytes(bytes);
  auto copy = [&] {
    return to_device
               ? tvmffi::device::CopyIntoTensor(*gpu->GetDLTensorPtr(), host.data_ptr(), bytes)
               : tvmffi::device::CopyFromTensor(*gpu->GetDLTensorPtr(), host.data_ptr(), bytes);
  };
  (void)copy();  // one untimed copy first: fresh memory faults in on its first touch
  for (auto _ : state) {
    absl::Status st = copy();
    if (!st.ok()) state.SkipWithError(std::string(st.message()).c_str());
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}
void BM_DeviceCopyHtoD(benchmark::State& state) { DeviceCopy(state, true); }
void BM_DeviceCopyDtoH(benchmark::State& state) { DeviceCopy(state, false); }

enum class Path { kStaged, kStream, kDataChannel };

// The same bytes through a session: CopyFrom (host -> the server's GPU) or ToHost; staged in
// shared memory (one host), through the gRPC stream, or over the data channel (as between
// hosts).
void RemoteCopy(benchmark::State& state, bool to_device, Path path) {
  int64_t bytes = state.range(0);
  tvmffi::rpc::ConnectOptions options;
  options.shared_memory = path == Path::kStaged;
  options.data_channel = path == Path::kDataChannel;
  tvmffi::rpc::Session session = tvmffi::rpc::Connect(ServerAddress(), options);
  tvmffi::rpc::RemoteTensor t = session.Empty(ffi::Shape({bytes}), kU8, kGpu);
  ffi::Tensor host = HostBytes(bytes);
  // One untimed copy each way first: fresh memory on both ends faults in on its first touch.
  t.CopyFrom(host);
  benchmark::DoNotOptimize(t.ToHost().data_ptr());
  for (auto _ : state) {
    if (to_device) {
      t.CopyFrom(host);
    } else {
      benchmark::DoNotOptimize(t.ToHost().data_ptr());
    }
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}
void BM_RemoteCopyFrom_Staged(benchmark::State& s) { RemoteCopy(s, true, Path::kStaged); }
void BM_RemoteToHost_Staged(benchmark::State& s) { RemoteCopy(s, false, Path::kStaged); }
void BM_RemoteCopyFrom_Stream(benchmark::State& s) { RemoteCopy(s, true, Path::kStream); }
void BM_RemoteToHost_Stream(benchmark::State& s) { RemoteCopy(s, false, Path::kStream); }
void BM_RemoteCopyFrom_DataChannel(benchmark::State& s) { RemoteCopy(s, true, Path::kDataChannel); }
void BM_RemoteToHost_DataChannel(benchmark::State& s) { RemoteCopy(s, false, Path::kDataChannel); }

#define TVMFFI_BENCH_GPU(name)                                          \
  BENCHMARK(name)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime()->MinTime( \
      tvmffi::rpc::bench::MinTime(1.0))
TVMFFI_BENCH_GPU(BM_DeviceCopyHtoD);
TVMFFI_BENCH_GPU(BM_DeviceCopyDtoH);
TVMFFI_BENCH_GPU(BM_RemoteCopyFrom_Staged);
TVMFFI_BENCH_GPU(BM_RemoteToHost_Staged);
TVMFFI_BENCH_GPU(BM_RemoteCopyFrom_Stream);
TVMFFI_BENCH_GPU(BM_RemoteToHost_Stream);
TVMFFI_BENCH_GPU(BM_RemoteCopyFrom_DataChannel);
TVMFFI_BENCH_GPU(BM_RemoteToHost_DataChannel);

}  // namespace

int main(int argc, char** argv) {
  absl::Status cuda = tvmffi::device::CudaStatus();
  if (!cuda.ok()) {
    std::printf("gpu_benchmark: no GPU here, nothing measured: %s\n",
                std::string(cuda.message()).c_str());
    return 0;
  }
  setenv("GRPC_VERBOSITY", "ERROR", 0);
  return tvmffi::rpc::bench::RunWithRatios(
      argc, argv,
      {{"BM_RemoteCopyFrom_Staged/1048576/real_time", "BM_DeviceCopyHtoD/1048576/real_time"},
       {"BM_RemoteToHost_Staged/1048576/real_time", "BM_DeviceCopyDtoH/1048576/real_time"},
       {"BM_RemoteCopyFrom_Stream/1048576/real_time", "BM_DeviceCopyHtoD/1048576/real_time"},
       {"BM_RemoteToHost_Stream/1048576/real_time", "BM_DeviceCopyDtoH/1048576/real_time"},
       {"BM_RemoteCopyFrom_Staged/67108864/real_time", "BM_DeviceCopyHtoD/67108864/real_time"},
       {"BM_RemoteToHost_Staged/67108864/real_time", "BM_DeviceCopyDtoH/67108864/real_time"},
       {"BM_RemoteCopyFrom_Stream/67108864/real_time", "BM_DeviceCopyHtoD/67108864/real_time"},
       {"BM_RemoteToHost_Stream/67108864/real_time", "BM_DeviceCopyDtoH/67108864/real_time"},
       {"BM_RemoteCopyFrom_DataChannel/1048576/real_time", "BM_DeviceCopyHtoD/1048576/real_time"},
       {"BM_RemoteToHost_DataChannel/1048576/real_time", "BM_DeviceCopyDtoH/1048576/real_time"},
       {"BM_RemoteCopyFrom_DataChannel/67108864/real_time", "BM_DeviceCopyHtoD/67108864/real_time"},
       {"BM_RemoteToHost_DataChannel/67108864/real_time", "BM_DeviceCopyDtoH/67108864/real_time"}});
}
