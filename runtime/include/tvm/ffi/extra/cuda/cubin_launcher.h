/*
 * tvmffi-rpc runtime: launching kernels from a cubin (or fatbin) image carried inside a module,
 * without nvcc-generated glue.
 *
 *   CubinModule mod(image);                    // loads the image (cudaLibraryLoadData)
 *   CubinKernel k = mod["add_one"];            // finds a kernel by name
 *   void* args[] = {&x_ptr, &y_ptr, &n};
 *   TVM_FFI_CHECK_CUBIN_LAUNCHER_CUDA_ERROR(k.Launch(args, grid, block, stream));
 *
 * An image linked into the library as the symbols __tvm_ffi__cubin_<name> and
 * __tvm_ffi__cubin_<name>_end (objcopy/ld, or upstream's tvm_ffi_embed_cubin CMake helper)
 * is named with TVM_FFI_EMBED_CUBIN(<name>) and loaded once, on first use, by
 * TVM_FFI_EMBED_CUBIN_GET_KERNEL(<name>, "kernel"). TVM_FFI_EMBED_CUBIN_FROM_BYTES(<name>,
 * bytes) does the same for an image held in an array. Needs cuda.h and cuda_runtime.h; see
 * internal/unified_api.h for the choice between the runtime and the driver API.
 */
#ifndef TVM_FFI_EXTRA_CUDA_CUBIN_LAUNCHER_H_
#define TVM_FFI_EXTRA_CUDA_CUBIN_LAUNCHER_H_

#include <cuda.h>
#include <cuda_runtime.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/extra/cuda/base.h>
#include <tvm/ffi/extra/cuda/internal/unified_api.h>
#include <tvm/ffi/string.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace tvm {
namespace ffi {

/*! \brief Names the image linked in as __tvm_ffi__cubin_<name>[_end]. */
#define TVM_FFI_EMBED_CUBIN(name)                         \
  extern "C" const char __tvm_ffi__cubin_##name[];        \
  extern "C" const char __tvm_ffi__cubin_##name##_end[];  \
  namespace {                                             \
  struct EmbedCubinModule_##name {                        \
    ::tvm::ffi::CubinModule mod{__tvm_ffi__cubin_##name}; \
    static EmbedCubinModule_##name* Global() {            \
      static EmbedCubinModule_##name instance;            \
      return &instance;                                   \
    }                                                     \
  };                                                      \
  }

/*! \brief Names an image held in `image_bytes` (anything CubinModule takes). */
#define TVM_FFI_EMBED_CUBIN_FROM_BYTES(name, image_bytes) \
  namespace {                                             \
  struct EmbedCubinModule_##name {                        \
    ::tvm::ffi::CubinModule mod{image_bytes};             \
    static EmbedCubinModule_##name* Global() {            \
      static EmbedCubinModule_##name instance;            \
      return &instance;                                   \
    }                                                     \
  };                                                      \
  }

