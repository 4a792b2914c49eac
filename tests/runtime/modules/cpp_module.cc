// A test module in C++: exported typed functions with metadata and doc, a function that raises,
// a global registered at load time, and a context symbol the loader fills in.
#define TVM_FFI_DLL_EXPORT_INCLUDE_METADATA 1
#include <tvm/ffi/error.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdint>

namespace {
int AddTwo(int x) { return x + 2; }
void RaiseValueError(int x) { TVM_FFI_THROW(ValueError) << "module says no to " << x; }
}  // namespace

extern "C" {
// Filled by the loader from TVMFFIEnvModRegisterContextSymbol("test_ctx_value", ...).
TVM_FFI_DLL_EXPORT void* test_ctx_value = nullptr;
}

int64_t GetContextValue() { return reinterpret_cast<intptr_t>(test_ctx_value); }

TVM_FFI_DLL_EXPORT_TYPED_FUNC(add_two, AddTwo);
TVM_FFI_DLL_EXPORT_TYPED_FUNC_DOC(add_two, "Add two to the input");
TVM_FFI_DLL_EXPORT_TYPED_FUNC(raise_value_error, RaiseValueError);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(get_context_value, GetContextValue);

TVM_FFI_STATIC_INIT_BLOCK() {
  tvm::ffi::reflection::GlobalDef().def("test_module.registered_at_load",
                                        [](int x) { return x * 10; });
}
