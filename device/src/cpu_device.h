// The built-in devices' constructors and a check the backends share.
#ifndef TVMFFI_DEVICE_SRC_CPU_DEVICE_H_
#define TVMFFI_DEVICE_SRC_CPU_DEVICE_H_

#include <string>

#include "tvmffi/device/device_api.h"
#include "tvmffi/proto/error_kind.h"
#include "tvmffi/proto/status.h"

// ValueError from the enclosing function when id is not a device of this API.
#define TVMFFI_DEVICE_RETURN_IF_BAD_ID(id)                                                    \
  do {                                                                                        \
    if ((id) < 0 || (id) >= Count()) {                                                        \
      return ::tvmffi::rpc::ValueError("no device " + DeviceName(DLDevice{type(), (id)}) +    \
                                       " on this server (it has " + std::to_string(Count()) + \
                                       ")");                                                  \
    }                                                                                         \
  } while (false)

// A RuntimeError naming the failed driver call, from the enclosing CUDA method.
#define TVMFFI_DEVICE_RETURN_IF_CUDA(expr)                                         \
  do {                                                                             \
    ::tvmffi::device::cuda::CUresult tvmffi_cuda_result_ = (expr);                 \
    if (tvmffi_cuda_result_ != ::tvmffi::device::cuda::CUDA_SUCCESS) {             \
      return ::tvmffi::rpc::RuntimeError(                                          \
          ::tvmffi::device::cuda::DescribeError(*d_, #expr, tvmffi_cuda_result_)); \
    }                                                                              \
  } while (false)

namespace tvmffi::device {
// The process's CPU device (never null).
DeviceApi* CpuDeviceApi();
// The CUDA device, or why there is none ("CUDA is not available on this server: ...").
absl::StatusOr<DeviceApi*> CudaDeviceApi();
}  // namespace tvmffi::device

#endif  // TVMFFI_DEVICE_SRC_CPU_DEVICE_H_
