/*
 * tvmffi-rpc runtime: CUDADeviceGuard, which makes a device current for a scope and puts the
 * previous one back when the scope ends:
 *
 *   void Kernel(ffi::TensorView x) {
 *     ffi::CUDADeviceGuard guard(x.device().device_id);
 *     ...  // launches go to x's device
 *   }
 *
 * It calls cudaSetDevice only when the device changes; a failing CUDA call throws (from the
 * destructor too, as upstream's does).
 */
#ifndef TVM_FFI_EXTRA_CUDA_DEVICE_GUARD_H_
#define TVM_FFI_EXTRA_CUDA_DEVICE_GUARD_H_

#include <tvm/ffi/extra/cuda/base.h>

namespace tvm {
namespace ffi {

struct CUDADeviceGuard {
  CUDADeviceGuard() = delete;
  CUDADeviceGuard(const CUDADeviceGuard&) = delete;
  CUDADeviceGuard& operator=(const CUDADeviceGuard&) = delete;

  /*! \brief Makes `device_index` current, remembering the device that was. */
  explicit CUDADeviceGuard(int device_index) : target_device_index_(device_index) {
    TVM_FFI_CHECK_CUDA_ERROR(cudaGetDevice(&original_device_index_));
    if (target_device_index_ != original_device_index_) {
      TVM_FFI_CHECK_CUDA_ERROR(cudaSetDevice(target_device_index_));
    }
  }
  /*! \brief Makes the remembered device current again. */
  ~CUDADeviceGuard() noexcept(false) {
    if (target_device_index_ != original_device_index_) {
      TVM_FFI_CHECK_CUDA_ERROR(cudaSetDevice(original_device_index_));
    }
  }

 private:
  int original_device_index_ = 0;
  int target_device_index_;
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_EXTRA_CUDA_DEVICE_GUARD_H_
