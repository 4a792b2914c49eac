#include "tvmffi/device/device_tensor.h"

#include <atomic>
#include <mutex>
#include <unordered_set>

#include <tvm/ffi/extra/c_env_api.h>

#include "absl/strings/str_cat.h"
#include "tvmffi/device/device_api.h"
#include "tvmffi/proto/error_kind.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::device {
namespace {
namespace ffi = tvm::ffi;

// The data pointers of live tensors made by NewDeviceTensor.
struct Resident {
  std::mutex mutex;
  std::unordered_set<const void*> data;
  std::atomic<size_t> count{0};  // data.size(), read without the lock: most processes have none
};
Resident& Residents() {
  static Resident* r = new Resident();  // outlives static destructors' tensors
  return *r;
}

struct DeviceAlloc {
  DeviceApi* api;
  void* data;
  uint64_t bytes;
  std::shared_ptr<DeviceMemoryBudget> budget;  // null: not counted
  std::shared_ptr<void> provided;              // set: the bytes came from the CPU provider
  void AllocData(DLTensor* t) { t->data = data; }
  void FreeData(DLTensor* t) {
    {
      Resident& r = Residents();
      std::lock_guard<std::mutex> lock(r.mutex);
      r.data.erase(t->data);
      r.count.store(r.data.size(), std::memory_order_release);
    }
    if (provided != nullptr) {
      provided.reset();
    } else {
      (void)api->Free(t->device.device_id, t->data);
    }
    if (budget != nullptr) budget->used.fetch_sub(bytes);
  }
};

struct Provider {
  std::mutex mutex;
  HostBytesProvider provide;
};
Provider& CpuProvider() {
  static Provider* p = new Provider();
  return *p;
}

bool HostReadable(DLDeviceType type) {
  return type == kDLCPU || type == kDLCUDAHost || type == kDLROCMHost;
}

// The stream this thread's calls use on device (TVMFFIEnvGetStream; null: the default one).
StreamHandle EnvStream(DLDevice device) {
  return TVMFFIEnvGetStream(device.device_type, device.device_id);
}

absl::StatusOr<DeviceApi*> ApiOf(const DLTensor& t) {
  if (!ffi::IsContiguous(t)) return rpc::ValueError("a device tensor copy needs a compact tensor");
  return GetDeviceApi(t.device.device_type);
}

}  // namespace

absl::StatusOr<ffi::Tensor> NewDeviceTensor(ffi::ShapeView shape, DLDataType dtype, DLDevice device,
                                            std::shared_ptr<DeviceMemoryBudget> budget) {
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(numel, d, &numel)) {
      return rpc::ValueError("a tensor's extents must be >= 0 and their product fit 64 bits");
    }
  }
  if (dtype.lanes == 0 || dtype.bits == 0) return rpc::ValueError("a tensor's dtype has no size");
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, GetDeviceApi(device.device_type));
  uint64_t bytes = ffi::GetDataSize(numel, dtype);
  if (budget != nullptr) {
    uint64_t used = budget->used.fetch_add(bytes) + bytes;
    if (used > budget->limit) {
      budget->used.fetch_sub(bytes);
      return rpc::MemoryError(absl::StrCat("a tensor of ", bytes, " bytes on ", DeviceName(device),
                                           " would take this session to ", used,
                                           " bytes of device memory, over its limit of ",
                                           budget->limit, " (--max-device-memory)"));
    }
  }
  std::shared_ptr<void> provided;
  if (device.device_type == kDLCPU && device.device_id == 0) {
    HostBytesProvider provide;
    {
      std::lock_guard<std::mutex> lock(CpuProvider().mutex);
      provide = CpuProvider().provide;
    }
    if (provide) {
      absl::StatusOr<std::shared_ptr<void>> block = provide(bytes);
      if (!block.ok()) {
        if (budget != nullptr) budget->used.fetch_sub(bytes);
        return block.status();
      }
      provided = *std::move(block);
    }
  }
  absl::StatusOr<void*> data =
      provided != nullptr ? provided.get() : api->Alloc(device.device_id, bytes);
  if (!data.ok()) {
    if (budget != nullptr) budget->used.fetch_sub(bytes);
    return data.status();
  }
  {
    Resident& r = Residents();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.data.insert(*data);
    r.count.store(r.data.size(), std::memory_order_release);
  }
  return ffi::Tensor::FromNDAlloc(
      DeviceAlloc{api, *data, bytes, std::move(budget), std::move(provided)}, shape, dtype, device);
}

void SetCpuBytesProvider(HostBytesProvider provider) {
  std::lock_guard<std::mutex> lock(CpuProvider().mutex);
  CpuProvider().provide = std::move(provider);
}

bool IsResident(const DLTensor& t) {
  if (!HostReadable(t.device.device_type)) return true;
  Resident& r = Residents();
  if (r.count.load(std::memory_order_acquire) == 0) return false;  // every tensor a session sends
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.data.count(t.data) != 0;
}

absl::Status CopyIntoTensor(const DLTensor& t, const void* host, uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, ApiOf(t));
  if (bytes != ffi::GetDataSize(t)) {
    return rpc::ValueError(
        absl::StrCat("copying ", bytes, " bytes into a tensor of ", ffi::GetDataSize(t), " bytes"));
  }
  return api->CopyFromHost(t.device.device_id, static_cast<char*>(t.data) + t.byte_offset, host,
                           bytes, EnvStream(t.device));
}

absl::Status CopyFromTensor(const DLTensor& t, void* host, uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, ApiOf(t));
  if (bytes != ffi::GetDataSize(t)) {
    return rpc::ValueError(
        absl::StrCat("copying a tensor of ", ffi::GetDataSize(t), " bytes into ", bytes, " bytes"));
  }
  return api->CopyToHost(t.device.device_id, host, static_cast<const char*>(t.data) + t.byte_offset,
                         bytes, EnvStream(t.device));
}

}  // namespace tvmffi::device
