// The CUDA device, through the driver API loaded at run time (cuda_driver.h). Work runs in each
// device's primary context, the one the CUDA runtime uses too, so memory and streams made here
// interoperate with modules built against the runtime.
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cpu_device.h"
#include "cuda_driver.h"
#include "tvmffi/proto/error_kind.h"

namespace tvmffi::device {
namespace {
using cuda::CUcontext;
using cuda::CUDA_SUCCESS;
using cuda::CUdeviceptr;
using cuda::CUresult;
using cuda::CUstream;

constexpr CUresult kOutOfMemory = 2;  // CUDA_ERROR_OUT_OF_MEMORY

// The start of every per-device method: a valid id, and that device's primary context made
// current on this thread until the method returns (`current`).
#define TVMFFI_CUDA_ENTER(id)         \
  TVMFFI_DEVICE_RETURN_IF_BAD_ID(id); \
  Current current(this, id);          \
  TVMFFI_RPC_RETURN_IF_ERROR(current.status())

class CudaDevice final : public DeviceApi {
 public:
  CudaDevice(const cuda::Driver* driver, int count)
      : d_(driver), count_(count), contexts_(static_cast<size_t>(count), nullptr) {}

  DLDeviceType type() const override { return kDLCUDA; }
  int Count() const override { return count_; }

