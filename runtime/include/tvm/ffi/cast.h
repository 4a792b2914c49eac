/*
 * tvmffi-rpc runtime: casts between references. GetRef lives in object.h; Downcast checks.
 */
#ifndef TVM_FFI_CAST_H_
#define TVM_FFI_CAST_H_

#include <tvm/ffi/error.h>
#include <tvm/ffi/object.h>

namespace tvm {
namespace ffi {

/*! \brief ref as SubRef; TypeError when the object is of another type. */
template <typename SubRef, typename BaseRef>
inline SubRef Downcast(BaseRef ref) {
  if (ref.defined()) {
    if (!ref->template IsInstance<typename SubRef::ContainerType>()) {
      TVM_FFI_THROW(TypeError) << "Downcast from " << ref->GetTypeKey() << " to "
                               << SubRef::ContainerType::_type_key << " failed.";
    }
  } else if (!SubRef::_type_is_nullable) {
    TVM_FFI_THROW(TypeError) << "Downcast from nullptr to not nullable reference of "
                             << SubRef::ContainerType::_type_key;
  }
  return details::ObjectUnsafe::ObjectRefFromObjectPtr<SubRef>(
      details::ObjectUnsafe::ObjectPtrFromObjectRef<Object>(std::move(ref)));
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CAST_H_
