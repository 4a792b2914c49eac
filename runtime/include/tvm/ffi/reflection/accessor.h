/*
 * tvmffi-rpc runtime: reading the reflection tables. Field and method lookup by name,
 * FieldGetter / FieldSetter (through the getter and setter a type registered), TypeAttrColumn
 * (one attribute across all types), ForEachFieldInfo (ancestors' fields first), and the names of
 * the type attributes the runtime and the bindings know (reflection::type_attr).
 */
#ifndef TVM_FFI_REFLECTION_ACCESSOR_H_
#define TVM_FFI_REFLECTION_ACCESSOR_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace tvm {
namespace ffi {

/*! \brief The type index of a registered type key; a ValueError names an unknown one. */
inline int32_t TypeKeyToIndex(std::string_view type_key) {
  TVMFFIByteArray key{type_key.data(), type_key.size()};
  int32_t index = 0;
  TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeKeyToIndex(&key, &index));
  return index;
}

namespace reflection {

using TypeInfo = TVMFFITypeInfo;

namespace details {
inline bool NameIs(const TVMFFIByteArray& name, const char* wanted) {
  size_t n = std::char_traits<char>::length(wanted);
  return name.size == n && std::memcmp(name.data, wanted, n) == 0;
}
}  // namespace details

/*! \brief The field `field_name` declared by type_key itself (not by an ancestor). */
inline const TVMFFIFieldInfo* GetFieldInfo(std::string_view type_key, const char* field_name) {
  const TypeInfo* info = TVMFFIGetTypeInfo(TypeKeyToIndex(type_key));
  for (int32_t i = 0; i < info->num_fields; ++i) {
    if (details::NameIs(info->fields[i].name, field_name)) return &info->fields[i];
  }
  TVM_FFI_THROW(RuntimeError) << "Cannot find field  `" << field_name << "` in " << type_key;
  TVM_FFI_UNREACHABLE();
}

/*! \brief Runs a field's setter: a C function pointer, or a Function(void* addr, value). */
inline int CallFieldSetter(const TVMFFIFieldInfo* field_info, void* field_addr,
                           const TVMFFIAny* value) {
  if ((field_info->flags & kTVMFFIFieldFlagBitSetterIsFunctionObj) == 0) {
    return reinterpret_cast<TVMFFIFieldSetter>(field_info->setter)(field_addr, value);
  }
  TVMFFIAny args[2];
  args[0].type_index = kTVMFFIOpaquePtr;
  args[0].zero_padding = 0;
  args[0].v_int64 = 0;
  args[0].v_ptr = field_addr;
  args[1] = *value;
  TVMFFIAny result;
  result.type_index = kTVMFFINone;
  result.zero_padding = 0;
  result.v_int64 = 0;
  int rc =
      TVMFFIFunctionCall(static_cast<TVMFFIObjectHandle>(field_info->setter), args, 2, &result);
  if (rc == 0 && result.type_index >= kTVMFFIStaticObjectBegin) {
    ::tvm::ffi::details::ObjectUnsafe::DecRefObjectHandle(result.v_obj);
  }
  return rc;
}

/*! \brief Reads one reflected field of an object as an Any. */
class FieldGetter {
 public:
  explicit FieldGetter(const TVMFFIFieldInfo* field_info) : field_info_(field_info) {}
  FieldGetter(std::string_view type_key, const char* field_name)
      : FieldGetter(GetFieldInfo(type_key, field_name)) {}
  Any operator()(const Object* obj) const {
    Any out;
    void* addr = const_cast<char*>(reinterpret_cast<const char*>(obj)) + field_info_->offset;
    TVM_FFI_CHECK_SAFE_CALL(field_info_->getter(addr, reinterpret_cast<TVMFFIAny*>(&out)));
    return out;
  }
  Any operator()(const ObjectPtr<Object>& obj) const { return (*this)(obj.get()); }
  Any operator()(const ObjectRef& obj) const { return (*this)(obj.get()); }

 private:
  const TVMFFIFieldInfo* field_info_;
};

/*! \brief Writes one reflected field of an object (converting the value to the field's type). */
class FieldSetter {
 public:
  explicit FieldSetter(const TVMFFIFieldInfo* field_info) : field_info_(field_info) {}
  FieldSetter(std::string_view type_key, const char* field_name)
      : FieldSetter(GetFieldInfo(type_key, field_name)) {}
  void operator()(const Object* obj, AnyView value) const {
    void* addr = const_cast<char*>(reinterpret_cast<const char*>(obj)) + field_info_->offset;
    TVM_FFI_CHECK_SAFE_CALL(
        CallFieldSetter(field_info_, addr, reinterpret_cast<const TVMFFIAny*>(&value)));
  }
  void operator()(const ObjectPtr<Object>& obj, AnyView value) const { (*this)(obj.get(), value); }
  void operator()(const ObjectRef& obj, AnyView value) const { (*this)(obj.get(), value); }

 private:
  const TVMFFIFieldInfo* field_info_;
};

/*! \brief One type attribute across all types; a type without it reads as None. */
class TypeAttrColumn {
 public:
  explicit TypeAttrColumn(std::string_view attr_name) {
    TVMFFIByteArray name{attr_name.data(), attr_name.size()};
    column_ = TVMFFIGetTypeAttrColumn(&name);
    if (column_ == nullptr) {
      TVM_FFI_THROW(RuntimeError) << "Cannot find type attribute " << attr_name;
    }
  }
  AnyView operator[](int32_t type_index) const {
    int32_t slot = type_index - column_->begin_index;
    if (slot < 0 || slot >= column_->size) return AnyView();
    return AnyView::CopyFromTVMFFIAny(column_->data[slot]);
  }

