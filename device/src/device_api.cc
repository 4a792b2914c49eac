// Which device types this process drives, and the names clients see.
#include "tvmffi/device/device_api.h"

#include <tvm/ffi/dtype.h>

#include "absl/strings/str_cat.h"
#include "cpu_device.h"
#include "tvmffi/proto/error_kind.h"

namespace tvmffi::device {

absl::StatusOr<DeviceApi*> GetDeviceApi(DLDeviceType type) {
  switch (type) {
    case kDLCPU:
      return CpuDeviceApi();
    case kDLCUDA:
      return CudaDeviceApi();
    default:
      return rpc::ValueError(absl::StrCat("device type ", DeviceTypeName(type), " (",
                                          static_cast<int>(type),
                                          ") is not supported by this server (cpu, cuda are)"));
  }
}

std::vector<DeviceFacts> ListDevices() {
  std::vector<DeviceFacts> out;
  for (DLDeviceType type : {kDLCPU, kDLCUDA}) {
    absl::StatusOr<DeviceApi*> api = GetDeviceApi(type);
    if (!api.ok()) continue;
    for (int id = 0; id < (*api)->Count(); ++id) {
      absl::StatusOr<DeviceFacts> facts = (*api)->Facts(id);
      if (facts.ok()) out.push_back(*std::move(facts));
    }
  }
  return out;
}

absl::Status CudaStatus() { return CudaDeviceApi().status(); }

std::string DeviceTypeName(DLDeviceType type) {
  std::string name = tvm::ffi::DLDeviceType2Str(type);  // the runtime's own names
  return name == "unknown" ? absl::StrCat("device_type_", static_cast<int>(type)) : name;
}

std::string DeviceName(DLDevice device) {
  return absl::StrCat(DeviceTypeName(device.device_type), ":", device.device_id);
}

}  // namespace tvmffi::device
