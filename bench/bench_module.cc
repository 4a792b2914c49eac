// The module the module benchmark loads: one exported typed function.
#include <tvm/ffi/tvm_ffi.h>

#include <cstdint>

namespace {
int64_t Add(int64_t a, int64_t b) { return a + b; }
}  // namespace

TVM_FFI_DLL_EXPORT_TYPED_FUNC(add, Add);