/*! \brief The kernel `kernel_name` of the embedded image `name` (loaded on first use). */
#define TVM_FFI_EMBED_CUBIN_GET_KERNEL(name, kernel_name) \
  (EmbedCubinModule_##name::Global()->mod[kernel_name])

class CubinKernel;

/*! \brief A loaded image; unloads it when destroyed. Movable, not copyable. */
class CubinModule {
 public:
  explicit CubinModule(const Bytes& image) { Load(image.data()); }
  explicit CubinModule(const char* image) { Load(image); }
  explicit CubinModule(const unsigned char* image) { Load(image); }
  CubinModule(const CubinModule&) = delete;
  CubinModule& operator=(const CubinModule&) = delete;
  CubinModule(CubinModule&& other) noexcept : library_(other.library_) { other.library_ = nullptr; }
  CubinModule& operator=(CubinModule&& other) noexcept {
    if (this != &other) {
      Unload();
      library_ = other.library_;
      other.library_ = nullptr;
    }
    return *this;
  }
  ~CubinModule() { Unload(); }

  /*! \brief The kernel called `name`; a RuntimeError when the image has none. */
  CubinKernel GetKernel(const char* name);
  /*!
   * \brief The kernel, allowed `dynamic_smem_max` bytes of dynamic shared memory on every
   *        device (-1: all the device has beyond the kernel's static use). Fails only when no
   *        device accepts the setting.
   */
  CubinKernel GetKernelWithMaxDynamicSharedMemory(const char* name, int64_t dynamic_smem_max = -1);
  CubinKernel operator[](const char* name);
  cuda_api::LibraryHandle GetHandle() const { return library_; }

 private:
  void Load(const void* image) {
    TVM_FFI_CHECK_CUBIN_LAUNCHER_CUDA_ERROR(cuda_api::LoadLibrary(&library_, image));
  }
  void Unload() noexcept {
    if (library_ != nullptr) {
      cuda_api::UnloadLibrary(library_);  // nothing useful to do with a failure here
      library_ = nullptr;
    }
  }

  cuda_api::LibraryHandle library_ = nullptr;
};

/*! \brief A kernel of a loaded image. The image must outlive it. Movable, not copyable. */
class CubinKernel {
 public:
  CubinKernel(cuda_api::LibraryHandle library, const char* name) {
    TVM_FFI_CHECK_CUBIN_LAUNCHER_CUDA_ERROR(cuda_api::GetKernel(&kernel_, library, name));
  }
  CubinKernel(const CubinKernel&) = delete;
  CubinKernel& operator=(const CubinKernel&) = delete;
  CubinKernel(CubinKernel&& other) noexcept : kernel_(other.kernel_) { other.kernel_ = nullptr; }
  CubinKernel& operator=(CubinKernel&& other) noexcept {
    if (this != &other) {
      kernel_ = other.kernel_;
      other.kernel_ = nullptr;
    }
    return *this;
  }
  ~CubinKernel() = default;

  /*! \brief Launches on `stream`; `args` points at each kernel argument. Returns the status. */
  cuda_api::ResultType Launch(void** args, dim3 grid, dim3 block, cuda_api::StreamHandle stream,
                              uint32_t dyn_smem_bytes = 0) {
    return cuda_api::LaunchKernel(kernel_, args, grid, block, stream, dyn_smem_bytes);
  }
  /*! \brief Launches with a configuration from cuda_api::ConstructLaunchConfig. */
  cuda_api::ResultType LaunchEx(void** args, const cuda_api::LaunchConfig& config) {
    return cuda_api::LaunchKernelEx(kernel_, args, config);
  }
  cuda_api::KernelHandle GetHandle() const { return kernel_; }

 private:
  friend class CubinModule;

  void SetMaxDynamicSharedMemory(int64_t dynamic_smem_max) {
    int device_count = 0;
    if (cuda_api::GetDeviceCount(&device_count) != cuda_api::kSuccess || device_count == 0) {
      return;  // no device: nothing to set
    }
    bool set_somewhere = false;
    for (int id = 0; id < device_count; ++id) {
      cuda_api::DeviceHandle device = cuda_api::GetDeviceHandle(id);
      // attribute 8: cudaDevAttrMaxSharedMemoryPerBlock / CU_DEVICE_ATTRIBUTE_MAX_SHARED_..._BLOCK
      int device_max = 0;
      if (cuda_api::GetDeviceAttribute(&device_max, cuda_api::DeviceAttrType(8), device) !=
          cuda_api::kSuccess) {
        continue;
      }
      int64_t allowed = dynamic_smem_max;
      if (allowed == -1) {
        int static_use = 0;
        if (cuda_api::GetKernelSharedMem(kernel_, static_use, device) != cuda_api::kSuccess) {
          continue;
        }
        allowed = std::max<int64_t>(0, int64_t{device_max} - static_use);
      }
      if (cuda_api::SetKernelMaxDynamicSharedMem(kernel_, static_cast<int>(allowed), device) ==
          cuda_api::kSuccess) {
        set_somewhere = true;
      }
    }
    if (!set_somewhere) {
      TVM_FFI_THROW(RuntimeError)
          << "could not set the dynamic shared memory limit of the kernel on any of "
          << device_count << " devices";
    }
  }

  cuda_api::KernelHandle kernel_ = nullptr;
};

inline CubinKernel CubinModule::GetKernel(const char* name) { return CubinKernel(library_, name); }

inline CubinKernel CubinModule::GetKernelWithMaxDynamicSharedMemory(const char* name,
                                                                    int64_t dynamic_smem_max) {
  CubinKernel kernel(library_, name);
  kernel.SetMaxDynamicSharedMemory(dynamic_smem_max);
  return kernel;
}

inline CubinKernel CubinModule::operator[](const char* name) { return GetKernel(name); }

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_CUDA_CUBIN_LAUNCHER_H_
