/*
 * tvmffi-rpc runtime: enums, as upstream tvm-ffi has them. An enum class is an Object subclass
 * of EnumObj (IntEnumObj: indexed by an integer, StrEnumObj: by a string); its members are
 * singletons made at registration (reflection::EnumDef) and kept in the class's EnumState,
 * stored in the `__ffi_enum__` type attribute column: the members in order, a dict from each
 * member's integer and string index to the member, and per-attribute dicts of member values.
 * Members compare by identity; a JSON graph holds a member by its index.
 */
#ifndef TVM_FFI_ENUM_H_
#define TVM_FFI_ENUM_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/string.h>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

class Enum;

/*! \brief The registered members of one enum class. */
class EnumStateObj : public Object {
 public:
  /*! \brief The members, in registration order. */
  List<ObjectRef> entries;
  /*! \brief Each member under its integer index and under its string index. */
  Dict<Any, ObjectRef> indexes;
  /*! \brief attribute name -> (member -> value). */
  Dict<String, Dict<ObjectRef, Any>> attrs;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("ffi.EnumState", EnumStateObj, Object);
};

class EnumState : public ObjectRef {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(EnumState, ObjectRef, EnumStateObj);
};

/*! \brief An enum member: its integer index (its position, or the IntEnum's value) and its
 *         string index (its name, or the StrEnum's value). */
class EnumObj : public Object {
 public:
  int64_t _int_index = 0;
  String _str_index;

  EnumObj() = default;
  EnumObj(int64_t int_index, String str_index)
      : _int_index(int_index), _str_index(std::move(str_index)) {}

  // NOLINTBEGIN(bugprone-reserved-identifier)
  /*! \brief The member of EnumClsObj with that index; a ValueError when there is none. */
  template <typename EnumClsObj>
  static Enum _GetByIntIndex(int64_t index);
  template <typename EnumClsObj>
  static Enum _GetByStrIndex(const String& index);
  static Enum _GetByIntIndex(int32_t type_index, int64_t index);
  static Enum _GetByStrIndex(int32_t type_index, const String& index);
  // NOLINTEND(bugprone-reserved-identifier)

  static constexpr TVMFFISEqHashKind _type_s_eq_hash_kind = kTVMFFISEqHashKindUniqueInstance;
  TVM_FFI_DECLARE_OBJECT_INFO("ffi.Enum", EnumObj, Object);

 private:
  template <typename Index>
  static Enum Lookup(int32_t type_index, const Index& index);
};

class Enum : public ObjectRef {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Enum, ObjectRef, EnumObj);
};

/*! \brief An enum whose members carry integer values (`value` is the integer index). */
class IntEnumObj : public EnumObj {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO("ffi.IntEnum", IntEnumObj, EnumObj);
};

class IntEnum : public Enum {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(IntEnum, Enum, IntEnumObj);
};

/*! \brief An enum whose members carry string values (`value` is the string index). */
class StrEnumObj : public EnumObj {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO("ffi.StrEnum", StrEnumObj, EnumObj);
};

class StrEnum : public Enum {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(StrEnum, Enum, StrEnumObj);
};

template <typename Index>
inline Enum EnumObj::Lookup(int32_t type_index, const Index& index) {
  static reflection::TypeAttrColumn states(reflection::type_attr::kEnumState);
  AnyView state = states[type_index];
  if (state != nullptr) {
    if (std::optional<ObjectRef> member = state.cast<EnumState>()->indexes.Get(Any(index))) {
      return member->as_or_throw<Enum>();
    }
  }
  TVM_FFI_THROW(ValueError) << "Enum `" << TypeIndexToTypeKey(type_index)
                            << "` has no instance with index " << index;
  TVM_FFI_UNREACHABLE();
}

template <typename EnumClsObj>
inline Enum EnumObj::_GetByIntIndex(int64_t index) {
  static_assert(std::is_base_of_v<EnumObj, EnumClsObj>, "an enum class derives from EnumObj");
  return Lookup(EnumClsObj::_GetOrAllocRuntimeTypeIndex(), index);
}
template <typename EnumClsObj>
inline Enum EnumObj::_GetByStrIndex(const String& index) {
  static_assert(std::is_base_of_v<EnumObj, EnumClsObj>, "an enum class derives from EnumObj");
  return Lookup(EnumClsObj::_GetOrAllocRuntimeTypeIndex(), index);
}
inline Enum EnumObj::_GetByIntIndex(int32_t type_index, int64_t index) {
  return Lookup(type_index, index);
}
inline Enum EnumObj::_GetByStrIndex(int32_t type_index, const String& index) {
  return Lookup(type_index, index);
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_ENUM_H_
