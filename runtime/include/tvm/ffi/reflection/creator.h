/*
 * tvmffi-rpc runtime: creating objects through reflection. CreateEmptyObject (the type's C
 * creator, else its __ffi_new__ attribute), ObjectCreator (an object from a map of field
 * values, defaults for the rest), and the conversion behind __ffi_convert__.
 */
#ifndef TVM_FFI_REFLECTION_CREATOR_H_
#define TVM_FFI_REFLECTION_CREATOR_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/string.h>

#include <string>
#include <string_view>

namespace tvm {
namespace ffi {

namespace details {
// The __ffi_new__ Function of a type, if it has one.
inline std::optional<Function> TypeNewFunction(int32_t type_index) {
  TVMFFIByteArray name = reflection::AsByteArray(reflection::type_attr::kNew);
  const TVMFFITypeAttrColumn* column = TVMFFIGetTypeAttrColumn(&name);
  if (column == nullptr) return std::nullopt;
  int32_t slot = type_index - column->begin_index;
  if (slot < 0 || slot >= column->size) return std::nullopt;
  return AnyView::CopyFromTVMFFIAny(column->data[slot]).try_cast<Function>();
}
}  // namespace details

/*! \brief Whether reflection can create an empty object of the type. */
inline bool HasCreator(const TVMFFITypeInfo* type_info) {
  if (type_info->metadata != nullptr && type_info->metadata->creator != nullptr) return true;
  return details::TypeNewFunction(type_info->type_index).has_value();
}

/*! \brief A new object of the type with its fields as the creator left them. */
inline ObjectPtr<Object> CreateEmptyObject(const TVMFFITypeInfo* type_info) {
  if (type_info->metadata != nullptr && type_info->metadata->creator != nullptr) {
    TVMFFIObjectHandle handle = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(type_info->metadata->creator(&handle));
    return details::ObjectUnsafe::ObjectPtrFromOwned<Object>(static_cast<Object*>(handle));
  }
  if (std::optional<Function> make_new = details::TypeNewFunction(type_info->type_index)) {
    ObjectRef obj = (*make_new)().cast<ObjectRef>();
    return details::ObjectUnsafe::ObjectPtrFromObjectRef<Object>(std::move(obj));
  }
  TVM_FFI_THROW(RuntimeError) << "Type `" << TypeIndexToTypeKey(type_info->type_index)
                              << "` does not support reflection creation"
                              << " (no native creator or __ffi_new__ type attr)";
  TVM_FFI_UNREACHABLE();
}

namespace reflection {

/*! \brief Creates objects of one type from field values: creator(Map{{"x", 1}, ...}). */
class ObjectCreator {
 public:
  explicit ObjectCreator(std::string_view type_key)
      : ObjectCreator(TVMFFIGetTypeInfo(TypeKeyToIndex(type_key))) {}
  explicit ObjectCreator(const TVMFFITypeInfo* type_info) : type_info_(type_info) {
    if (!HasCreator(type_info)) {
      TVM_FFI_THROW(RuntimeError) << "Type `" << TypeIndexToTypeKey(type_info->type_index)
                                  << "` does not support default constructor, "
                                  << "as a result cannot be created via reflection";
    }
  }

  /*! \brief Every field from `fields`, or its default; a TypeError for a field that has
   *         neither, and for a name that is not a field. */
  Any operator()(const Map<String, Any>& fields) const {
    ObjectPtr<Object> obj = CreateEmptyObject(type_info_);
    size_t used = 0;
    ForEachFieldInfo(type_info_, [&](const TVMFFIFieldInfo* field) {
      String name(field->name);
      void* addr = reinterpret_cast<char*>(obj.get()) + field->offset;
      auto it = fields.find(name);
      if (it != fields.end()) {
        Any value = (*it).second;
        TVM_FFI_CHECK_SAFE_CALL(
            CallFieldSetter(field, addr, reinterpret_cast<const TVMFFIAny*>(&value)));
        ++used;
      } else if (field->flags & kTVMFFIFieldFlagBitMaskHasDefault) {
        SetFieldToDefault(field, addr);
      } else {
        TVM_FFI_THROW(TypeError) << "Required field `" << name << "` not set in type `"
                                 << String(type_info_->type_key) << "`";
      }
    });
    if (used != fields.size()) {
      for (const auto& kv : fields) {
        bool known = ForEachFieldInfoWithEarlyStop(type_info_, [&](const TVMFFIFieldInfo* f) {
          return kv.first.compare(std::string_view(f->name.data, f->name.size)) == 0;
        });
        if (!known) {
          TVM_FFI_THROW(TypeError) << "Type `" << String(type_info_->type_key)
                                   << "` does not have field `" << kv.first << "`";
        }
      }
    }
    return ObjectRef(std::move(obj));
  }

 private:
  const TVMFFITypeInfo* type_info_;
};

namespace details {
/*! \brief input as TObjectRef, with the conversions TObjectRef's traits allow; a TypeError
 *         otherwise. The function behind a type's __ffi_convert__ attribute. */
template <typename TObjectRef>
TObjectRef FFIConvertFromAnyViewToObjectRef(AnyView input) {
  TVMFFIAny raw = input.CopyToTVMFFIAny();
  if (std::optional<TObjectRef> out = TypeTraits<TObjectRef>::TryCastFromAnyView(&raw)) {
    return *std::move(out);
  }
  TVM_FFI_THROW(TypeError) << "Cannot cast from `" << TypeIndexToTypeKey(raw.type_index) << "` to `"
                           << TypeTraits<TObjectRef>::TypeStr() << "`";
  TVM_FFI_UNREACHABLE();
}
}  // namespace details

}  // namespace reflection
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_REFLECTION_CREATOR_H_
