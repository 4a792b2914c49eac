// Reflection helpers shared by the library's "extra" implementations (auto-init, serialization):
// making an empty object of a reflected type and setting its fields through their setters.
#ifndef TVMFFI_RUNTIME_SRC_EXTRA_REFLECTION_UTIL_H_
#define TVMFFI_RUNTIME_SRC_EXTRA_REFLECTION_UTIL_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/object.h>

namespace tvm {
namespace ffi {
namespace internal {

/*! \brief A new object of the type, from its creator or its __ffi_new__ attribute; else a
 *         RuntimeError. */
ObjectPtr<Object> NewEmptyObject(const TVMFFITypeInfo* info);
/*! \brief The type's information, or nullptr for an index no type has (TVMFFIGetTypeInfo
 *         exits the process instead, as upstream's contract says). */
const TVMFFITypeInfo* FindTypeInfo(int32_t type_index);
/*! \brief Registers the type's __ffi_init__ (keyword-aware, from its fields' metadata). */
void RegisterFFIInit(int32_t type_index);
/*! \brief Whether NewEmptyObject can make one. */
bool CanMakeEmpty(const TVMFFITypeInfo* info);
/*! \brief Calls the field's setter (a C function or a function object); 0 or -1 with the
 *         error raised. */
int CallFieldSetter(const TVMFFIFieldInfo* f, void* addr, const TVMFFIAny* value);
/*! \brief Sets the field to its default (a value, or a factory's result); throws on error. */
void SetFieldToDefault(const TVMFFIFieldInfo* f, void* addr);

/*! \brief One type-attribute column (e.g. "__ffi_repr__"), looked up once: the columns exist
 *         from the library's load on and keep their address. Keep one as a function-local
 *         static; reading an entry is then two loads. */
class TypeAttr {
 public:
  explicit TypeAttr(const char* name);
  /*! \brief The type's entry, or None when it has none. */
  AnyView operator[](int32_t type_index) const;

 private:
  const TVMFFITypeAttrColumn* column_;
};
/*! \brief The field's value, through its getter; throws the getter's error. */
Any ReadField(const Object* obj, const TVMFFIFieldInfo& f);
/*! \brief Calls fn(field) for every field of the type, ancestors' first. */
template <typename Fn>
void ForEachField(const TVMFFITypeInfo* info, Fn fn) {
  for (int32_t d = 1; d <= info->type_depth; ++d) {
    const TVMFFITypeInfo* owner = d < info->type_depth ? info->type_ancestors[d] : info;
    for (int32_t i = 0; i < owner->num_fields; ++i) fn(owner->fields[i]);
  }
}

/*! \brief A List (built by code compiled against upstream's headers; same storage as an Array)
 *         read as an Array, or an Array as itself. Read only: never changed through the view. */
inline Array<Any> SequenceView(const Any& v) {
  return details::ObjectUnsafe::ObjectRefFromUnowned<Array<Any>>(
      reinterpret_cast<Object*>(details::AnyUnsafe::TVMFFIAnyPtrFromAny(v)->v_obj));
}
/*! \brief A Dict (upstream's; same storage as a Map, small or dense) read as a Map. Read only. */
inline Map<Any, Any> MappingView(const Any& v) {
  return details::ObjectUnsafe::ObjectRefFromUnowned<Map<Any, Any>>(
      reinterpret_cast<Object*>(details::AnyUnsafe::TVMFFIAnyPtrFromAny(v)->v_obj));
}

}  // namespace internal
}  // namespace ffi
}  // namespace tvm

#endif  // TVMFFI_RUNTIME_SRC_EXTRA_REFLECTION_UTIL_H_
