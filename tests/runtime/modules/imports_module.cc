// A test module with an embedded import tree (__tvm_ffi__library_bin): the library itself plus
// a module of kind "test_kind" that the test binary knows how to load from bytes. Its
// `call_imported` finds `imported_fn` through TVMFFIEnvModLookupFromImports, as generated code
// does.
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdint>

extern "C" {
TVM_FFI_DLL_EXPORT void* __tvm_ffi__library_ctx = nullptr;

// <nbytes=u64> <indptr: [0,1,1]> <children: [1]> "_lib" "test_kind" <bytes "payload">
#define U64(v) v, 0, 0, 0, 0, 0, 0, 0
TVM_FFI_DLL_EXPORT unsigned char __tvm_ffi__library_bin[] = {
    U64(92),                                                        // bytes that follow
    U64(3),  U64(0), U64(1), U64(1),                                // indptr
    U64(1),  U64(1),                                                // children
    U64(4),  '_',    'l',    'i',    'b',                           // module 0: this library
    U64(9),  't',    'e',    's',    't', '_', 'k', 'i', 'n', 'd',  // module 1: kind
    U64(7),  'p',    'a',    'y',    'l', 'o', 'a', 'd'};           // module 1: bytes
#undef U64
}

int64_t CallImported(int64_t x) {
  TVMFFIObjectHandle f = nullptr;
  TVM_FFI_CHECK_SAFE_CALL(TVMFFIEnvModLookupFromImports(__tvm_ffi__library_ctx, "imported_fn", &f));
  // The handle is borrowed: the module caches the function.
  tvm::ffi::Function fn = tvm::ffi::GetRef<tvm::ffi::Function>(
      static_cast<tvm::ffi::FunctionObj*>(static_cast<tvm::ffi::Object*>(f)));
  return fn(x).cast<int64_t>();
}

TVM_FFI_DLL_EXPORT_TYPED_FUNC(call_imported, CallImported);
