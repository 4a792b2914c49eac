/*
 * tvmffi-rpc runtime: Map<K, V>, an immutable copy-on-write associative container that keeps
 * insertion order. MapObj has upstream's MapBaseObj fields (data, size, slots, data_deleter).
 * Maps made here always use upstream's small form (slots tagged, entries as an inline key/value
 * array), which upstream's inline code reads and extends correctly. Maps that code compiled
 * against upstream's headers made in upstream's dense form (a hash table of 16-slot blocks
 * whose items are linked in insertion order) are read here too: iterated along that list and
 * searched linearly; a change to one makes a small-form copy first.
 */
#ifndef TVM_FFI_CONTAINER_MAP_H_
#define TVM_FFI_CONTAINER_MAP_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/string.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

/*! \brief Map storage: small form (`size` key/value pairs at `data`, room for
 *         (slots & ~tag)) or upstream's dense form (see the file comment). */
class MapObj : public Object {
 public:
  using KVType = std::pair<Any, Any>;
  static constexpr uint64_t kSmallTagMask = static_cast<uint64_t>(1) << 63;

  /*! \brief Walks the entries in insertion order, in either form. */
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = KVType;
    using difference_type = std::ptrdiff_t;
    using pointer = const KVType*;
    using reference = const KVType&;
    const_iterator(const MapObj* self, uint64_t index) : self_(self), index_(index) {}
    const KVType& operator*() const { return *self_->EntryAt(index_); }
    const KVType* operator->() const { return self_->EntryAt(index_); }
    const_iterator& operator++() {
      index_ = self_->NextIndex(index_);
      return *this;
    }
    const_iterator& operator--() {
      index_ = self_->PrevIndex(index_);
      return *this;
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }
    bool operator!=(const const_iterator& other) const { return index_ != other.index_; }

   private:
    const MapObj* self_;
    uint64_t index_;
  };

  MapObj() = default;
  // Only maps made by this library's Map<K, V> (always small) are destroyed here; upstream
  // builds its maps with its own deleter.
  ~MapObj() {
    KVType* kv = MutableBegin();
    for (uint64_t i = 0; i < size_; ++i) kv[i].~KVType();
    if (data_deleter_ != nullptr) data_deleter_(data_);
  }
  size_t size() const { return static_cast<size_t>(size_); }
  /*! \brief Room in the small form (0 for a dense map: it is never extended in place here). */
  uint64_t capacity() const { return IsSmallMap() ? slots_ & ~kSmallTagMask : 0; }
  bool IsSmallMap() const { return (slots_ & kSmallTagMask) != 0; }
  const_iterator begin() const { return const_iterator(this, IsSmallMap() ? 0 : Dense().head); }
  const_iterator end() const { return const_iterator(this, IsSmallMap() ? size_ : kDenseEnd); }
  /*! \brief The small form's entries (the caller has checked IsSmallMap()). */
  KVType* MutableBegin() { return static_cast<KVType*>(data_); }
  /*! \brief The entry of key, or end(). Linear in either form. */
  const_iterator FindIter(const Any& key) const {
    const_iterator it = begin();
    for (const_iterator last = end(); it != last; ++it) {
      if (details::AnyKeyEqual(it->first, key)) break;
    }
    return it;
  }
  const KVType* Find(const Any& key) const {
    const_iterator it = FindIter(key);
    return it == end() ? nullptr : &*it;
  }
  /*! \brief The value of key; an IndexError when it is absent. */
  const Any& at(const Any& key) const {
    const KVType* kv = Find(key);
    if (kv == nullptr) TVM_FFI_THROW(IndexError) << "key is not in Map";
    return kv->second;
  }
  /*! \brief An empty map with room for capacity entries. */
  static ObjectPtr<MapObj> Empty(uint64_t capacity) {
    ObjectPtr<MapObj> p = make_inplace_array_object<MapObj, KVType>(capacity);
    p->data_ = reinterpret_cast<char*>(p.get()) + sizeof(MapObj);
    p->slots_ = capacity | kSmallTagMask;
    return p;
  }
  /*! \brief Appends; the caller guarantees the key is new and there is room. */
  void EmplaceUnchecked(Any key, Any value) {
    new (MutableBegin() + size_) KVType(std::move(key), std::move(value));
    ++size_;
  }

  static constexpr int32_t _type_index = TypeIndex::kTVMFFIMap;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIMap, MapObj, Object);

 private:
  // Upstream's dense form. Its object has three more fields after these four; data points to
  // blocks of kDenseBlockCap metadata bytes followed by kDenseBlockCap items.
  struct DenseFields {
    uint32_t fib_shift;
    uint64_t head;  // first item in insertion order, kDenseEnd when empty
    uint64_t tail;
  };
  struct DenseItem {
    KVType kv;
    uint64_t prev;
    uint64_t next;  // kDenseEnd after the last
  };
  static_assert(sizeof(DenseItem) == 48, "upstream's dense map item is 48 bytes");
  static constexpr uint64_t kDenseBlockCap = 16;
  static constexpr uint64_t kDenseBlockBytes = kDenseBlockCap * (1 + sizeof(DenseItem));
  static constexpr uint64_t kDenseEnd = ~static_cast<uint64_t>(0);

  const DenseFields& Dense() const {
    return *reinterpret_cast<const DenseFields*>(reinterpret_cast<const char*>(this) +
                                                 sizeof(MapObj));
  }
  const DenseItem* DenseItemAt(uint64_t index) const {
    const char* block =
        static_cast<const char*>(data_) + (index / kDenseBlockCap) * kDenseBlockBytes;
    return reinterpret_cast<const DenseItem*>(block + kDenseBlockCap +
                                              (index % kDenseBlockCap) * sizeof(DenseItem));
  }
  const KVType* EntryAt(uint64_t index) const {
    return IsSmallMap() ? static_cast<const KVType*>(data_) + index : &DenseItemAt(index)->kv;
  }
  uint64_t NextIndex(uint64_t index) const {
    return IsSmallMap() ? index + 1 : DenseItemAt(index)->next;
  }
  uint64_t PrevIndex(uint64_t index) const {
    if (IsSmallMap()) return index - 1;
    return index == kDenseEnd ? Dense().tail : DenseItemAt(index)->prev;
  }

  void* data_{nullptr};
  uint64_t size_{0};
  uint64_t slots_{kSmallTagMask};
  void (*data_deleter_)(void*){nullptr};
  template <typename, typename>
  friend class Map;
};
static_assert(sizeof(MapObj) == 56, "MapObj is header + 4 words");