  absl::StatusOr<DeviceFacts> Facts(int id) const override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    DeviceFacts facts;
    facts.device = DLDevice{kDLCUDA, id};
    char name[256] = {0};
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuDeviceGetName(name, sizeof(name) - 1, id));
    facts.name = name;
    size_t total = 0;
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuDeviceTotalMem_v2(&total, id));
    facts.total_memory = total;
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuDeviceGetAttribute(
        &facts.compute_capability_major, cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, id));
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuDeviceGetAttribute(
        &facts.compute_capability_minor, cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, id));
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuDeviceGetAttribute(
        &facts.multiprocessor_count, cuda::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, id));
    Current current(this, id);
    TVMFFI_RPC_RETURN_IF_ERROR(current.status());
    size_t free = 0;
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuMemGetInfo_v2(&free, &total));
    facts.free_memory = free;
    return facts;
  }

  absl::StatusOr<void*> Alloc(int id, uint64_t bytes) override {
    TVMFFI_CUDA_ENTER(id);
    CUdeviceptr ptr = 0;
    CUresult r = d_->cuMemAlloc_v2(&ptr, bytes == 0 ? 1 : bytes);
    if (r == kOutOfMemory) {
      return rpc::MemoryError(absl::StrCat("cannot allocate ", bytes, " bytes on ",
                                           DeviceName(DLDevice{kDLCUDA, id}),
                                           ": out of device memory"));
    }
    TVMFFI_DEVICE_RETURN_IF_CUDA(r);
    return reinterpret_cast<void*>(ptr);
  }
  absl::Status Free(int id, void* ptr) override {
    TVMFFI_CUDA_ENTER(id);
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuMemFree_v2(reinterpret_cast<CUdeviceptr>(ptr)));
    return absl::OkStatus();
  }
  // The host buffer may go once this returns: the copy is waited for.
  absl::Status CopyFromHost(int id, void* dst, const void* src, uint64_t bytes,
                            StreamHandle stream) override {
    TVMFFI_CUDA_ENTER(id);
    auto s = static_cast<CUstream>(stream);
    TVMFFI_DEVICE_RETURN_IF_CUDA(
        d_->cuMemcpyHtoDAsync_v2(reinterpret_cast<CUdeviceptr>(dst), src, bytes, s));
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuStreamSynchronize(s));
    return absl::OkStatus();
  }
  absl::Status CopyToHost(int id, void* dst, const void* src, uint64_t bytes,
                          StreamHandle stream) override {
    TVMFFI_CUDA_ENTER(id);
    auto s = static_cast<CUstream>(stream);
    TVMFFI_DEVICE_RETURN_IF_CUDA(
        d_->cuMemcpyDtoHAsync_v2(dst, reinterpret_cast<CUdeviceptr>(src), bytes, s));
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuStreamSynchronize(s));
    return absl::OkStatus();
  }
  absl::Status CopyWithin(int id, void* dst, const void* src, uint64_t bytes,
                          StreamHandle stream) override {
    TVMFFI_CUDA_ENTER(id);
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuMemcpyDtoDAsync_v2(reinterpret_cast<CUdeviceptr>(dst),
                                                          reinterpret_cast<CUdeviceptr>(src), bytes,
                                                          static_cast<CUstream>(stream)));
    return absl::OkStatus();
  }
  absl::StatusOr<StreamHandle> CreateStream(int id) override {
    TVMFFI_CUDA_ENTER(id);
    CUstream s = nullptr;
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuStreamCreate(&s, cuda::CU_STREAM_NON_BLOCKING));
    return static_cast<StreamHandle>(s);
  }
  absl::Status DestroyStream(int id, StreamHandle stream) override {
    TVMFFI_CUDA_ENTER(id);
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuStreamDestroy_v2(static_cast<CUstream>(stream)));
    return absl::OkStatus();
  }
  absl::Status Synchronize(int id, StreamHandle stream) override {
    TVMFFI_CUDA_ENTER(id);
    if (stream == nullptr) {
      TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuCtxSynchronize());
    } else {
      TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuStreamSynchronize(static_cast<CUstream>(stream)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<DeviceTimer>> CreateTimer(int id, StreamHandle stream) override;

  absl::StatusOr<std::pair<void*, uint64_t>> AllocationOf(int id, const void* ptr) override {
    TVMFFI_CUDA_ENTER(id);
    CUdeviceptr base = 0;
    size_t size = 0;
    TVMFFI_DEVICE_RETURN_IF_CUDA(
        d_->cuMemGetAddressRange_v2(&base, &size, reinterpret_cast<CUdeviceptr>(ptr)));
    return std::make_pair(reinterpret_cast<void*>(base), static_cast<uint64_t>(size));
  }

  absl::StatusOr<IpcExport> ExportIpc(int id, const void* ptr) override {
    TVMFFI_RPC_ASSIGN_OR_RETURN(auto allocation, AllocationOf(id, ptr));
    TVMFFI_CUDA_ENTER(id);
    cuda::CUipcMemHandle handle{};
    TVMFFI_DEVICE_RETURN_IF_CUDA(
        d_->cuIpcGetMemHandle(&handle, reinterpret_cast<CUdeviceptr>(allocation.first)));
    TVMFFI_RPC_ASSIGN_OR_RETURN(std::string uuid, Uuid(id));
    IpcExport out;
    out.handle.assign(handle.reserved, sizeof(handle.reserved));
    out.offset = static_cast<uint64_t>(static_cast<const char*>(ptr) -
                                       static_cast<const char*>(allocation.first));
    out.device_uuid = std::move(uuid);
    return out;
  }

  absl::StatusOr<IpcMapping> OpenIpc(const std::string& handle,
                                     const std::string& device_uuid) override {
    cuda::CUipcMemHandle h{};
    if (handle.size() != sizeof(h.reserved)) {
      return rpc::ValueError(absl::StrCat("a CUDA IPC handle has ", sizeof(h.reserved),
                                          " bytes, not ", handle.size()));
    }
    std::memcpy(h.reserved, handle.data(), sizeof(h.reserved));
    int id = -1;
    for (int i = 0; i < count_ && id < 0; ++i) {
      absl::StatusOr<std::string> uuid = Uuid(i);
      if (uuid.ok() && *uuid == device_uuid) id = i;
    }
    if (id < 0) return rpc::ValueError("the CUDA IPC handle is of a device this process lacks");
    TVMFFI_CUDA_ENTER(id);
    CUdeviceptr base = 0;
    TVMFFI_DEVICE_RETURN_IF_CUDA(
        d_->cuIpcOpenMemHandle_v2(&base, h, cuda::CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS));
    CUdeviceptr range_base = 0;
    size_t size = 0;
    CUresult r = d_->cuMemGetAddressRange_v2(&range_base, &size, base);
    if (r != CUDA_SUCCESS) {
      d_->cuIpcCloseMemHandle(base);
      return rpc::RuntimeError(cuda::DescribeError(*d_, "cuMemGetAddressRange_v2", r));
    }
    return IpcMapping{id, reinterpret_cast<void*>(base), static_cast<uint64_t>(size)};
  }

  absl::Status CloseIpc(int id, void* base) override {
    TVMFFI_CUDA_ENTER(id);
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuIpcCloseMemHandle(reinterpret_cast<CUdeviceptr>(base)));
    return absl::OkStatus();
  }

  const cuda::Driver* driver() const { return d_; }

  // Makes device id's primary context current on this thread for the scope (retained once).
  class Current {
   public:
    Current(const CudaDevice* device, int id) : d_(device->d_) {
      absl::StatusOr<CUcontext> ctx = device->PrimaryContext(id);
      if (!ctx.ok()) {
        status_ = ctx.status();
        return;
      }
      CUresult r = d_->cuCtxPushCurrent_v2(*ctx);
      if (r != CUDA_SUCCESS) {
        status_ = rpc::RuntimeError(cuda::DescribeError(*d_, "cuCtxPushCurrent_v2", r));
        return;
      }
      pushed_ = true;
    }
    ~Current() {
      CUcontext popped = nullptr;
      if (pushed_) d_->cuCtxPopCurrent_v2(&popped);
    }
    const absl::Status& status() const { return status_; }

   private:
    const cuda::Driver* d_;
    absl::Status status_;
    bool pushed_ = false;
  };

 private:
  absl::StatusOr<std::string> Uuid(int id) const {
    cuda::CUuuid uuid{};
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuDeviceGetUuid(&uuid, id));
    return std::string(uuid.bytes, sizeof(uuid.bytes));
  }

  absl::StatusOr<CUcontext> PrimaryContext(int id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    CUcontext& ctx = contexts_[static_cast<size_t>(id)];
    if (ctx == nullptr) {
      CUresult r = d_->cuDevicePrimaryCtxRetain(&ctx, id);
      if (r != CUDA_SUCCESS) {
        ctx = nullptr;
        return rpc::RuntimeError(cuda::DescribeError(*d_, "cuDevicePrimaryCtxRetain", r));
      }
    }
    return ctx;
  }

  const cuda::Driver* d_;
  int count_;
  mutable std::mutex mutex_;
  mutable std::vector<CUcontext> contexts_;  // retained for the life of the process
};

