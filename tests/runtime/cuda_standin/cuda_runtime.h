// Stand-in cuda_runtime.h (tests only): see standin_state.h.
#ifndef TVMFFI_TESTS_CUDA_STANDIN_CUDA_RUNTIME_H_
#define TVMFFI_TESTS_CUDA_STANDIN_CUDA_RUNTIME_H_

#include "standin_state.h"

#ifndef CUDART_VERSION
#define CUDART_VERSION 12080
#endif

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorInvalidDevice = 101,
  cudaErrorSymbolNotFound = 500
};
enum cudaDeviceAttr { cudaDevAttrMaxSharedMemoryPerBlock = 8 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
enum cudaLaunchAttributeID { cudaLaunchAttributeClusterDimension = 4 };

using cudaStream_t = CUstream_st*;
using cudaLibrary_t = CUlib_st*;
using cudaKernel_t = CUkern_st*;

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct cudaFuncAttributes {
  size_t sharedSizeBytes;
};
struct cudaLaunchAttribute {
  cudaLaunchAttributeID id;
  union {
    struct {
      unsigned x, y, z;
    } clusterDim;
  } val;
};
struct cudaLaunchConfig_t {
  dim3 gridDim;
  dim3 blockDim;
  size_t dynamicSmemBytes;
  cudaStream_t stream;
  cudaLaunchAttribute* attrs;
  unsigned numAttrs;
};

inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorInvalidDevice:
      return "cudaErrorInvalidDevice";
    default:
      return "cudaErrorSymbolNotFound";
  }
}
inline const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaErrorInvalidDevice ? "invalid device ordinal" : "stand-in failure";
}
inline cudaError_t cudaGetDevice(int* device) {
  *device = standin::state.current_device;
  return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int device) {
  ++standin::state.set_device_calls;
  if (device < 0 || device >= standin::state.device_count) return cudaErrorInvalidDevice;
  standin::state.current_device = device;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceCount(int* count) {
  *count = standin::state.device_count;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (attr != cudaDevAttrMaxSharedMemoryPerBlock || device >= standin::state.device_count) {
    return cudaErrorInvalidValue;
  }
  *value = standin::state.device_max_smem;
  return cudaSuccess;
}
inline cudaError_t cudaLibraryLoadData(cudaLibrary_t* lib, const void* image, void*, void**,
                                       unsigned, void*, void**, unsigned) {
  return static_cast<cudaError_t>(standin::LoadLibrary(lib, image));
}
inline cudaError_t cudaLibraryUnload(cudaLibrary_t) {
  ++standin::state.libraries_unloaded;
  return cudaSuccess;
}
inline cudaError_t cudaLibraryGetKernel(cudaKernel_t* kernel, cudaLibrary_t lib, const char* name) {
  return static_cast<cudaError_t>(standin::GetKernel(kernel, lib, name));
}
inline cudaError_t cudaLaunchKernel(const void* func, dim3 grid, dim3 block, void** args,
                                    size_t smem, cudaStream_t stream) {
  unsigned g[3] = {grid.x, grid.y, grid.z}, b[3] = {block.x, block.y, block.z};
  standin::Record(func, g, b, smem, stream, args, 0);
  return cudaSuccess;
}
inline cudaError_t cudaLaunchKernelExC(const cudaLaunchConfig_t* config, const void* func,
                                       void** args) {
  unsigned g[3] = {config->gridDim.x, config->gridDim.y, config->gridDim.z};
  unsigned b[3] = {config->blockDim.x, config->blockDim.y, config->blockDim.z};
  unsigned cluster =
      config->numAttrs > 0 && config->attrs[0].id == cudaLaunchAttributeClusterDimension
          ? config->attrs[0].val.clusterDim.x
          : 0;
  standin::Record(func, g, b, config->dynamicSmemBytes, config->stream, args, cluster);
  return cudaSuccess;
}
inline cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* attrs, const void*) {
  attrs->sharedSizeBytes = static_cast<size_t>(standin::state.kernel_static_smem);
  return cudaSuccess;
}
inline cudaError_t cudaKernelSetAttributeForDevice(cudaKernel_t, cudaFuncAttribute, int value,
                                                   int device) {
  if (standin::state.devices_refusing_smem.count(device)) return cudaErrorInvalidValue;
  standin::state.max_dynamic_smem[device] = value;
  return cudaSuccess;
}

#endif  // TVMFFI_TESTS_CUDA_STANDIN_CUDA_RUNTIME_H_
