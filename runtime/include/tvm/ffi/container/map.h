/*
 * tvmffi-rpc runtime: Map<K, V>, an immutable associative container with copy-on-write
 * mutation that keeps insertion order. Its storage (MapObj) is upstream's: small up to four
 * entries, then a hash table (see map_base.h), so maps pass between this library and code
 * compiled against upstream's headers in both directions and either side may change them.
 */
#ifndef TVM_FFI_CONTAINER_MAP_H_
#define TVM_FFI_CONTAINER_MAP_H_

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

/*! \brief The storage of a Map. */
class MapObj : public MapBaseObj {
 public:
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIMap;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIMap, MapObj, Object);

 protected:
  template <typename, typename, typename>
  friend class Map;
};
static_assert(sizeof(MapObj) == 56, "MapObj is the header and four words");

/*! \brief Immutable map from K to V; Set and erase copy the storage when it is shared. Never
 *         null. */
template <typename K, typename V,
          typename =
              std::enable_if_t<details::storage_enabled_v<K> && details::storage_enabled_v<V>>>
class Map : public ObjectRef {
 public:
  using key_type = K;
  using mapped_type = V;
  using ContainerType = MapObj;
  static constexpr bool _type_is_nullable = false;
  static constexpr bool _type_container_is_exact = false;
  /*! \brief Walks (key, value) pairs, converted to K and V, in insertion order. */
  using iterator = details::TypedMapIterator<K, V>;

  Map() { data_ = MapObj::Empty<MapObj>(); }
  explicit Map(UnsafeInit tag) : ObjectRef(tag) {}
  explicit Map(ObjectPtr<Object> n) : ObjectRef(std::move(n)) {}
  Map(const Map&) = default;
  Map(Map&&) = default;
  Map& operator=(const Map&) = default;
  Map& operator=(Map&&) = default;
  /*! \brief A map whose keys and values this one can hold shares its storage. */
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Map(const Map<KU, VU>& other) : ObjectRef(other) {}  // NOLINT(google-explicit-constructor)
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Map(Map<KU, VU>&& other) : ObjectRef(std::move(other)) {}  // NOLINT(google-explicit-constructor)
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Map& operator=(const Map<KU, VU>& other) {
    ObjectRef::operator=(other);
    return *this;
  }
  template <typename KU, typename VU,
            typename = std::enable_if_t<type_subsumes_v<K, KU> && type_subsumes_v<V, VU>>>
  Map& operator=(Map<KU, VU>&& other) {
    ObjectRef::operator=(std::move(other));
    return *this;
  }
  /*! \brief From a range of (key, value) pairs; a repeated key takes the later value. */
  template <typename IterType>
  Map(IterType first, IterType last) {
    data_ = MapObj::CreateFromRange<MapObj>(first, last);
  }
  Map(std::initializer_list<std::pair<K, V>> init) {
    data_ = MapObj::CreateFromRange<MapObj>(init.begin(), init.end());
  }
  template <typename Hash, typename Equal>
  Map(const std::unordered_map<K, V, Hash, Equal>& init) {  // NOLINT(google-explicit-constructor)
    data_ = MapObj::CreateFromRange<MapObj>(init.begin(), init.end());
  }

  /*! \brief The value of key; a KeyError when it is absent. */
  const V at(const K& key) const {
    return details::MapEntryAs<V>(GetMapObj()->at(details::MapKey<K>(key).get()));
  }
  const V operator[](const K& key) const { return at(key); }
  size_t size() const { return GetMapObj()->size(); }
  size_t count(const K& key) const { return GetMapObj()->count(details::MapKey<K>(key).get()); }
  bool empty() const { return size() == 0; }
  void clear() { data_ = MapObj::Empty<MapObj>(); }
  std::optional<V> Get(const K& key) const {
    MapObj::iterator it = GetMapObj()->find(details::MapKey<K>(key).get());
    if (it == GetMapObj()->end()) return std::nullopt;
    return details::MapEntryAs<V>(it->second);
  }
  /*! \brief Inserts or replaces (the storage is copied first when it is shared). */
  void Set(const K& key, const V& value) {
    CopyOnWrite();
    details::MapKey<K> k(key);
    ObjectPtr<Object> grown = MapObj::Put<MapObj>(k.get(), Any(value), data_);
    if (grown != nullptr) data_ = std::move(grown);
  }
  void erase(const K& key) {
    details::MapKey<K> k(key);
    if (GetMapObj()->count(k.get()) != 0) CopyOnWrite()->erase(k.get());
  }
  /*! \brief Makes the storage this Map's alone and returns it. */
  MapObj* CopyOnWrite() {
    if (!data_.unique()) data_ = MapObj::CopyFrom<MapObj>(GetMapObj());
    return GetMapObj();
  }

  iterator begin() const { return iterator(GetMapObj()->begin()); }
  iterator end() const { return iterator(GetMapObj()->end()); }
  iterator find(const K& key) const {
    return iterator(GetMapObj()->find(details::MapKey<K>(key).get()));
  }

  const MapObj* get() const { return GetMapObj(); }
  const MapObj* operator->() const { return GetMapObj(); }

 private:
  MapObj* GetMapObj() const { return static_cast<MapObj*>(data_.get()); }
  template <typename, typename, typename>
  friend class Map;
};

/*! \brief lhs with rhs's entries set over it. */
template <typename K, typename V>
inline Map<K, V> Merge(Map<K, V> lhs, const Map<K, V>& rhs) {
  for (const auto& kv : rhs) lhs.Set(kv.first, kv.second);
  return lhs;
}

template <typename K, typename V>
inline constexpr bool use_default_type_traits_v<Map<K, V>> = false;

template <typename K, typename V, typename KU, typename VU>
inline constexpr bool type_subsumes_v<Map<K, V>, Map<KU, VU>> =
    type_subsumes_v<K, KU>&& type_subsumes_v<V, VU>;

template <typename K, typename V>
struct TypeTraits<Map<K, V>>
    : details::MapTraitsImpl<Map<K, V>, K, V, TypeIndex::kTVMFFIMap, TypeIndex::kTVMFFIDict> {};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_MAP_H_
