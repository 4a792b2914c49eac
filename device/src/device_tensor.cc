#include "tvmffi/device/device_tensor.h"

#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
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

// Bytes held by NewDeviceTensor's tensors, by device type (the last slot: any other type).
constexpr int kHeldSlots = 16;
std::atomic<uint64_t> g_held[kHeldSlots];
std::atomic<uint64_t>& Held(DLDeviceType type) {
  int slot = static_cast<int>(type);
  return g_held[slot > 0 && slot < kHeldSlots ? slot : kHeldSlots - 1];
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
    Held(t->device.device_type).fetch_sub(bytes, std::memory_order_relaxed);
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
                                            std::shared_ptr<DeviceMemoryBudget> budget,
                                            const HostBytesProvider& preferred_cpu_bytes) {
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
  if (device.device_type == kDLCPU && device.device_id == 0 && preferred_cpu_bytes) {
    absl::StatusOr<std::shared_ptr<void>> block = preferred_cpu_bytes(bytes);
    if (block.ok()) provided = *std::move(block);
  }
  if (device.device_type == kDLCPU && device.device_id == 0 && provided == nullptr) {
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
  Held(device.device_type).fetch_add(bytes, std::memory_order_relaxed);
  return ffi::Tensor::FromNDAlloc(
      DeviceAlloc{api, *data, bytes, std::move(budget), std::move(provided)}, shape, dtype, device);
}

uint64_t DeviceTensorBytesHeld(DLDeviceType type) {
  return Held(type).load(std::memory_order_relaxed);
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

namespace {

// The other processes' allocations this process has mapped, by handle: each handle is opened
// once (the driver refuses a second open in one process) and closed when the last view of it
// goes. Opening, counting and closing all happen under the table's lock: with a reference count
// that reached zero outside it (a weak_ptr), an open of the same handle could come between the
// last view's end and the close, and the driver refused it as already mapped (seen under ASan:
// a client's CUDA tensor, passed in call after call, arrived once as a remote tensor instead).
struct IpcMapped {
  DeviceApi* api;
  IpcMapping mapping;
  int views = 0;
};
struct IpcTable {
  std::mutex mutex;
  std::map<std::string, IpcMapped> by_handle;
};
IpcTable& Ipcs() {
  static IpcTable* table = new IpcTable();
  return *table;
}
// One view of handle's mapping fewer; the last closes it. Under the table's lock.
void DropViewLocked(IpcTable& table, std::map<std::string, IpcMapped>::iterator it) {
  if (--it->second.views > 0) return;
  (void)it->second.api->CloseIpc(it->second.mapping.device_id, it->second.mapping.base);
  table.by_handle.erase(it);
}

// A view of device memory that another owner keeps alive.
struct IpcView {
  void* data;
  std::string handle;  // the mapping this view counts in
  std::function<void()> on_free;
  void AllocData(DLTensor* t) { t->data = data; }
  void FreeData(DLTensor*) {
    {
      IpcTable& table = Ipcs();
      std::lock_guard<std::mutex> lock(table.mutex);
      auto it = table.by_handle.find(handle);
      if (it != table.by_handle.end()) DropViewLocked(table, it);
    }
    if (on_free) on_free();
  }
};

}  // namespace

absl::StatusOr<IpcTensorRef> ExportIpcTensor(const DLTensor& t) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, GetDeviceApi(t.device.device_type));
  const char* data = static_cast<const char*>(t.data) + t.byte_offset;
  IpcTensorRef ref;
  TVMFFI_RPC_ASSIGN_OR_RETURN(ref.where, api->ExportIpc(t.device.device_id, data));
  ref.pid = ::getpid();
  return ref;
}

absl::StatusOr<ffi::Tensor> OpenIpcTensor(const IpcTensorRef& ref, DLDevice device,
                                          ffi::ShapeView shape, DLDataType dtype,
                                          std::function<void()> on_free) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, GetDeviceApi(device.device_type));
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(numel, d, &numel)) {
      return rpc::ValueError("a tensor's extents must be >= 0 and their product fit 64 bits");
    }
  }
  uint64_t bytes = ffi::GetDataSize(numel, dtype);
  auto outside = [&](uint64_t size) {
    return rpc::ValueError(absl::StrCat("a shared device tensor of ", bytes, " bytes at offset ",
                                        ref.where.offset, " lies outside its allocation of ", size,
                                        " bytes"));
  };
  if (ref.pid == ::getpid()) {
    // The driver refuses; and a pointer of this process named by a peer is not to be trusted
    // (it could name another session's memory). The caller falls back to a remote tensor.
    return absl::FailedPreconditionError(
        "a CUDA IPC handle is not opened in the process that made it");
  }
  IpcTable& table = Ipcs();
  std::lock_guard<std::mutex> lock(table.mutex);
  auto it = table.by_handle.find(ref.where.handle);
  if (it == table.by_handle.end()) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(IpcMapping mapping,
                                api->OpenIpc(ref.where.handle, ref.where.device_uuid));
    it = table.by_handle.emplace(ref.where.handle, IpcMapped{api, mapping}).first;
  }
  ++it->second.views;
  const IpcMapping& mapping = it->second.mapping;
  if (ref.where.offset > mapping.size || bytes > mapping.size - ref.where.offset) {
    absl::Status refused = outside(mapping.size);
    DropViewLocked(table, it);  // a fresh mapping no view uses is closed again
    return refused;
  }
  void* data = static_cast<char*>(mapping.base) + ref.where.offset;
  DLDevice here{device.device_type, mapping.device_id};
  return ffi::Tensor::FromNDAlloc(IpcView{data, ref.where.handle, std::move(on_free)}, shape, dtype,
                                  here);
}

absl::Status CopyIntoTensor(const DLTensor& t, const void* host, uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, ApiOf(t));
  if (bytes != ffi::GetDataSize(t)) {
    return rpc::ValueError(
        absl::StrCat("copying ", bytes, " bytes into a tensor of ", ffi::GetDataSize(t), " bytes"));
  }
  if (bytes == 0) return absl::OkStatus();  // an empty tensor: no driver call, no host pointer
  return api->CopyFromHost(t.device.device_id, static_cast<char*>(t.data) + t.byte_offset, host,
                           bytes, EnvStream(t.device));
}

absl::Status CopyFromTensor(const DLTensor& t, void* host, uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(DeviceApi * api, ApiOf(t));
  if (bytes != ffi::GetDataSize(t)) {
    return rpc::ValueError(
        absl::StrCat("copying a tensor of ", ffi::GetDataSize(t), " bytes into ", bytes, " bytes"));
  }
  if (bytes == 0) return absl::OkStatus();
  return api->CopyToHost(t.device.device_id, host, static_cast<const char*>(t.data) + t.byte_offset,
                         bytes, EnvStream(t.device));
}

}  // namespace tvmffi::device
