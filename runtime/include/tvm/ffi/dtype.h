/*
 * tvmffi-rpc runtime: DLDataType and DLDevice helpers (string forms, comparisons, printing).
 */
#ifndef TVM_FFI_DTYPE_H_
#define TVM_FFI_DTYPE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/string.h>

#include <ostream>
#include <string>
#include <string_view>

namespace tvm {
namespace ffi {

/*! \brief Parses a dtype name ("float32", "int8x4", ...); ValueError on a bad name. */
inline DLDataType StringToDLDataType(std::string_view str) {
  TVMFFIByteArray arr{str.data(), str.size()};
  DLDataType out;
  TVM_FFI_CHECK_SAFE_CALL(TVMFFIDataTypeFromString(&arr, &out));
  return out;
}

/*! \brief The canonical name of a dtype. */
inline String DLDataTypeToString(DLDataType dtype) {
  Any out;
  TVM_FFI_CHECK_SAFE_CALL(TVMFFIDataTypeToString(
      &dtype, reinterpret_cast<TVMFFIAny*>(details::AnyUnsafe::TVMFFIAnyPtrFromAny(&out))));
  return std::move(out).cast<String>();
}

/*! \brief The conventional name of a device type ("cpu", "cuda", ...). */
inline const char* DLDeviceType2Str(int type) {
  switch (type) {
    case kDLCPU:
      return "cpu";
    case kDLCUDA:
      return "cuda";
    case kDLCUDAHost:
      return "cuda_host";
    case kDLCUDAManaged:
      return "cuda_managed";
    case kDLOpenCL:
      return "opencl";
    case kDLVulkan:
      return "vulkan";
    case kDLMetal:
      return "metal";
    case kDLVPI:
      return "vpi";
    case kDLROCM:
      return "rocm";
    case kDLROCMHost:
      return "rocm_host";
    case kDLExtDev:
      return "ext_dev";
    case kDLOneAPI:
      return "oneapi";
    case kDLWebGPU:
      return "webgpu";
    case kDLHexagon:
      return "hexagon";
    case kDLMAIA:
      return "maia";
    case kDLTrn:
      return "trn";
    default:
      return "unknown";
  }
}

}  // namespace ffi
}  // namespace tvm

inline bool operator==(const DLDataType& a, const DLDataType& b) {
  return a.code == b.code && a.bits == b.bits && a.lanes == b.lanes;
}
inline bool operator!=(const DLDataType& a, const DLDataType& b) { return !(a == b); }
inline bool operator==(const DLDevice& a, const DLDevice& b) {
  return a.device_type == b.device_type && a.device_id == b.device_id;
}
inline bool operator!=(const DLDevice& a, const DLDevice& b) { return !(a == b); }
inline std::ostream& operator<<(std::ostream& os, const DLDataType& dtype) {
  return os << ::tvm::ffi::DLDataTypeToString(dtype);
}
inline std::ostream& operator<<(std::ostream& os, const DLDevice& dev) {
  return os << ::tvm::ffi::DLDeviceType2Str(dev.device_type) << ':' << dev.device_id;
}

#endif  // TVM_FFI_DTYPE_H_
