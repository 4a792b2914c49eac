/*
 * tvmffi-rpc runtime: printing any value (upstream's <tvm/ffi/extra/dataclass.h>, the part
 * implemented so far: ReprPrint and the ostream operators built on it).
 */
#ifndef TVM_FFI_EXTRA_DATACLASS_H_
#define TVM_FFI_EXTRA_DATACLASS_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/extra/base.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/string.h>

#include <ostream>

namespace tvm {
namespace ffi {

/*!
 * \brief A Python-like text of value: None, True, 42, "text", (1, 2) for an Array, {k: v} for a
 *        Map, type.key(field=value, ...) for an object of a reflected type, or what the type's
 *        __ffi_repr__ attribute makes of it. Also the global "ffi.ReprPrint".
 */
TVM_FFI_EXTRA_CXX_API String ReprPrint(const Any& value);

/*! \brief Writes ReprPrint(value). */
inline std::ostream& operator<<(std::ostream& os, const Any& value) {
  return os << ReprPrint(value);
}
/*! \brief Writes ReprPrint of the object (None for a null reference). */
inline std::ostream& operator<<(std::ostream& os, const ObjectRef& value) {
  return os << ReprPrint(Any(value));
}
/*! \brief Writes ReprPrint of the value, None when absent. */
template <typename T>
inline std::ostream& operator<<(std::ostream& os, const Optional<T>& value) {
  return os << ReprPrint(Any(value));
}

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_DATACLASS_H_
