/*
 * tvmffi-rpc runtime: StructuralKey, a value wrapped so that maps and hashed containers compare
 * it structurally: two keys are equal when their values are StructurallyEqual, and the key
 * carries its value's StructuralHash. The library registers the type (`ffi.StructuralKey`) with
 * __any_hash__/__any_equal__ hooks, so a Map or Dict keyed by StructuralKey finds a key by
 * structure; std::hash and operator== do the same for std containers.
 */
#ifndef TVM_FFI_EXTRA_STRUCTURAL_KEY_H_
#define TVM_FFI_EXTRA_STRUCTURAL_KEY_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/extra/structural_equal.h>
#include <tvm/ffi/extra/structural_hash.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

namespace tvm {
namespace ffi {

class StructuralKeyObj : public Object {
 public:
  /*! \brief The wrapped value. */
  Any key;
  /*! \brief StructuralHash::Hash(key), computed once. */
  int64_t hash_i64{0};

  StructuralKeyObj() = default;
  explicit StructuralKeyObj(Any key)
      : key(std::move(key)), hash_i64(static_cast<int64_t>(StructuralHash::Hash(this->key))) {}

  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("ffi.StructuralKey", StructuralKeyObj, Object);
};

class StructuralKey : public ObjectRef {
 public:
  explicit StructuralKey(Any key) : ObjectRef(make_object<StructuralKeyObj>(std::move(key))) {}
  bool operator==(const StructuralKey& other) const {
    if (same_as(other)) return true;
    return get()->hash_i64 == other->hash_i64 && StructuralEqual::Equal(get()->key, other->key);
  }
  bool operator!=(const StructuralKey& other) const { return !(*this == other); }
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NOTNULLABLE(StructuralKey, ObjectRef, StructuralKeyObj);
};

}  // namespace ffi
}  // namespace tvm

namespace std {
template <>
struct hash<::tvm::ffi::StructuralKey> {
  size_t operator()(const ::tvm::ffi::StructuralKey& key) const {
    return static_cast<size_t>(static_cast<uint64_t>(key->hash_i64));
  }
};
}  // namespace std
#endif  // TVM_FFI_EXTRA_STRUCTURAL_KEY_H_
