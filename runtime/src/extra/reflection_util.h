// Reflection helpers shared by the library's "extra" implementations (auto-init, serialization):
// making an empty object of a reflected type and setting its fields through their setters.
#ifndef TVMFFI_RUNTIME_SRC_EXTRA_REFLECTION_UTIL_H_
#define TVMFFI_RUNTIME_SRC_EXTRA_REFLECTION_UTIL_H_

#include <tvm/ffi/c_api.h>
#include <tvm/ffi/object.h>

namespace tvm {
namespace ffi {
namespace internal {

/*! \brief A new object of the type, from its creator or its __ffi_new__ attribute; else a
 *         RuntimeError. */
ObjectPtr<Object> NewEmptyObject(const TVMFFITypeInfo* info);
/*! \brief Whether NewEmptyObject can make one. */
bool CanMakeEmpty(const TVMFFITypeInfo* info);
/*! \brief Calls the field's setter (a C function or a function object); 0 or -1 with the
 *         error raised. */
int CallFieldSetter(const TVMFFIFieldInfo* f, void* addr, const TVMFFIAny* value);
/*! \brief Sets the field to its default (a value, or a factory's result); throws on error. */
void SetFieldToDefault(const TVMFFIFieldInfo* f, void* addr);

}  // namespace internal
}  // namespace ffi
}  // namespace tvm

#endif  // TVMFFI_RUNTIME_SRC_EXTRA_REFLECTION_UTIL_H_
