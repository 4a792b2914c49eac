/*
 * tvmffi-rpc runtime: what every CUDA helper here needs. TVM_FFI_CHECK_CUDA_ERROR turns a
 * failed CUDA runtime call into a RuntimeError naming the error; tvm::ffi::dim3 is a launch
 * shape that does not need CUDA's vector types. Include it from code compiled with the CUDA
 * toolkit's headers on the include path (cuda_runtime.h).
 */
#ifndef TVM_FFI_EXTRA_CUDA_BASE_H_
#define TVM_FFI_EXTRA_CUDA_BASE_H_

#include <cuda_runtime.h>
#include <tvm/ffi/error.h>

namespace tvm {
namespace ffi {

/*!
 * \brief Evaluates a CUDA runtime call once; anything but cudaSuccess throws
 *        RuntimeError("CUDA Runtime Error: <name> (<code>): <description>").
 */
#define TVM_FFI_CHECK_CUDA_ERROR(stmt)                                                  \
  do {                                                                                  \
    cudaError_t tvm_ffi_cuda_status_ = (stmt);                                          \
    if (tvm_ffi_cuda_status_ != cudaSuccess) {                                          \
      TVM_FFI_THROW(RuntimeError) << "CUDA Runtime Error: "                             \
                                  << cudaGetErrorName(tvm_ffi_cuda_status_) << " ("     \
                                  << static_cast<int>(tvm_ffi_cuda_status_)             \
                                  << "): " << cudaGetErrorString(tvm_ffi_cuda_status_); \
    }                                                                                   \
  } while (0)

/*! \brief A grid or block shape: x, y, z, each 1 unless given. */
struct dim3 {
  unsigned int x = 1;
  unsigned int y = 1;
  unsigned int z = 1;
  dim3() = default;
  explicit dim3(unsigned int x_) : x(x_) {}
  dim3(unsigned int x_, unsigned int y_) : x(x_), y(y_) {}
  dim3(unsigned int x_, unsigned int y_, unsigned int z_) : x(x_), y(y_), z(z_) {}
};

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_CUDA_BASE_H_
