#include "session_streams.h"

#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/c_env_api.h>

#include <algorithm>
#include <optional>

namespace tvmffi::rpc::internal {
namespace ffi = tvm::ffi;

SessionStreams::~SessionStreams() {
  for (const auto& [key, stream] : streams_) {
    absl::StatusOr<device::DeviceApi*> api =
        device::GetDeviceApi(static_cast<DLDeviceType>(key.first));
    if (api.ok()) (void)(*api)->DestroyStream(key.second, stream);
  }
}

namespace {
// The device of a tensor argument that runs kernels on streams (CUDA, ROCm), or nullopt.
std::optional<DLDevice> StreamDevice(const ffi::Any& arg) {
  if (arg.type_index() != kTVMFFITensor) return std::nullopt;
  DLDevice device = arg.as<ffi::TensorView>()->device();  // no reference taken
  if (device.device_type != kDLCUDA && device.device_type != kDLROCM) return std::nullopt;
  return device;
}
}  // namespace

SessionStreams::Scope SessionStreams::Enter(const std::vector<ffi::Any>& args) {
  Scope scope;
  // Most calls touch no GPU: they take no lock and set nothing.
  if (!any_.load(std::memory_order_acquire) &&
      std::none_of(args.begin(), args.end(),
                   [](const ffi::Any& a) { return StreamDevice(a).has_value(); })) {
    return scope;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const ffi::Any& arg : args) {
    std::optional<DLDevice> on = StreamDevice(arg);
    if (!on) continue;
    DLDevice device = *on;
    auto key = std::make_pair(static_cast<int32_t>(device.device_type), device.device_id);
    if (streams_.count(key) != 0) continue;
    absl::StatusOr<device::DeviceApi*> api = device::GetDeviceApi(device.device_type);
    if (!api.ok()) continue;  // not driven here: the function will say so itself
    absl::StatusOr<device::StreamHandle> stream = (*api)->CreateStream(device.device_id);
    if (stream.ok()) {
      streams_[key] = *stream;
      any_.store(true, std::memory_order_release);
    }  // else: the default stream, as without a session
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