/*! \brief Immutable map from K to V with copy-on-write mutation. Never null. */
template <typename K, typename V>
class Map : public ObjectRef {
 public:
  static constexpr bool _type_custom_any_traits = true;
  using ContainerType = MapObj;
  static constexpr bool _type_is_nullable = false;

  Map() : ObjectRef(MapObj::Empty(0)) {}
  Map(std::initializer_list<std::pair<K, V>> init) : Map() {
    for (const auto& kv : init) Set(kv.first, kv.second);
  }
  /*! \brief From a range of (key, value) pairs; a later pair replaces an earlier key. */
  template <typename Iter>
  Map(Iter first, Iter last) : Map() {
    for (; first != last; ++first) Set((*first).first, (*first).second);
  }
  explicit Map(ObjectPtr<MapObj> p) : ObjectRef(std::move(p)) {}
  explicit Map(UnsafeInit tag) : ObjectRef(tag) {}
  Map(const Map&) = default;
  Map(Map&&) = default;
  Map& operator=(const Map&) = default;
  Map& operator=(Map&&) = default;
  /*! \brief A map whose keys and values ours can hold shares its storage. */
  template <typename K2, typename V2,
            typename = std::enable_if_t<!std::is_same_v<Map<K2, V2>, Map> &&
                                        type_subsumes_v<K, K2> && type_subsumes_v<V, V2>>>
  Map(const Map<K2, V2>& other) : ObjectRef(other) {}  // NOLINT(*)
  template <typename K2, typename V2,
            typename = std::enable_if_t<!std::is_same_v<Map<K2, V2>, Map> &&
                                        type_subsumes_v<K, K2> && type_subsumes_v<V, V2>>>
  Map(Map<K2, V2>&& other) : ObjectRef(std::move(other)) {}  // NOLINT(*)
  /*! \brief Drops every entry. */
  void clear() { data_ = MapObj::Empty(0); }

  size_t size() const { return get()->size(); }
  bool empty() const { return size() == 0; }
  size_t count(const K& key) const { return get()->Find(Any(key)) != nullptr ? 1 : 0; }
  /*! \brief The value of key; IndexError when absent. */
  V at(const K& key) const {
    const MapObj::KVType* kv = get()->Find(Any(key));
    if (kv == nullptr) TVM_FFI_THROW(IndexError) << "key is not in Map";
    return ConvertValue(kv->second);
  }
  V operator[](const K& key) const { return at(key); }
  Optional<V> Get(const K& key) const {
    const MapObj::KVType* kv = get()->Find(Any(key));
    if (kv == nullptr) return Optional<V>();
    return Optional<V>(ConvertValue(kv->second));
  }
  /*! \brief Inserts or replaces (copies the storage first if it is shared). */
  void Set(const K& key, const V& value) {
    Any k(key);
    MapObj* p = CopyOnWrite(0);
    for (MapObj::KVType* it = p->MutableBegin(); it != p->MutableBegin() + p->size_; ++it) {
      if (details::AnyKeyEqual(it->first, k)) {
        it->second = Any(value);
        return;
      }
    }
    p = CopyOnWrite(1);
    p->EmplaceUnchecked(std::move(k), Any(value));
  }
  void erase(const K& key) {
    Any k(key);
    if (get()->Find(k) == nullptr) return;
    ObjectPtr<MapObj> out = MapObj::Empty(get()->capacity());
    for (const auto& kv : *get()) {
      if (!details::AnyKeyEqual(kv.first, k)) out->EmplaceUnchecked(kv.first, kv.second);
    }
    data_ = std::move(out);
  }

