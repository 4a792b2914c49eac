// The device layer: memory, copies, streams and facts of the devices a server drives. The CPU
// is built in; CUDA is loaded at run time from the driver library (libcuda.so.1), with no CUDA
// header or library at build time, and reports why when it cannot be used. One DeviceApi per
// device type; device ids index the devices of that type.
#ifndef TVMFFI_DEVICE_DEVICE_API_H_
#define TVMFFI_DEVICE_DEVICE_API_H_

#include <dlpack/dlpack.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tvmffi::device {

// What a client sees of a device.
struct DeviceFacts {
  DLDevice device{kDLCPU, 0};
  std::string name;                  // "NVIDIA H100 80GB HBM3", or the CPU's model name
  uint64_t total_memory = 0;         // bytes
  uint64_t free_memory = 0;          // bytes, when asked
  int compute_capability_major = 0;  // CUDA only (0 elsewhere)
  int compute_capability_minor = 0;
  int multiprocessor_count = 0;  // CUDA SMs; CPU: online cores
};

// An opaque stream of one device (CUDA: a CUstream; CPU: null, everything is synchronous).
using StreamHandle = void*;

// Device memory another process on this host can map (CUDA IPC): the handle of the allocation
// holding a pointer, and where in it the pointer is.
struct IpcExport {
  std::string handle;       // opaque (CUDA: cuIpcGetMemHandle's 64 bytes)
  uint64_t offset = 0;      // from the allocation's start
  std::string device_uuid;  // the device, by UUID: processes may number devices differently
};
// An allocation of another process, mapped here.
struct IpcMapping {
  int device_id = 0;  // this process's number for the device
  void* base = nullptr;
  uint64_t size = 0;
};

// Time measured by the device itself between two points of a stream (CUDA: events), so the
// figure is the device's work, not the host's wait for it.
class DeviceTimer {
 public:
  virtual ~DeviceTimer() = default;
  // Marks the start on the stream (after what is queued there already).
  virtual absl::Status Start() = 0;
  // Marks the end, waits until the device reaches it, and returns the seconds in between.
  virtual absl::StatusOr<double> Stop() = 0;
};

class DeviceApi {
 public:
  virtual ~DeviceApi() = default;
  virtual DLDeviceType type() const = 0;
  // How many devices of this type there are.
  virtual int Count() const = 0;
  virtual absl::StatusOr<DeviceFacts> Facts(int id) const = 0;

  // Device memory of `bytes` (at least 256-byte aligned); MemoryError when there is none left.
  virtual absl::StatusOr<void*> Alloc(int id, uint64_t bytes) = 0;
  virtual absl::Status Free(int id, void* ptr) = 0;
  // Copies ordered on stream (null: the device's default order); CopyToHost returns once the
  // bytes are in host memory.
  virtual absl::Status CopyFromHost(int id, void* dst, const void* host_src, uint64_t bytes,
                                    StreamHandle stream) = 0;
  virtual absl::Status CopyToHost(int id, void* host_dst, const void* src, uint64_t bytes,
                                  StreamHandle stream) = 0;
  virtual absl::Status CopyWithin(int id, void* dst, const void* src, uint64_t bytes,
                                  StreamHandle stream) = 0;
  virtual absl::StatusOr<StreamHandle> CreateStream(int id) = 0;
  virtual absl::Status DestroyStream(int id, StreamHandle stream) = 0;
  // Waits for everything queued on stream (null: the whole device).
  virtual absl::Status Synchronize(int id, StreamHandle stream) = 0;

  // A timer on stream; UNIMPLEMENTED where the device has no clock of its own (time on the
  // host instead).
  virtual absl::StatusOr<std::unique_ptr<DeviceTimer>> CreateTimer(int id, StreamHandle stream) {
    (void)id;
    (void)stream;
    return absl::UnimplementedError("this device has no timer of its own");
  }

  // Same-host sharing. The default: not supported by this device type.
  // The allocation of this process holding ptr: {base, size}.
  virtual absl::StatusOr<std::pair<void*, uint64_t>> AllocationOf(int id, const void* ptr) {
    (void)id;
    (void)ptr;
    return absl::UnimplementedError("this device has no allocation table");
  }
  virtual absl::StatusOr<IpcExport> ExportIpc(int id, const void* ptr) {
    (void)id;
    (void)ptr;
    return absl::UnimplementedError("this device cannot share memory between processes");
  }
  // Maps another process's allocation; once per handle per process (CloseIpc undoes it).
  virtual absl::StatusOr<IpcMapping> OpenIpc(const std::string& handle,
                                             const std::string& device_uuid) {
    (void)handle;
    (void)device_uuid;
    return absl::UnimplementedError("this device cannot share memory between processes");
  }
  virtual absl::Status CloseIpc(int id, void* base) {
    (void)id;
    (void)base;
    return absl::UnimplementedError("this device cannot share memory between processes");
  }
};

// The API of a device type, or NOT_FOUND / UNAVAILABLE (with the reason) when this process
// cannot drive it, e.g. "CUDA is not available on this server: libcuda.so.1: cannot open
// shared object file".
absl::StatusOr<DeviceApi*> GetDeviceApi(DLDeviceType type);
// Every device this process can drive, CPU first, with their facts (free memory included).
std::vector<DeviceFacts> ListDevices();
// OK when CUDA can be used here, else why not ("CUDA is not available on this server: ...").
absl::Status CudaStatus();
// "cpu", "cuda", ...; "cuda:0" with an id.
std::string DeviceTypeName(DLDeviceType type);
std::string DeviceName(DLDevice device);

}  // namespace tvmffi::device

#endif  // TVMFFI_DEVICE_DEVICE_API_H_
