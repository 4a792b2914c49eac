/*
 * tvmffi-rpc runtime: Dict<K, V>, a mutable associative container with reference semantics
 * (every handle sees every change; nothing is copied on write) that keeps insertion order. Its
 * storage (DictObj) has the layout of MapObj (map_base.h) under its own type index, and keeps
 * its address as it grows.
 */
#ifndef TVM_FFI_CONTAINER_DICT_H_
#define TVM_FFI_CONTAINER_DICT_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/container/map_base.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace tvm {
namespace ffi {

/*! \brief The storage of a Dict. */
class DictObj : public MapBaseObj {
 public:
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIDict;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIDict, DictObj, Object);

 protected:
  template <typename, typename, typename>
  friend class Dict;
};
static_assert(sizeof(DictObj) == sizeof(MapBaseObj), "DictObj has MapBaseObj's layout");

/*! \brief Mutable, shared map from K to V. Never null. */
template <typename K, typename V,
          typename =
              std::enable_if_t<details::storage_enabled_v<K> && details::storage_enabled_v<V>>>
class Dict : public ObjectRef {
 public:
  using key_type = K;
  using mapped_type = V;
  using ContainerType = DictObj;
  static constexpr bool _type_is_nullable = false;
  static constexpr bool _type_container_is_exact = false;
  /*! \brief Walks (key, value) pairs, converted to K and V, in insertion order. */
  using iterator = details::TypedMapIterator<K, V>;

  Dict() { data_ = DictObj::Empty<DictObj>(); }
  explicit Dict(UnsafeInit tag) : ObjectRef(tag) {}
  explicit Dict(ObjectPtr<Object> n) : ObjectRef(std::move(n)) {}
  Dict(const Dict&) = default;
  Dict(Dict&&) = default;
  Dict& operator=(const Dict&) = default;
  Dict& operator=(Dict&&) = default;
  /*! \brief A dict whose keys and values this one can hold: the same object. */
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Dict(const Dict<KU, VU>& other) : ObjectRef(other) {}  // NOLINT(google-explicit-constructor)
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Dict(Dict<KU, VU>&& other) : ObjectRef(std::move(other)) {}  // NOLINT(*)
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Dict& operator=(const Dict<KU, VU>& other) {
    ObjectRef::operator=(other);
    return *this;
  }
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Dict& operator=(Dict<KU, VU>&& other) {
    ObjectRef::operator=(std::move(other));
    return *this;
  }
  /*! \brief From a range of (key, value) pairs; a repeated key takes the later value. */
  template <typename IterType>
  Dict(IterType first, IterType last) {
    data_ = DictObj::CreateFromRange<DictObj>(first, last);
  }
  Dict(std::initializer_list<std::pair<K, V>> init) {
    data_ = DictObj::CreateFromRange<DictObj>(init.begin(), init.end());
  }
  template <typename Hash, typename Equal>
  Dict(const std::unordered_map<K, V, Hash, Equal>& init) {  // NOLINT(google-explicit-constructor)
    data_ = DictObj::CreateFromRange<DictObj>(init.begin(), init.end());
  }

  /*! \brief The value of key; a KeyError when it is absent. */
  V at(const K& key) const {
    return details::MapEntryAs<V>(GetDictObj()->at(details::MapKey<K>(key).get()));
  }
  V operator[](const K& key) const { return at(key); }
  size_t size() const { return GetDictObj()->size(); }
  size_t count(const K& key) const { return GetDictObj()->count(details::MapKey<K>(key).get()); }
  bool empty() const { return size() == 0; }
  /*! \brief Removes every entry (every handle sees it). */
  void clear() { GetDictObj()->clear(); }
  std::optional<V> Get(const K& key) const {
    DictObj::iterator it = GetDictObj()->find(details::MapKey<K>(key).get());
    if (it == GetDictObj()->end()) return std::nullopt;
    return details::MapEntryAs<V>(it->second);
  }
  /*! \brief Inserts or replaces in place; the object keeps its address when it grows. */
  void Set(const K& key, const V& value) {
    details::MapKey<K> k(key);
    ObjectPtr<Object> grown = MapBaseObj::Put<DictObj>(k.get(), Any(value), data_);
    if (grown != nullptr) GetDictObj()->InplaceSwitchTo(std::move(grown));
  }
  void erase(const K& key) { GetDictObj()->erase(details::MapKey<K>(key).get()); }

  iterator begin() const { return iterator(GetDictObj()->begin()); }
  iterator end() const { return iterator(GetDictObj()->end()); }
  iterator find(const K& key) const {
    return iterator(GetDictObj()->find(details::MapKey<K>(key).get()));
  }

  const DictObj* get() const { return GetDictObj(); }
  const DictObj* operator->() const { return GetDictObj(); }

 private:
  DictObj* GetDictObj() const { return static_cast<DictObj*>(data_.get()); }
  template <typename, typename, typename>
  friend class Dict;
};

template <typename K, typename V>
inline constexpr bool use_default_type_traits_v<Dict<K, V>> = false;

template <typename K, typename V, typename KU, typename VU>
inline constexpr bool type_subsumes_v<Dict<K, V>, Dict<KU, VU>> =
    type_subsumes_v<K, KU>&& type_subsumes_v<V, VU>;

template <typename K, typename V>
struct TypeTraits<Dict<K, V>>
    : details::MapTraitsImpl<Dict<K, V>, K, V, TypeIndex::kTVMFFIDict, TypeIndex::kTVMFFIMap> {};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_DICT_H_
