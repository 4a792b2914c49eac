/*
 * tvmffi-rpc runtime: reflection::EnumDef<Cls>, which registers one member of an enum class
 * (enum.h) at static initialization:
 *   refl::EnumDef<ColorObj>("Red");            // integer index: its position
 *   refl::EnumDef<CodeObj>("NotFound", 404);   // an IntEnum: the integer is given
 *   refl::EnumDef<ColorObj>("Red").set_attr("hex", "#f00");
 * A repeated index is a ValueError.
 */
#ifndef TVM_FFI_REFLECTION_ENUM_DEF_H_
#define TVM_FFI_REFLECTION_ENUM_DEF_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {
namespace reflection {

template <typename EnumClsObj, typename = std::enable_if_t<std::is_base_of_v<EnumObj, EnumClsObj>>>
class EnumDef : public ReflectionDefBase {
 public:
  /*! \brief A member named str_index, at the next position. */
  explicit EnumDef(const char* str_index) : type_index_(EnumClsObj::_GetOrAllocRuntimeTypeIndex()) {
    static_assert(!std::is_base_of_v<IntEnumObj, EnumClsObj>,
                  "an IntEnum member needs its integer index");
    EnumState state = State();
    Add(state, static_cast<int64_t>(state->entries.size()), String(str_index));
  }
  /*! \brief An IntEnum member named str_index with the integer int_index. */
  EnumDef(const char* str_index, int64_t int_index)
      : type_index_(EnumClsObj::_GetOrAllocRuntimeTypeIndex()) {
    static_assert(std::is_base_of_v<IntEnumObj, EnumClsObj>,
                  "only an IntEnum member takes an integer index");
    Add(State(), int_index, String(str_index));
  }
  /*! \brief Sets this member's value of the attribute attr_name. */
  template <typename T>
  EnumDef& set_attr(const char* attr_name, T value) {
    Dict<String, Dict<ObjectRef, Any>> attrs = State()->attrs;
    String name(attr_name);
    Dict<ObjectRef, Any> column = attrs.Get(name).value_or(Dict<ObjectRef, Any>());
    attrs.Set(name, column);
    column.Set(member_, Any(std::move(value)));
    return *this;
  }

 private:
  void Add(const EnumState& state, int64_t int_index, String str_index) {
    Dict<Any, ObjectRef> indexes = state->indexes;
    Any int_key(int_index);
    Any str_key(str_index);
    if (indexes.count(int_key) != 0 || indexes.count(str_key) != 0) {
      TVM_FFI_THROW(ValueError) << "Duplicate enum index for type `" << EnumClsObj::_type_key
                                << "`";
    }
    ObjectPtr<EnumClsObj> obj = make_object<EnumClsObj>();
    // written here: the class's inline type index may not be set yet during static init
    ::tvm::ffi::details::ObjectUnsafe::GetHeader(obj.get())->type_index = type_index_;
    obj->_int_index = int_index;
    obj->_str_index = std::move(str_index);
    member_ = Enum(ObjectPtr<EnumObj>(std::move(obj)));
    List<ObjectRef> entries = state->entries;
    entries.push_back(member_);
    indexes.Set(int_key, member_);
    indexes.Set(str_key, member_);
  }
  // The class's EnumState, made and stored in the `__ffi_enum__` column on first use.
  EnumState State() {
    int32_t state_index = EnumStateObj::_GetOrAllocRuntimeTypeIndex();
    TypeAttrColumn column(type_attr::kEnumState);
    AnyView stored = column[type_index_];
    if (stored != nullptr) {
      if (stored.type_index() != state_index) {
        TVM_FFI_THROW(TypeError) << "Expected `" << EnumStateObj::_type_key
                                 << "` in the enum state column, got `" << stored.GetTypeKey()
                                 << "`";
      }
      return ::tvm::ffi::details::ObjectUnsafe::ObjectRefFromObjectPtr<EnumState>(
          ::tvm::ffi::details::ObjectUnsafe::ObjectPtrFromUnowned<Object>(
              reinterpret_cast<Object*>(stored.CopyToTVMFFIAny().v_obj)));
    }
    ObjectPtr<EnumStateObj> obj = make_object<EnumStateObj>();
    ::tvm::ffi::details::ObjectUnsafe::GetHeader(obj.get())->type_index = state_index;
    EnumState state(std::move(obj));
    TVMFFIByteArray name = AsByteArray(type_attr::kEnumState);
    TVMFFIAny value = AnyView(state).CopyToTVMFFIAny();
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterAttr(type_index_, &name, &value));
    return state;
  }

  int32_t type_index_;
  Enum member_;
};

}  // namespace reflection
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_REFLECTION_ENUM_DEF_H_
