/*
 * tvmffi-rpc runtime: devices. DLDevice travels inline in an Any (kTVMFFIDevice); a string
 * such as "cuda:1" or "cpu" converts to one (type_traits.h holds the traits and the parser, so
 * every header that stores a DLDevice has them). details::TryStringViewToDLDevice parses
 * "<name>[:<index>]" (text after a space is ignored): cpu, cuda, cuda_host, cuda_managed,
 * opencl, vulkan, metal/mps, vpi, rocm, rocm_host, ext_dev, oneapi, hexagon, webgpu/wgpu, maia,
 * trn; the index is a non-negative int32.
 */
#ifndef TVM_FFI_DEVICE_H_
#define TVM_FFI_DEVICE_H_

#include <dlpack/dlpack.h>
#include <tvm/ffi/string.h>
#include <tvm/ffi/type_traits.h>

#include <optional>
#include <string_view>

namespace tvm {
namespace ffi {
namespace details {

/*! \brief The device a string names, or nullopt. */
inline std::optional<DLDevice> TryStringViewToDLDevice(std::string_view text) {
  DLDevice out;
  if (ParseDeviceString(text.data(), text.size(), &out)) return out;
  return std::nullopt;
}

}  // namespace details
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_DEVICE_H_
