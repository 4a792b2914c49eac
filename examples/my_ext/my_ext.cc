// The example module, made of the user document's own snippets: a global function registered
// at load time and a function exported as a `__tvm_ffi_<name>` symbol.
#include <tvm/ffi/error.h>
#include <tvm/ffi/tvm_ffi.h>

namespace {

int AddOne(int x) { return x + 1; }

int AddTwo(int x) { return x + 2; }

void ThrowError(int x) {
  if (x < 0) {
    TVM_FFI_THROW(ValueError) << "x must be non-negative, got " << x;
  }
}

}  // namespace

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::GlobalDef()
      .def("my_ext.add_one", AddOne, "Add one to the input")
      .def("my_ext.throw_error", ThrowError, "Raise ValueError for a negative input");
}

// Exports as symbol `__tvm_ffi_add_two`
TVM_FFI_DLL_EXPORT_TYPED_FUNC(add_two, AddTwo);
