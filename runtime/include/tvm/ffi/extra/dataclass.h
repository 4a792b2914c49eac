/*
 * tvmffi-rpc runtime: operations on a value and everything it reaches, as dataclasses have
 * them: printing (ReprPrint, operator<<), copying (DeepCopy), hashing (RecursiveHash) and
 * comparing (RecursiveEq/Lt/Le/Gt/Ge). Each follows Lists, Dicts, Arrays, Maps and the fields
 * of reflected objects, keeps shared values shared and cycles finite, and lets a type take over
 * through its __ffi_repr__, __ffi_shallow_copy__, __ffi_hash__, __ffi_eq__ and __ffi_compare__
 * attributes. Each is also a global: ffi.ReprPrint, ffi.DeepCopy, ffi.RecursiveHash, ...
 */
#ifndef TVM_FFI_EXTRA_DATACLASS_H_
#define TVM_FFI_EXTRA_DATACLASS_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/variant.h>
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

/*!
 * \brief A copy of value in which every List, Dict, Array, Map and reflected object reached is
 *        copied (an object through its __ffi_shallow_copy__ attribute, then its fields); two
 *        references to one value stay two references to one copy, and cycles are kept. Strings,
 *        bytes, shapes and enum members are shared. An object of a type without
 *        __ffi_shallow_copy__ is a RuntimeError ("... not copy-constructible").
 */
TVM_FFI_EXTRA_CXX_API Any DeepCopy(const Any& value);

/*!
 * \brief A hash of the value and all it reaches, consistent with RecursiveEq: equal values hash
 *        alike (a Map's order does not count, -0.0 hashes as 0.0 and every NaN alike). Fields
 *        flagged hash-off or compare-off are left out; a type's __ffi_hash__(obj, hash_fn) takes
 *        over, and a type with __ffi_eq__ or __ffi_compare__ but no __ffi_hash__ is a ValueError.
 */
TVM_FFI_EXTRA_CXX_API int64_t RecursiveHash(const Any& value);

/*!
 * \brief Whether the values are equal field by field, element by element (NaN equals NaN;
 *        values of different types are unequal). A type's __ffi_eq__(lhs, rhs, eq_fn), else its
 *        __ffi_compare__, takes over.
 */
TVM_FFI_EXTRA_CXX_API bool RecursiveEq(const Any& lhs, const Any& rhs);
/*!
 * \brief Ordering: numbers and strings as usual, sequences and shapes lexicographically,
 *        objects field by field in declaration order (or by __ffi_compare__). A TypeError for
 *        values of different types, NaN, or maps that differ; a ValueError for a cycle.
 */
TVM_FFI_EXTRA_CXX_API bool RecursiveLt(const Any& lhs, const Any& rhs);
/*! \brief RecursiveLt's order: lhs <= rhs. */
TVM_FFI_EXTRA_CXX_API bool RecursiveLe(const Any& lhs, const Any& rhs);
/*! \brief RecursiveLt's order: lhs > rhs. */
TVM_FFI_EXTRA_CXX_API bool RecursiveGt(const Any& lhs, const Any& rhs);
/*! \brief RecursiveLt's order: lhs >= rhs. */
TVM_FFI_EXTRA_CXX_API bool RecursiveGe(const Any& lhs, const Any& rhs);

/*! \brief Writes ReprPrint(value). */
inline std::ostream& operator<<(std::ostream& os, const Any& value) {
  return os << ReprPrint(value);
}
/*! \brief Writes ReprPrint of the object (None for a null reference). */
inline std::ostream& operator<<(std::ostream& os, const ObjectRef& value) {
  return os << ReprPrint(Any(value));
}
/*! \brief Writes ReprPrint of whichever alternative the variant holds. */
template <typename... V>
inline std::ostream& operator<<(std::ostream& os, const Variant<V...>& value) {
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
