/*
 * tvmffi-rpc runtime: RValueRef<TObjRef>, a reference passed so that the callee may take it over.
 * As an argument it travels as kTVMFFIObjectRValueRef: v_ptr points at the caller's ObjectPtr,
 * and a callee taking an RValueRef<T> of the same type moves the object out (the caller's
 * pointer becomes null), so a function can change an object it holds the only reference to
 * (copy-on-write without the copy). A value of another type converts (a copy; the caller keeps
 * its reference); an ordinary reference converts too.
 *   Function f = Function::FromTyped([](RValueRef<Array<int>> a) { Array<int> x = *std::move(a);
 * ... }); f(RValueRef(std::move(array)));
 */
#ifndef TVM_FFI_RVALUE_REF_H_
#define TVM_FFI_RVALUE_REF_H_

#include <tvm/ffi/object.h>
#include <tvm/ffi/type_traits.h>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

template <typename TObjRef, typename = std::enable_if_t<std::is_base_of_v<ObjectRef, TObjRef>>>
class RValueRef {
 public:
  using ContainerType = typename TObjRef::ContainerType;
  explicit RValueRef(TObjRef&& data)
      : data_(details::ObjectUnsafe::ObjectPtrFromObjectRef<ContainerType>(std::move(data))) {}
  /*! \brief The reference, moved out. */
  TObjRef operator*() && {
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<TObjRef>(std::move(data_));
  }

 private:
  // the callee moves out of it through the Any that points here
  mutable ObjectPtr<ContainerType> data_;
  template <typename, typename>
  friend struct TypeTraits;
};

template <typename TObjRef>
inline constexpr bool use_default_type_traits_v<RValueRef<TObjRef>> = false;

template <typename TObjRef>
struct TypeTraits<RValueRef<TObjRef>> : public TypeTraitsBase {
  static constexpr bool storage_enabled = false;

  static void CopyToAnyView(const RValueRef<TObjRef>& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIObjectRValueRef;
    result->zero_padding = 0;
    result->v_ptr = &src.data_;
  }
  static std::string GetMismatchTypeInfo(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIObjectRValueRef) {
      return details::MismatchTypeInfo<TObjRef>(src);
    }
    TVMFFIAny target = Target(src);
    return "RValueRef<" + details::MismatchTypeInfo<TObjRef>(&target) + ">";
  }
  static std::optional<RValueRef<TObjRef>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFIObjectRValueRef) {
      TVMFFIAny target = Target(src);
      if (target.type_index != TypeIndex::kTVMFFINone &&
          TypeTraits<TObjRef>::CheckAnyStrict(&target)) {
        // the same type: take the caller's reference over
        ObjectPtr<Object>* slot = static_cast<ObjectPtr<Object>*>(src->v_ptr);
        return RValueRef<TObjRef>(
            details::ObjectUnsafe::ObjectRefFromObjectPtr<TObjRef>(std::move(*slot)));
      }
      if (std::optional<TObjRef> converted = TypeTraits<TObjRef>::TryCastFromAnyView(&target)) {
        return RValueRef<TObjRef>(*std::move(converted));
      }
      return std::nullopt;
    }
    if (std::optional<TObjRef> value = TypeTraits<TObjRef>::TryCastFromAnyView(src)) {
      return RValueRef<TObjRef>(*std::move(value));
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return "RValueRef<" + TypeTraits<TObjRef>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return std::string("{\"type\":\"") + StaticTypeKey::kTVMFFIObjectRValueRef + "\",\"args\":[" +
           TypeTraits<TObjRef>::TypeSchema() + "]}";
  }

 private:
  // The object the rvalue slot points at, as a plain cell (None for a null slot).
  static TVMFFIAny Target(const TVMFFIAny* src) {
    const Object* obj = static_cast<ObjectPtr<Object>*>(src->v_ptr)->get();
    TVMFFIAny cell{};
    cell.type_index = obj == nullptr ? TypeIndex::kTVMFFINone : obj->type_index();
    cell.v_obj = reinterpret_cast<TVMFFIObject*>(const_cast<Object*>(obj));
    return cell;
  }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_RVALUE_REF_H_
