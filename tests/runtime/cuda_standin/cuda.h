// Stand-in cuda.h (tests only): the driver API, see standin_state.h.
#ifndef TVMFFI_TESTS_CUDA_STANDIN_CUDA_H_
#define TVMFFI_TESTS_CUDA_STANDIN_CUDA_H_

#include "standin_state.h"

enum CUresult { CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_NOT_FOUND = 500 };
enum CUdevice_attribute { CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8 };
enum CUfunction_attribute {
  CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
};
enum CUlaunchAttributeID { CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION = 4 };

using CUdevice = int;
using CUstream = CUstream_st*;
using CUlibrary = CUlib_st*;
using CUkernel = CUkern_st*;
using CUfunction = struct CUfunc_st*;

struct CUlaunchAttribute {
  CUlaunchAttributeID id;
  union {
    struct {
      unsigned x, y, z;
    } clusterDim;
  } value;
};
struct CUlaunchConfig {
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute* attrs;
  unsigned numAttrs;
};

inline CUresult cuGetErrorName(CUresult e, const char** name) {
  *name = e == CUDA_ERROR_NOT_FOUND ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_INVALID_VALUE";
  return CUDA_SUCCESS;
}
inline CUresult cuGetErrorString(CUresult e, const char** text) {
  *text = e == CUDA_ERROR_NOT_FOUND ? "named symbol not found" : "invalid argument";
  return CUDA_SUCCESS;
}
inline CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  if (ordinal < 0 || ordinal >= standin::state.device_count) return CUDA_ERROR_INVALID_VALUE;
  *device = ordinal;
  return CUDA_SUCCESS;
}
inline CUresult cuDeviceGetCount(int* count) {
  *count = standin::state.device_count;
  return CUDA_SUCCESS;
}
inline CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute, CUdevice device) {
  if (device >= standin::state.device_count) return CUDA_ERROR_INVALID_VALUE;
  *value = standin::state.device_max_smem;
  return CUDA_SUCCESS;
}
inline CUresult cuLibraryLoadData(CUlibrary* lib, const void* image, void*, void**, unsigned, void*,
                                  void**, unsigned) {
  return static_cast<CUresult>(standin::LoadLibrary(lib, image));
}
inline CUresult cuLibraryUnload(CUlibrary) {
  ++standin::state.libraries_unloaded;
  return CUDA_SUCCESS;
}
inline CUresult cuLibraryGetKernel(CUkernel* kernel, CUlibrary lib, const char* name) {
  return static_cast<CUresult>(standin::GetKernel(kernel, lib, name));
}
inline CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                               unsigned by, unsigned bz, unsigned smem, CUstream stream,
                               void** args, void**) {
  unsigned g[3] = {gx, gy, gz}, b[3] = {bx, by, bz};
  standin::Record(f, g, b, smem, stream, args, 0);
  return CUDA_SUCCESS;
}
inline CUresult cuLaunchKernelEx(const CUlaunchConfig* c, CUfunction f, void** args, void**) {
  unsigned g[3] = {c->gridDimX, c->gridDimY, c->gridDimZ};
  unsigned b[3] = {c->blockDimX, c->blockDimY, c->blockDimZ};
  unsigned cluster = c->numAttrs > 0 && c->attrs[0].id == CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION
                         ? c->attrs[0].value.clusterDim.x
                         : 0;
  standin::Record(f, g, b, c->sharedMemBytes, c->hStream, args, cluster);
  return CUDA_SUCCESS;
}
inline CUresult cuKernelGetAttribute(int* value, CUfunction_attribute, CUkernel, CUdevice) {
  *value = standin::state.kernel_static_smem;
  return CUDA_SUCCESS;
}
inline CUresult cuKernelSetAttribute(CUfunction_attribute, int value, CUkernel, CUdevice device) {
  if (standin::state.devices_refusing_smem.count(device)) return CUDA_ERROR_INVALID_VALUE;
  standin::state.max_dynamic_smem[device] = value;
  return CUDA_SUCCESS;
}

#endif  // TVMFFI_TESTS_CUDA_STANDIN_CUDA_H_
