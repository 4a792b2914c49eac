// Tensors whose bytes the device layer allocated: on any device it drives, CPU included. Such
// a tensor stays in the process that made it: a session sends a reference to it (a remote
// tensor on the peer's side), never its bytes, whatever its device.
#ifndef TVMFFI_DEVICE_DEVICE_TENSOR_H_
#define TVMFFI_DEVICE_DEVICE_TENSOR_H_

#include <tvm/ffi/container/tensor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "tvmffi/device/device_api.h"

namespace tvmffi::device {

// What one holder (a session) may have allocated through NewDeviceTensor at once, over all
// devices; its tensors give their bytes back when freed.
struct DeviceMemoryBudget {
  explicit DeviceMemoryBudget(uint64_t limit) : limit(limit) {}
  const uint64_t limit;  // bytes
  std::atomic<uint64_t> used{0};
};

// Where NewDeviceTensor's CPU tensors get their bytes: a block of at least `bytes` bytes that
// lives while the returned pointer does. Null (the default): the CPU device's own allocator.
// The server under --isolate hands out shared memory, so its workers map the same bytes.
using HostBytesProvider = std::function<absl::StatusOr<std::shared_ptr<void>>(uint64_t bytes)>;
void SetCpuBytesProvider(HostBytesProvider provider);

// A compact tensor of shape and dtype on device, its memory from the device's DeviceApi (freed
// through it with the last reference). ValueError for an unsupported device or a bad shape,
// MemoryError when the device is full or the tensor would take budget past its limit.
// preferred_cpu_bytes, when set, is tried first for a tensor on cpu:0; where it fails the
// tensor gets its bytes as it would without it.
absl::StatusOr<tvm::ffi::Tensor> NewDeviceTensor(
    tvm::ffi::ShapeView shape, DLDataType dtype, DLDevice device,
    std::shared_ptr<DeviceMemoryBudget> budget = nullptr,
    const HostBytesProvider& preferred_cpu_bytes = nullptr);

// Bytes held now by tensors NewDeviceTensor made on devices of `type` (every holder), for
// the server's metrics.
uint64_t DeviceTensorBytesHeld(DLDeviceType type);

// Whether t is to stay where it is: made by NewDeviceTensor, or on a device whose memory the
// host cannot read.
bool IsResident(const DLTensor& t);

// Same host: a tensor on a device that another process can map (CUDA IPC), so the process it
// is sent to works on this one's memory in place.
struct IpcTensorRef {
  IpcExport where;
  int64_t pid = 0;  // the exporting process
};
// t's allocation as a handle, or why not (UNIMPLEMENTED for a device without IPC).
absl::StatusOr<IpcTensorRef> ExportIpcTensor(const DLTensor& t);
// The tensor `ref` names, of shape and dtype on a device of `device_type`: a view of the
// exporter's memory, mapped here (each handle once per process, unmapped with the last view).
// on_free runs when the view goes. ValueError when the tensor would lie outside the
// allocation; FAILED_PRECONDITION for a handle of this very process (never opened).
absl::StatusOr<tvm::ffi::Tensor> OpenIpcTensor(const IpcTensorRef& ref, DLDevice device,
                                               tvm::ffi::ShapeView shape, DLDataType dtype,
                                               std::function<void()> on_free);

// Copies host bytes into t / t into host memory (both compact, `bytes` long), through t's
// device, ordered on this thread's stream for it (TVMFFIEnvGetStream: a server's session stream
// while it serves a call); the copy is complete on return.
absl::Status CopyIntoTensor(const DLTensor& t, const void* host, uint64_t bytes);
absl::Status CopyFromTensor(const DLTensor& t, void* host, uint64_t bytes);

}  // namespace tvmffi::device

#endif  // TVMFFI_DEVICE_DEVICE_TENSOR_H_
