// The type-attribute columns the library has from its load on, as upstream's does: code built
// against upstream's headers looks some of them up while its own static initializers run
// (reflection::TypeAttrColumn throws when a column is absent), before anything registered a
// value in them. A column is created empty; types fill in their rows later.
#include <tvm/ffi/c_api.h>

#include <cstring>

namespace {

const char* const kColumns[] = {
    "__ffi_new__",
    "__ffi_init__",
    "__ffi_convert__",
    "__ffi_shallow_copy__",
    "__ffi_repr__",
    "__ffi_hash__",
    "__ffi_eq__",
    "__ffi_compare__",
    "__any_hash__",
    "__any_equal__",
    "__s_hash__",
    "__s_equal__",
    "__s_visit__",
    "__data_to_json__",
    "__data_from_json__",
    "__ffi_enum__",
    "__ffi_convert_type_schema__",
};

struct EnsureColumns {
  EnsureColumns() {
    for (const char* name : kColumns) {
      TVMFFIByteArray bytes{name, std::strlen(name)};
      TVMFFIAny none{};
      none.type_index = kTVMFFINone;
      TVMFFITypeRegisterAttr(kTVMFFINone, &bytes, &none);
    }
  }
} ensure_columns;

}  // namespace
