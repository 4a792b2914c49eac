#include "session_streams.h"

#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/c_env_api.h>

namespace tvmffi::rpc::internal {
namespace ffi = tvm::ffi;

SessionStreams::~SessionStreams() {
  for (const auto& [key, stream] : streams_) {
    absl::StatusOr<device::DeviceApi*> api =
        device::GetDeviceApi(static_cast<DLDeviceType>(key.first));
    if (api.ok()) (void)(*api)->DestroyStream(key.second, stream);
  }
}

SessionStreams::Scope SessionStreams::Enter(const std::vector<ffi::Any>& args) {
  Scope scope;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const ffi::Any& arg : args) {
    if (arg.type_index() != kTVMFFITensor) continue;
    DLDevice device = arg.cast<ffi::Tensor>()->device;
    if (device.device_type != kDLCUDA && device.device_type != kDLROCM) continue;
    auto key = std::make_pair(static_cast<int32_t>(device.device_type), device.device_id);
    if (streams_.count(key) != 0) continue;
    absl::StatusOr<device::DeviceApi*> api = device::GetDeviceApi(device.device_type);
    if (!api.ok()) continue;  // not driven here: the function will say so itself
    absl::StatusOr<device::StreamHandle> stream = (*api)->CreateStream(device.device_id);
    if (stream.ok()) streams_[key] = *stream;  // else: the default stream, as without a session
  }
  if (streams_.empty()) return scope;
  scope.saved_.reserve(streams_.size());
  for (const auto& [key, stream] : streams_) {
    TVMFFIStreamHandle previous = nullptr;
    if (TVMFFIEnvSetStream(key.first, key.second, stream, &previous) == 0) {
      scope.saved_.emplace_back(DLDevice{static_cast<DLDeviceType>(key.first), key.second},
                                previous);
    }
  }
  return scope;
}

SessionStreams::Scope::~Scope() {
  for (const auto& [device, previous] : saved_) {
    (void)TVMFFIEnvSetStream(device.device_type, device.device_id, previous, nullptr);
  }
}

size_t SessionStreams::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.size();
}

}  // namespace tvmffi::rpc::internal