  /*! \brief Iterates (key, value) pairs converted to K and V, in insertion order. */
  class iterator {
   public:
    explicit iterator(MapObj::const_iterator it) : it_(it) {}
    // Map<Any, Any> yields the stored pair itself; other maps yield converted copies.
    using reference = std::conditional_t<std::is_same_v<K, Any> && std::is_same_v<V, Any>,
                                         const std::pair<Any, Any>&, std::pair<K, V>>;
    reference operator*() const {
      if constexpr (std::is_same_v<K, Any> && std::is_same_v<V, Any>) {
        return *it_;
      } else {
        return std::pair<K, V>(ConvertKey(it_->first), ConvertValue(it_->second));
      }
    }
    iterator& operator++() {
      ++it_;
      return *this;
    }
    iterator& operator--() {
      --it_;
      return *this;
    }
    bool operator==(const iterator& other) const { return it_ == other.it_; }
    bool operator!=(const iterator& other) const { return it_ != other.it_; }

   private:
    MapObj::const_iterator it_;
  };
  iterator begin() const { return iterator(get()->begin()); }
  iterator end() const { return iterator(get()->end()); }
  iterator find(const K& key) const { return iterator(get()->FindIter(Any(key))); }

  const MapObj* get() const { return static_cast<const MapObj*>(data_.get()); }
  const MapObj* operator->() const { return get(); }

 private:
  static K ConvertKey(const Any& a) {
    if constexpr (std::is_same_v<K, Any>) {
      return a;
    } else {
      return a.cast<K>();
    }
  }
  static V ConvertValue(const Any& a) {
    if constexpr (std::is_same_v<V, Any>) {
      return a;
    } else {
      return a.cast<V>();
    }
  }
  MapObj* CopyOnWrite(uint64_t extra) {
    const MapObj* cur = get();
    uint64_t need = cur->size_ + extra;
    // a dense map (made by upstream's code) is never changed in place: it is copied first
    if (!data_.unique() || !cur->IsSmallMap() || need > cur->capacity()) {
      uint64_t cap = std::max<uint64_t>(need, need > cur->capacity() ? cur->capacity() * 2 : 0);
      cap = std::max<uint64_t>(cap, cur->capacity());
      ObjectPtr<MapObj> out = MapObj::Empty(cap);
      for (const auto& kv : *cur) out->EmplaceUnchecked(kv.first, kv.second);
      data_ = std::move(out);
    }
    return static_cast<MapObj*>(data_.get());
  }
};

template <typename K, typename V, typename K2, typename V2>
inline constexpr bool type_subsumes_v<Map<K, V>, Map<K2, V2>> =
    type_subsumes_v<K, K2>&& type_subsumes_v<V, V2>;

template <typename K, typename V>
struct TypeTraits<Map<K, V>> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static void CopyToAnyView(const Map<K, V>& src, TVMFFIAny* result) {
    TypeTraits<ObjectRef>::CopyToAnyView(src, result);
  }
  static void MoveToAny(Map<K, V> src, TVMFFIAny* result) {
    TypeTraits<ObjectRef>::MoveToAny(std::move(src), result);
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIMap) return false;
    if constexpr (std::is_same_v<K, Any> && std::is_same_v<V, Any>) {
      return true;
    } else {
      const MapObj* m = reinterpret_cast<const MapObj*>(src->v_obj);
      for (const auto& kv : *m) {
        if constexpr (!std::is_same_v<K, Any>) {
          if (!TypeTraits<K>::CheckAnyStrict(details::AnyUnsafe::TVMFFIAnyPtrFromAny(kv.first))) {
            return false;
          }
        }
        if constexpr (!std::is_same_v<V, Any>) {
          if (!TypeTraits<V>::CheckAnyStrict(details::AnyUnsafe::TVMFFIAnyPtrFromAny(kv.second))) {
            return false;
          }
        }
      }
      return true;
    }
  }
  static Map<K, V> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return details::ObjectUnsafe::ObjectRefFromUnowned<Map<K, V>>(
        reinterpret_cast<Object*>(src->v_obj));
  }
  static Map<K, V> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Object* obj = reinterpret_cast<Object*>(src->v_obj);
    details::SetNone(src);
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<Map<K, V>>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
  }
  static std::optional<Map<K, V>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index != TypeIndex::kTVMFFIMap) return std::nullopt;
    const MapObj* m = reinterpret_cast<const MapObj*>(src->v_obj);
    ObjectPtr<MapObj> out = MapObj::Empty(m->size());
    for (const auto& kv : *m) {
      std::optional<K> k = kv.first.template try_cast<K>();
      std::optional<V> v = kv.second.template try_cast<V>();
      if (!k.has_value() || !v.has_value()) return std::nullopt;
      out->EmplaceUnchecked(Any(std::move(*k)), Any(std::move(*v)));
    }
    return Map<K, V>(std::move(out));
  }
  static std::string TypeStr() {
    return "Map<" + TypeTraits<K>::TypeStr() + ", " + TypeTraits<V>::TypeStr() + ">";
  }
  static std::string TypeSchema() {
    return "{\"type\":\"ffi.Map\",\"args\":[" + TypeTraits<K>::TypeSchema() + "," +
           TypeTraits<V>::TypeSchema() + "]}";
  }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_MAP_H_