 private:
  const TVMFFITypeAttrColumn* column_;
};

/*! \brief The method `method_name` declared by type_key itself. */
inline const TVMFFIMethodInfo* GetMethodInfo(std::string_view type_key, const char* method_name) {
  const TypeInfo* info = TVMFFIGetTypeInfo(TypeKeyToIndex(type_key));
  for (int32_t i = 0; i < info->num_methods; ++i) {
    if (details::NameIs(info->methods[i].name, method_name)) return &info->methods[i];
  }
  TVM_FFI_THROW(RuntimeError) << "Cannot find method " << method_name << " in " << type_key;
  TVM_FFI_UNREACHABLE();
}

/*! \brief A reflected method (or static method) as a Function. */
inline Function GetMethod(std::string_view type_key, const char* method_name) {
  return AnyView::CopyFromTVMFFIAny(GetMethodInfo(type_key, method_name)->method).cast<Function>();
}

/*! \brief Writes a field's default (calling its factory when it has one). */
inline void SetFieldToDefault(const TVMFFIFieldInfo* field_info, void* field_addr) {
  if (field_info->flags & kTVMFFIFieldFlagBitMaskDefaultFromFactory) {
    Any value = AnyView::CopyFromTVMFFIAny(field_info->default_value_or_factory).cast<Function>()();
    TVM_FFI_CHECK_SAFE_CALL(
        CallFieldSetter(field_info, field_addr, reinterpret_cast<const TVMFFIAny*>(&value)));
  } else {
    TVM_FFI_CHECK_SAFE_CALL(
        CallFieldSetter(field_info, field_addr, &field_info->default_value_or_factory));
  }
}

/*! \brief Calls callback(const TVMFFIFieldInfo*) on every field: the ancestors' (outermost
 *         first, Object itself has none) and then the type's own. */
template <typename Callback>
inline void ForEachFieldInfo(const TypeInfo* type_info, Callback callback) {
  static_assert(std::is_same_v<decltype(callback(type_info->fields)), void>,
                "ForEachFieldInfo's callback returns void");
  for (int32_t depth = 1; depth < type_info->type_depth; ++depth) {
    const TypeInfo* parent = type_info->type_ancestors[depth];
    for (int32_t i = 0; i < parent->num_fields; ++i) callback(parent->fields + i);
  }
  for (int32_t i = 0; i < type_info->num_fields; ++i) callback(type_info->fields + i);
}

/*! \brief ForEachFieldInfo whose callback returns true to stop; true when one did. */
template <typename Callback>
inline bool ForEachFieldInfoWithEarlyStop(const TypeInfo* type_info, Callback callback) {
  for (int32_t depth = 1; depth < type_info->type_depth; ++depth) {
    const TypeInfo* parent = type_info->type_ancestors[depth];
    for (int32_t i = 0; i < parent->num_fields; ++i) {
      if (callback(parent->fields + i)) return true;
    }
  }
  for (int32_t i = 0; i < type_info->num_fields; ++i) {
    if (callback(type_info->fields + i)) return true;
  }
  return false;
}

/*! \brief Names of the type attributes (TVMFFITypeRegisterAttr columns) with a meaning. */
namespace type_attr {
/*! \brief Function() -> a new object with every field unset (the reflection creator). */
inline constexpr const char* kNew = "__ffi_new__";
/*! \brief The constructor: Function(args...) -> object. */
inline constexpr const char* kInit = "__ffi_init__";
/*! \brief Function(AnyView) -> the type's reference, converting what it can. */
inline constexpr const char* kConvert = "__ffi_convert__";
/*! \brief The type schema of kConvert's accepted input. */
inline constexpr const char* kConvertTypeSchema = "__ffi_convert_type_schema__";
/*! \brief Function(self) -> a shallow copy. */
inline constexpr const char* kShallowCopy = "__ffi_shallow_copy__";
/*! \brief Function(self, fn_repr) -> String, a custom repr. */
inline constexpr const char* kRepr = "__ffi_repr__";
/*! \brief Custom recursive hash, equality and ordering hooks. */
inline constexpr const char* kHash = "__ffi_hash__";
inline constexpr const char* kEq = "__ffi_eq__";
inline constexpr const char* kCompare = "__ffi_compare__";
/*! \brief Hash and equality of the object as a key (Map/Dict), as C function pointers or
 *         Functions. */
inline constexpr const char* kAnyHash = "__any_hash__";
inline constexpr const char* kAnyEqual = "__any_equal__";
/*! \brief Custom structural hash, equality and visit hooks. */
inline constexpr const char* kSHash = "__s_hash__";
inline constexpr const char* kSEqual = "__s_equal__";
inline constexpr const char* kStructuralVisit = "__s_visit__";
/*! \brief Custom JSON-graph serialization: Function(self) -> data and Function(data) -> obj. */
inline constexpr const char* kDataToJson = "__data_to_json__";
inline constexpr const char* kDataFromJson = "__data_from_json__";
/*! \brief The state of an enum type (its members by name and by index). */
inline constexpr const char* kEnumState = "__ffi_enum__";
}  // namespace type_attr

/*! \brief A C string as a TVMFFIByteArray (usable in constant expressions). */
inline constexpr TVMFFIByteArray AsByteArray(const char* s) {
  return TVMFFIByteArray{s, std::char_traits<char>::length(s)};
}

}  // namespace reflection
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_REFLECTION_ACCESSOR_H_
