/*
 * tvmffi-rpc runtime: tvm-ffi's environment C API (streams, tensor allocation, signals, module
 * symbols), binary-compatible with upstream v0.1.13-post2.
 */
#ifndef TVM_FFI_EXTRA_C_ENV_API_H_
#define TVM_FFI_EXTRA_C_ENV_API_H_

#include <tvm/ffi/c_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A device stream (cudaStream_t and the like), opaque to the runtime. */
typedef void* TVMFFIStreamHandle;

/* Sets the calling thread's current stream for a device; the previous one goes to
 * *opt_out_original_stream when that is not NULL. */
TVM_FFI_DLL int TVMFFIEnvSetStream(int32_t device_type, int32_t device_id,
                                   TVMFFIStreamHandle stream,
                                   TVMFFIStreamHandle* opt_out_original_stream);

/* The calling thread's current stream for a device, NULL if none was set. */
TVM_FFI_DLL TVMFFIStreamHandle TVMFFIEnvGetStream(int32_t device_type, int32_t device_id);

/* Sets the thread's DLPack tensor allocator (and the process-wide one when
 * write_to_global_context is non-zero). */
TVM_FFI_DLL int TVMFFIEnvSetDLPackManagedTensorAllocator(
    DLPackManagedTensorAllocator allocator, int write_to_global_context,
    DLPackManagedTensorAllocator* opt_out_original_allocator);

/* The thread's allocator, else the process-wide one, else NULL. */
TVM_FFI_DLL DLPackManagedTensorAllocator TVMFFIEnvGetDLPackManagedTensorAllocator(void);

/* Allocates a tensor with the prototype's dtype, ndim, shape and device through the current
 * allocator; a RuntimeError when none is set. */
TVM_FFI_DLL int TVMFFIEnvTensorAlloc(DLTensor* prototype, TVMFFIObjectHandle* out);

/* Non-zero, with the error set, when the frontend reports a pending signal (e.g. Ctrl-C in
 * Python) or when the remote call this thread runs was cancelled or ran past its deadline
 * (tvmffi-rpc): a long-running function polls it and returns the error. */
TVM_FFI_DLL int TVMFFIEnvCheckSignals(void);

/* Registers a frontend hook: "PyErr_CheckSignals", "PyGILState_Ensure" or "PyGILState_Release";
 * or "TVMFFIRPCCheckCall", the RPC session's check that TVMFFIEnvCheckSignals runs second. */
TVM_FFI_DLL int TVMFFIEnvRegisterCAPI(const char* name, void* symbol);

/* Finds func_name in the imports of the module library_ctx (recursively), then in the global
 * registry. *out is borrowed: the module caches it. */
TVM_FFI_DLL int TVMFFIEnvModLookupFromImports(TVMFFIObjectHandle library_ctx, const char* func_name,
                                              TVMFFIObjectHandle* out);

/* At every later library load, a pointer variable called name in the library is set to symbol. */
TVM_FFI_DLL int TVMFFIEnvModRegisterContextSymbol(const char* name, void* symbol);

/* Adds a symbol ("__tvm_ffi_<prefix><name>") to the process-wide system library. */
TVM_FFI_DLL int TVMFFIEnvModRegisterSystemLibSymbol(const char* name, void* symbol);

#ifdef __cplusplus
}  // extern "C"
#endif
#endif  // TVM_FFI_EXTRA_C_ENV_API_H_