// Two CUDA events on a stream, in the device's primary context.
class CudaTimer final : public DeviceTimer {
 public:
  CudaTimer(CudaDevice* device, int id, CUstream stream)
      : device_(device), d_(device->driver()), id_(id), stream_(stream) {}
  ~CudaTimer() override {
    CudaDevice::Current current(device_, id_);
    if (start_ != nullptr) d_->cuEventDestroy_v2(start_);
    if (stop_ != nullptr) d_->cuEventDestroy_v2(stop_);
  }
  absl::Status Create() {
    CudaDevice::Current current(device_, id_);
    TVMFFI_RPC_RETURN_IF_ERROR(current.status());
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuEventCreate(&start_, 0));
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuEventCreate(&stop_, 0));
    return absl::OkStatus();
  }
  absl::Status Start() override {
    CudaDevice::Current current(device_, id_);
    TVMFFI_RPC_RETURN_IF_ERROR(current.status());
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuEventRecord(start_, stream_));
    return absl::OkStatus();
  }
  absl::StatusOr<double> Stop() override {
    CudaDevice::Current current(device_, id_);
    TVMFFI_RPC_RETURN_IF_ERROR(current.status());
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuEventRecord(stop_, stream_));
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuEventSynchronize(stop_));
    float ms = 0;
    TVMFFI_DEVICE_RETURN_IF_CUDA(d_->cuEventElapsedTime(&ms, start_, stop_));
    return static_cast<double>(ms) / 1e3;
  }

 private:
  CudaDevice* device_;
  const cuda::Driver* d_;
  int id_;
  CUstream stream_;
  cuda::CUevent start_ = nullptr;
  cuda::CUevent stop_ = nullptr;
};

absl::StatusOr<std::unique_ptr<DeviceTimer>> CudaDevice::CreateTimer(int id, StreamHandle stream) {
  TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
  auto timer = std::make_unique<CudaTimer>(this, id, static_cast<CUstream>(stream));
  TVMFFI_RPC_RETURN_IF_ERROR(timer->Create());
  return std::unique_ptr<DeviceTimer>(std::move(timer));
}

}  // namespace

absl::StatusOr<DeviceApi*> CudaDeviceApi() {
  static const auto* api = new absl::StatusOr<DeviceApi*>([]() -> absl::StatusOr<DeviceApi*> {
    const absl::StatusOr<const cuda::Driver*>& driver = cuda::LoadDriver();
    if (!driver.ok()) return driver.status();
    int count = 0;
    CUresult r = (*driver)->cuDeviceGetCount(&count);
    if (r != CUDA_SUCCESS) {
      return rpc::RuntimeError(absl::StrCat("CUDA is not available on this server: ",
                                            cuda::DescribeError(**driver, "cuDeviceGetCount", r)));
    }
    if (count <= 0) {
      return rpc::RuntimeError("CUDA is not available on this server: the driver sees no device");
    }
    return static_cast<DeviceApi*>(new CudaDevice(*driver, count));
  }());
  return *api;
}

}  // namespace tvmffi::device
