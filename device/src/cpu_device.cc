// The CPU device: host memory, memcpy, no streams.
#include "cpu_device.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "tvmffi/proto/error_kind.h"

namespace tvmffi::device {
namespace {

std::string CpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t start = line.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? "cpu" : line.substr(start);
      }
    }
  }
  return "cpu";
}

// MemAvailable from /proc/meminfo, in bytes (0 when unknown).
uint64_t AvailableMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

class CpuDevice final : public DeviceApi {
 public:
  DLDeviceType type() const override { return kDLCPU; }
  int Count() const override { return 1; }

  absl::StatusOr<DeviceFacts> Facts(int id) const override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    DeviceFacts facts;
    facts.device = DLDevice{kDLCPU, 0};
    facts.name = CpuModelName();
    facts.total_memory = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                         static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    facts.free_memory = AvailableMemory();
    facts.multiprocessor_count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    return facts;
  }

  absl::StatusOr<void*> Alloc(int id, uint64_t bytes) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    void* ptr = nullptr;
    if (::posix_memalign(&ptr, 256, bytes == 0 ? 1 : bytes) != 0) {
      return rpc::MemoryError("cannot allocate " + std::to_string(bytes) + " bytes on cpu:0");
    }
    return ptr;
  }
  absl::Status Free(int id, void* ptr) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    std::free(ptr);
    return absl::OkStatus();
  }
  absl::Status CopyFromHost(int id, void* dst, const void* src, uint64_t bytes,
                            StreamHandle) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    if (bytes != 0) std::memcpy(dst, src, bytes);
    return absl::OkStatus();
  }
  absl::Status CopyToHost(int id, void* dst, const void* src, uint64_t bytes,
                          StreamHandle) override {
    return CopyFromHost(id, dst, src, bytes, nullptr);
  }
  absl::Status CopyWithin(int id, void* dst, const void* src, uint64_t bytes,
                          StreamHandle) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    if (bytes != 0) std::memmove(dst, src, bytes);
    return absl::OkStatus();
  }
  absl::StatusOr<StreamHandle> CreateStream(int id) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    return StreamHandle{nullptr};
  }
  absl::Status DestroyStream(int id, StreamHandle) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    return absl::OkStatus();
  }
  absl::Status Synchronize(int id, StreamHandle) override {
    TVMFFI_DEVICE_RETURN_IF_BAD_ID(id);
    return absl::OkStatus();
  }
};

}  // namespace

DeviceApi* CpuDeviceApi() {
  static CpuDevice* cpu = new CpuDevice();
  return cpu;
}

}  // namespace tvmffi::device
