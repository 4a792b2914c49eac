/*
 * tvmffi-rpc runtime: the storage Map (immutable, copy-on-write) and Dict (mutable, shared)
 * have in common, an insertion-ordered hash map in upstream tvm-ffi's two layouts, so that a
 * map made by this library and one made by code compiled against upstream's headers are read
 * and changed in place by either side.
 *
 * Small form (the top bit of slots_ set; up to 4 entries): size_ key/value pairs at data_ with
 * room for (slots_ & ~tag), searched linearly. data_ points just past the object unless
 * data_deleter_ is set. A small object always has room for at least two pairs, enough for the
 * dense form's fields, so a Dict can turn dense without changing its address.
 *
 * Dense form (the top bit clear, slots_ a power of two): data_ holds slots_ / 16 blocks of 16
 * metadata bytes followed by 16 items (pair, prev, next). A key's chain starts at slot
 * (AnyHash(key) * 11400714819323198485) >> fib_shift_. A metadata byte is 0xFF for an empty
 * slot, 0xFE for a slot emptied while a chain moves, otherwise bit 7 is clear on a chain's
 * first slot and set on the others, and the low 7 bits pick the distance to the next member
 * from kJumps (0: the chain ends). prev/next link the items in insertion order (head and tail
 * in the object); iteration follows them. The table doubles when a chain cannot grow within
 * the 126 jumps or the load would pass 0.99.
 */
#ifndef TVM_FFI_CONTAINER_MAP_BASE_H_
#define TVM_FFI_CONTAINER_MAP_BASE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

class SmallMapBaseObj;
class DenseMapBaseObj;
class String;
class Bytes;

namespace details {
/*!
 * \brief A map key as the Any cell it is stored as, borrowed from the caller's value: no
 *        reference is taken or released, so a lookup, or an update of a key already present,
 *        moves no reference count (an Any made from a String or object would take one and
 *        give it back, two atomic operations). Kinds whose view is not their stored cell
 *        (const char*, std::string, ...) are converted into an owned Any as before.
 */
template <typename K, typename = void>
class MapKey {
 public:
  explicit MapKey(const K& key) : owned_(key) {}
  const Any& get() const { return owned_; }

 private:
  Any owned_;
};
template <typename K>
class MapKey<K, std::enable_if_t<std::is_base_of_v<ObjectRef, K> || std::is_same_v<K, Any> ||
                                 std::is_same_v<K, String> || std::is_same_v<K, Bytes>>> {
 public:
  explicit MapKey(const K& key) {
    // The Any is never destroyed, so the reference it does not own is never released.
    new (&cell_.any) Any();
    TVMFFIAny* raw = AnyUnsafe::TVMFFIAnyPtrFromAny(&cell_.any);
    if constexpr (std::is_same_v<K, Any>) {
      *raw = *AnyUnsafe::TVMFFIAnyPtrFromAny(key);
    } else {
      TypeTraits<K>::CopyToAnyView(key, raw);
    }
  }
  MapKey(const MapKey&) = delete;
  MapKey& operator=(const MapKey&) = delete;
  const Any& get() const { return cell_.any; }

 private:
  union Cell {
    Cell() {}
    ~Cell() {}
    Any any;
  } cell_;
};
}  // namespace details

/*! \brief The fields and operations of both layouts; no type index of its own (MapObj and
 *         DictObj add theirs). */
class MapBaseObj : public Object {
 public:
  using key_type = Any;
  using mapped_type = Any;
  using KVType = std::pair<Any, Any>;
  /*! \brief A pair as raw cells. */
  struct KVRawStorageType {
    TVMFFIAny first;
    TVMFFIAny second;
  };
  static_assert(sizeof(KVType) == 32, "a map entry is two Any cells");

  /*! \brief A position in either layout: an entry index (small) or a slot index (dense). */
  class iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using difference_type = int64_t;
    using value_type = KVType;
    using pointer = KVType*;
    using reference = KVType&;
    iterator() = default;
    bool operator==(const iterator& other) const {
      return index == other.index && self == other.self;
    }
    bool operator!=(const iterator& other) const { return !(*this == other); }
    pointer operator->() const;
    reference operator*() const { return *operator->(); }
    iterator& operator++();
    iterator& operator--();
    iterator operator++(int) {
      iterator before = *this;
      ++*this;
      return before;
    }
    iterator operator--(int) {
      iterator before = *this;
      --*this;
      return before;
    }

   protected:
    iterator(uint64_t index, const MapBaseObj* self) : index(index), self(self) {}
    uint64_t index{0};
    const MapBaseObj* self{nullptr};
    friend class MapBaseObj;
    friend class SmallMapBaseObj;
    friend class DenseMapBaseObj;
  };

  size_t size() const { return static_cast<size_t>(size_); }
  size_t count(const key_type& key) const;
  /*! \brief The value of key; a KeyError when it is absent. */
  const mapped_type& at(const key_type& key) const;
  mapped_type& at(const key_type& key);
  iterator begin() const;
  iterator end() const;
  iterator find(const key_type& key) const;
  void erase(const iterator& position);
  void erase(const key_type& key) { erase(find(key)); }
  void clear();

 protected:
  static constexpr uint64_t kSmallTagMask = static_cast<uint64_t>(1) << 63;
  bool IsSmallMap() const { return (slots_ & kSmallTagMask) != 0; }

  /*! \brief Takes over other's storage (other is left empty); this object keeps its address. */
  inline void InplaceSwitchTo(ObjectPtr<Object>&& other);
  /*! \brief An empty map of type MapObjType (MapObj or DictObj) in the small form. */
  template <typename MapObjType>
  static inline ObjectPtr<Object> Empty();
  /*! \brief A map of the pairs in [first, last); a repeated key takes the later value. */
  template <typename MapObjType, typename IterType>
  static inline ObjectPtr<Object> CreateFromRange(IterType first, IterType last);
  /*! \brief Inserts or replaces in map (which the caller owns alone); returns the new storage
   *         when it had to grow (map is then left empty), null otherwise. */
  template <typename MapObjType>
  static inline ObjectPtr<Object> InsertMaybeReHash(KVType&& kv, const ObjectPtr<Object>& map);
  /*! \brief As InsertMaybeReHash, with the key apart: a const Any& is copied only into a new
   *         entry (lookups and updates of an existing key take no reference). */
  template <typename MapObjType, typename KeyArg>
  static inline ObjectPtr<Object> Put(KeyArg&& key, Any&& value, const ObjectPtr<Object>& map);
  /*! \brief A copy of from, in the same layout. */
  template <typename MapObjType>
  static inline ObjectPtr<Object> CopyFrom(MapBaseObj* from);

  void* data_;
  uint64_t size_;
  uint64_t slots_;
  void (*data_deleter_)(void*) = nullptr;

  friend class SmallMapBaseObj;
  friend class DenseMapBaseObj;
  template <typename, typename, typename>
  friend class Map;
  template <typename, typename, typename>
  friend class Dict;
};

/*! \brief The dense layout (see the file comment). */
class DenseMapBaseObj : public MapBaseObj {
 public:
  using MapBaseObj::iterator;
  uint64_t NumSlots() const { return slots_; }
  ~DenseMapBaseObj() { Reset(); }

  size_t count(const key_type& key) const { return Search(key).IsNone() ? 0 : 1; }
  const mapped_type& at(const key_type& key) const { return At(key); }
  mapped_type& at(const key_type& key) { return At(key); }
  iterator find(const key_type& key) const {
    Slot s = Search(key);
    return s.IsNone() ? end() : iterator(s.index, this);
  }
  void erase(const iterator& position) {
    if (position.self != nullptr && position.index < NumSlots()) Erase(Slot(position.index, this));
  }
  iterator begin() const { return iterator(iter_list_head_, this); }
  iterator end() const { return iterator(kInvalidIndex, this); }
  /*! \brief Destroys every entry; the table keeps its size. */
  void clear() {
    for (uint64_t i = 0; i < NumSlots(); ++i) {
      Slot s(i, this);
      if (s.IsEmpty() || s.IsProtected()) continue;
      s.DestroyItem();
      s.SetEmpty();
    }
    size_ = 0;
    iter_list_head_ = iter_list_tail_ = kInvalidIndex;
  }

 private:
  static constexpr uint64_t kBlockCap = 16;
  static constexpr double kMaxLoadFactor = 0.99;
  static constexpr uint8_t kEmptySlot = 0xFF;
  static constexpr uint8_t kProtectedSlot = 0xFE;
  static constexpr uint8_t kTailBit = 0x80;
  static constexpr uint8_t kJumpMask = 0x7F;
  static constexpr int kNumJumpDists = 126;
  static constexpr uint64_t kInvalidIndex = std::numeric_limits<uint64_t>::max();

  struct ItemType {
    KVType data;
    uint64_t prev = kInvalidIndex;
    uint64_t next = kInvalidIndex;
    explicit ItemType(KVType&& kv) : data(std::move(kv)) {}
    ItemType(key_type key, mapped_type value) : data(std::move(key), std::move(value)) {}
  };
  struct Block {
    uint8_t bytes[kBlockCap + kBlockCap * sizeof(ItemType)];
  };
  static_assert(sizeof(ItemType) == 48, "a dense item is a pair and two links");
  static_assert(sizeof(Block) == kBlockCap * (sizeof(ItemType) + 1), "a block is 16 slots");
  static void BlockDeleter(void* data) { delete[] static_cast<Block*>(data); }

  // The distance from a chain member to the next, by the 7-bit code in its metadata.
  static uint64_t Jump(uint8_t code) {
    // 0..15, then triangle numbers (which visit every slot of a power-of-two table), then
    // sparser ones.
    static constexpr uint64_t kJumps[kNumJumpDists] = {0,
                                                       1,
                                                       2,
                                                       3,
                                                       4,
                                                       5,
                                                       6,
                                                       7,
                                                       8,
                                                       9,
                                                       10,
                                                       11,
                                                       12,
                                                       13,
                                                       14,
                                                       15,
                                                       21,
                                                       28,
                                                       36,
                                                       45,
                                                       55,
                                                       66,
                                                       78,
                                                       91,
                                                       105,
                                                       120,
                                                       136,
                                                       153,
                                                       171,
                                                       190,
                                                       210,
                                                       231,
                                                       253,
                                                       276,
                                                       300,
                                                       325,
                                                       351,
                                                       378,
                                                       406,
                                                       435,
                                                       465,
                                                       496,
                                                       528,
                                                       561,
                                                       595,
                                                       630,
                                                       666,
                                                       703,
                                                       741,
                                                       780,
                                                       820,
                                                       861,
                                                       903,
                                                       946,
                                                       990,
                                                       1035,
                                                       1081,
                                                       1128,
                                                       1176,
                                                       1225,
                                                       1275,
                                                       1326,
                                                       1378,
                                                       1431,
                                                       1485,
                                                       1540,
                                                       1596,
                                                       1653,
                                                       1711,
                                                       1770,
                                                       1830,
                                                       1891,
                                                       1953,
                                                       2016,
                                                       2080,
                                                       2145,
                                                       2211,
                                                       2278,
                                                       2346,
                                                       2415,
                                                       2485,
                                                       2556,
                                                       2628,
                                                       8515,
                                                       19110,
                                                       42778,
                                                       96141,
                                                       216153,
                                                       486591,
                                                       1092981,
                                                       2458653,
                                                       5532801,
                                                       12442566,
                                                       27993903,
                                                       62983476,
                                                       141717030,
                                                       318844378,
                                                       717352503,
                                                       1614057336,
                                                       3631522476,
                                                       8170957530,
                                                       18384510628,
                                                       41364789378,
                                                       93070452520,
                                                       209408356380,
                                                       471168559170,
                                                       1060128894105,
                                                       2385289465695,
                                                       5366898840628,
                                                       12075518705635,
                                                       27169915244790,
                                                       61132312065111,
                                                       137547689707000,
                                                       309482283181501,
                                                       696335127828753,
                                                       1566753995631385,
                                                       3525196511162271,
                                                       7931691992677701,
                                                       17846306936293605,
                                                       40154190677507445,
                                                       90346928918121501,
                                                       203280589587557251,
                                                       457381325854679626,
                                                       1029107982097042876,
                                                       2315492959180353330,
                                                       5209859154120846435};
    return kJumps[code];
  }

  // A cursor on one slot; none when block is null.
  struct Slot {
    Slot() = default;
    Slot(uint64_t i, const DenseMapBaseObj* self) : index(i), block(self->BlockAt(i / kBlockCap)) {}
    uint8_t& Meta() const { return block->bytes[index % kBlockCap]; }
    ItemType& Item() const {
      return *reinterpret_cast<ItemType*>(block->bytes + kBlockCap +
                                          (index % kBlockCap) * sizeof(ItemType));
    }
    KVType& Data() const { return Item().data; }
    const key_type& Key() const { return Data().first; }
    mapped_type& Val() const { return Data().second; }
    bool IsNone() const { return block == nullptr; }
    bool IsEmpty() const { return Meta() == kEmptySlot; }
    bool IsProtected() const { return Meta() == kProtectedSlot; }
    bool IsHead() const { return (Meta() & kTailBit) == 0; }
    bool HasNext() const { return Jump(Meta() & kJumpMask) != 0; }
    void SetEmpty() const { Meta() = kEmptySlot; }
    void SetProtected() const { Meta() = kProtectedSlot; }
    void SetJump(uint8_t code) const { Meta() = static_cast<uint8_t>((Meta() & kTailBit) | code); }
    void DestroyItem() const {
      Data().first.Any::~Any();
      Data().second.Any::~Any();
    }
    // Marks this slot a chain's first member or a later one (no next yet); the item is
    // constructed by the caller.
    void MarkHead() const { Meta() = 0; }
    void MarkMember() const { Meta() = kTailBit; }
    void PlaceMember(ItemType&& item) const {
      MarkMember();
      new (&Item()) ItemType(std::move(item));
    }
    // Steps along the chain by the jump in meta; false (and none) at its end.
    bool Advance(const DenseMapBaseObj* self, uint8_t meta) {
      uint64_t d = Jump(meta & kJumpMask);
      if (d == 0) {
        *this = Slot();
        return false;
      }
      index = (index + d) & self->SlotMask();
      block = self->BlockAt(index / kBlockCap);
      return true;
    }
    bool Advance(const DenseMapBaseObj* self) { return Advance(self, Meta()); }
    // The member before this one in its chain (this is not a chain's first).
    Slot Prev(const DenseMapBaseObj* self) const {
      Slot prev = self->Home(AnyHash()(Key()));
      Slot cur = prev;
      for (cur.Advance(self); cur.index != index; cur.Advance(self)) prev = cur;
      return prev;
    }
    // The first empty slot reachable by one jump from here, and that jump's code.
    bool NextEmpty(const DenseMapBaseObj* self, uint8_t* code, Slot* out) const {
      for (uint8_t c = 1; c < kNumJumpDists; ++c) {
        Slot s((index + Jump(c)) & self->SlotMask(), self);
        if (s.IsEmpty()) {
          *code = c;
          *out = s;
          return true;
        }
      }
      return false;
    }
    uint64_t index{0};
    Block* block{nullptr};
  };

  Block* BlockAt(uint64_t i) const { return static_cast<Block*>(data_) + i; }
  // slots_ is a power of two: a mask wraps an index (a division would cost tens of cycles).
  uint64_t SlotMask() const { return slots_ - 1; }
  static uint64_t NumBlocks(uint64_t slots) { return (slots + kBlockCap - 1) / kBlockCap; }
  // The slot a hash maps to (Fibonacci hashing).
  Slot Home(uint64_t hash) const {
    return Slot((hash * 11400714819323198485ull) >> fib_shift_, this);
  }
  bool IsFull() const {
    return static_cast<double>(size_ + 1) > static_cast<double>(NumSlots()) * kMaxLoadFactor;
  }

  Slot Search(const key_type& key) const {
    if (size_ == 0) return Slot();
    Slot s = Home(AnyHash()(key));
    if (!s.IsHead()) return Slot();
    AnyEqual eq;
    do {
      if (eq(key, s.Key())) return s;
    } while (s.Advance(this));
    return Slot();
  }
  mapped_type& At(const key_type& key) const {
    Slot s = Search(key);
    if (s.IsNone()) TVM_FFI_THROW(KeyError) << "key is not in Map";
    return s.Val();
  }

  // The insertion-order list.
  void OrderUnlink(const Slot& s) {
    ItemType& item = s.Item();
    if (item.prev == kInvalidIndex) {
      iter_list_head_ = item.next;
    } else {
      Slot(item.prev, this).Item().next = item.next;
    }
    if (item.next == kInvalidIndex) {
      iter_list_tail_ = item.prev;
    } else {
      Slot(item.next, this).Item().prev = item.prev;
    }
  }
  void OrderPushBack(const Slot& s) {
    s.Item().prev = iter_list_tail_;
    s.Item().next = kInvalidIndex;
    if (iter_list_tail_ != kInvalidIndex) Slot(iter_list_tail_, this).Item().next = s.index;
    if (iter_list_head_ == kInvalidIndex) iter_list_head_ = s.index;
    iter_list_tail_ = s.index;
  }
  // dst takes src's place in the list (its item's links are overwritten).
  void OrderReplace(const Slot& src, const Slot& dst) {
    uint64_t prev = src.Item().prev;
    uint64_t next = src.Item().next;
    dst.Item().prev = prev;
    dst.Item().next = next;
    if (prev == kInvalidIndex) {
      iter_list_head_ = dst.index;
    } else {
      Slot(prev, this).Item().next = dst.index;
    }
    if (next == kInvalidIndex) {
      iter_list_tail_ = dst.index;
    } else {
      Slot(next, this).Item().prev = dst.index;
    }
  }

  // Finds key's slot (*fresh false; its item leaves the order list and the caller puts it back
  // at the end) or claims a new one in key's chain (*fresh true; the caller constructs its
  // item and counts it). False when the table must grow first.
  bool TryInsert(const key_type& key, Slot* out, bool* fresh) {
    if (slots_ == 0) return false;
    Slot s = Home(AnyHash()(key));
    *fresh = true;
    if (s.IsEmpty()) {
      s.MarkHead();
      *out = s;
      return true;
    }
    if (!s.IsHead()) {
      if (IsFull() || !Evict(s)) return false;
      s.MarkHead();
      *out = s;
      return true;
    }
    AnyEqual eq;
    Slot last = s;
    do {
      if (eq(key, s.Key())) {
        OrderUnlink(s);
        *out = s;
        *fresh = false;
        return true;
      }
      last = s;
    } while (s.Advance(this));
    if (IsFull()) return false;
    return ClaimAfter(last, out);
  }
  // Claims an empty slot one jump after last, a chain's last member, as the chain's new last.
  bool ClaimAfter(const Slot& last, Slot* out) {
    uint8_t code;
    if (!last.NextEmpty(this, &code, out)) return false;
    out->MarkMember();
    last.SetJump(code);
    return true;
  }
  // Places kv, whose key the table does not hold (growing and leaving the small form know
  // it), without comparing keys, at the end of the order. False (kv untouched) when its chain
  // cannot grow here: the table must grow.
  bool PlaceNew(KVType&& kv) {
    Slot s = Home(AnyHash()(kv.first));
    if (s.IsEmpty()) {
      s.MarkHead();
    } else if (!s.IsHead()) {
      if (!Evict(s)) return false;
      s.MarkHead();
    } else {
      Slot last = s;
      while (last.HasNext()) last.Advance(this);
      if (!ClaimAfter(last, &s)) return false;
    }
    new (&s.Item()) ItemType(std::move(kv));
    ++size_;
    OrderPushBack(s);
    return true;
  }
  // target holds a later member of another chain: moves that member and the rest of its
  // chain to empty slots after its predecessor, leaving target protected for a new chain's
  // first member. On false the table must grow; the order list still holds every item
  // (growing follows it).
  bool Evict(Slot target) {
    Slot from = target;
    Slot to_prev = target.Prev(this);
    bool first = true;
    uint8_t from_meta;
    do {
      uint8_t code;
      Slot to;
      if (!to_prev.NextEmpty(this, &code, &to)) return false;
      to.PlaceMember(ItemType(std::move(from.Data())));
      OrderReplace(from, to);
      from.DestroyItem();
      from_meta = from.Meta();
      // the target stays unusable until key lands in it
      if (first) {
        from.SetProtected();
        first = false;
      } else {
        from.SetEmpty();
      }
      to_prev.SetJump(code);
      to_prev = to;
    } while (from.Advance(this, from_meta));
    return true;
  }
  // Removes s: a chain's last member goes; otherwise the chain's last member moves into s.
  void Erase(const Slot& s) {
    --size_;
    if (!s.HasNext()) {
      if (!s.IsHead()) s.Prev(this).SetJump(0);
      OrderUnlink(s);
      s.DestroyItem();
      s.SetEmpty();
      return;
    }
    Slot before_last = s;
    Slot last = s;
    last.Advance(this);
    while (last.HasNext()) {
      before_last = last;
      last.Advance(this);
    }
    OrderUnlink(s);
    s.Data() = std::move(last.Data());
    OrderReplace(last, s);
    last.DestroyItem();
    last.SetEmpty();
    before_last.SetJump(0);
  }
  void ReleaseMemory() {
    if (data_ != nullptr) data_deleter_(data_);
    data_ = nullptr;
    data_deleter_ = nullptr;
    slots_ = 0;
    size_ = 0;
    fib_shift_ = 63;
  }
  void Reset() {
    clear();
    ReleaseMemory();
  }
  void InplaceSwitchTo(ObjectPtr<Object>&& other) {
    Reset();
    DenseMapBaseObj* o = static_cast<DenseMapBaseObj*>(other.get());
    TakeStorage(o);
  }
  // This object's dense fields become o's (o's are cleared).
  void TakeStorage(DenseMapBaseObj* o) {
    data_ = o->data_;
    size_ = o->size_;
    slots_ = o->slots_;
    data_deleter_ = o->data_deleter_;
    fib_shift_ = o->fib_shift_;
    iter_list_head_ = o->iter_list_head_;
    iter_list_tail_ = o->iter_list_tail_;
    o->data_ = nullptr;
    o->data_deleter_ = nullptr;
    o->size_ = 0;
    o->slots_ = 0;
  }

  // The table size for cap entries: a power of two above cap, doubled when cap would fill
  // more than half of it; fib_shift is 64 - log2(slots).
  static void CalcTableSize(uint64_t cap, uint32_t* fib_shift, uint64_t* n_slots) {
    uint32_t shift = 64;
    uint64_t slots = 1;
    for (uint64_t c = cap; c != 0; c >>= 1) {
      --shift;
      slots <<= 1;
    }
    if (slots < cap * 2) {
      *fib_shift = shift - 1;
      *n_slots = slots << 1;
    } else {
      *fib_shift = shift;
      *n_slots = slots;
    }
  }
  template <typename MapObjType>
  static ObjectPtr<Object> Empty(uint32_t fib_shift, uint64_t n_slots) {
    static_assert(sizeof(MapObjType) == sizeof(MapBaseObj), "map types add no fields");
    uint64_t n_blocks = NumBlocks(n_slots);
    std::unique_ptr<Block[]> blocks(new Block[n_blocks]);
    // every metadata byte empty: two word stores a block (GCC makes std::fill a memset call)
    constexpr uint64_t kEmptyWord = ~uint64_t{0};
    static_assert(kEmptySlot == 0xFF && kBlockCap == 2 * sizeof(kEmptyWord), "two words");
    for (uint64_t i = 0; i < n_blocks; ++i) {
      std::memcpy(blocks[i].bytes, &kEmptyWord, sizeof(kEmptyWord));
      std::memcpy(blocks[i].bytes + sizeof(kEmptyWord), &kEmptyWord, sizeof(kEmptyWord));
    }
    ObjectPtr<DenseMapBaseObj> p = make_object<DenseMapBaseObj>();
    p->data_ = blocks.release();
    p->data_deleter_ = BlockDeleter;
    p->slots_ = n_slots;
    p->size_ = 0;
    p->fib_shift_ = fib_shift;
    p->iter_list_head_ = p->iter_list_tail_ = kInvalidIndex;
    details::ObjectUnsafe::GetHeader(p.get())->type_index = MapObjType::RuntimeTypeIndex();
    return p;
  }
  template <typename MapObjType>
  static ObjectPtr<Object> CopyFrom(const DenseMapBaseObj* from) {
    ObjectPtr<Object> out = Empty<MapObjType>(from->fib_shift_, from->NumSlots());
    DenseMapBaseObj* p = static_cast<DenseMapBaseObj*>(out.get());
    for (uint64_t i = 0; i < from->NumSlots(); ++i) {
      Slot src(i, from);
      Slot dst(i, p);
      dst.Meta() = src.Meta();
      if (!src.IsEmpty()) new (&dst.Item()) ItemType(src.Item());
    }
    p->size_ = from->size_;
    p->iter_list_head_ = from->iter_list_head_;
    p->iter_list_tail_ = from->iter_list_tail_;
    return out;
  }
  // Sets key (an Any&& is moved in, a const Any& copied only into a new item) to value in map,
  // which the caller owns alone. Returns the new storage when it had to grow (map is then
  // left empty), null otherwise.
  template <typename MapObjType, typename KeyArg>
  static ObjectPtr<Object> Put(KeyArg&& key, Any&& value, const ObjectPtr<Object>& map) {
    DenseMapBaseObj* self = static_cast<DenseMapBaseObj*>(map.get());
    Slot s;
    bool fresh;
    if (self->TryInsert(key, &s, &fresh)) {
      if (fresh) {
        new (&s.Item()) ItemType(std::forward<KeyArg>(key), std::move(value));
        ++self->size_;
      } else {
        s.Val() = std::move(value);
      }
      self->OrderPushBack(s);
      return ObjectPtr<Object>(nullptr);
    }
    ObjectPtr<Object> grown = self->Grow<MapObjType>();
    ObjectPtr<Object> regrown = Put<MapObjType>(std::forward<KeyArg>(key), std::move(value), grown);
    return regrown != nullptr ? regrown : grown;
  }
  // Moves kv, whose key map does not hold, into map (owned alone); returns map, or its
  // successor when it had to grow.
  template <typename MapObjType>
  static ObjectPtr<Object> MoveInNew(KVType&& kv, ObjectPtr<Object> map) {
    DenseMapBaseObj* p = static_cast<DenseMapBaseObj*>(map.get());
    if (p->PlaceNew(std::move(kv))) return map;
    ObjectPtr<Object> grown = p->Grow<MapObjType>();
    return MoveInNew<MapObjType>(std::move(kv), std::move(grown));
  }
  // A table of twice the slots with this one's items, moved over in insertion order: their
  // keys are known distinct, so none is compared and no reference count moves. This table is
  // left empty.
  template <typename MapObjType>
  ObjectPtr<Object> Grow() {
    ObjectPtr<Object> grown = Empty<MapObjType>(fib_shift_ - 1, NumSlots() * 2);
    for (uint64_t i = iter_list_head_; i != kInvalidIndex;) {
      Slot item(i, this);
      i = item.Item().next;
      grown = MoveInNew<MapObjType>(std::move(item.Data()), std::move(grown));
      item.DestroyItem();
    }
    iter_list_head_ = iter_list_tail_ = kInvalidIndex;
    ReleaseMemory();
    return grown;
  }
  uint64_t IncItr(uint64_t index) const {
    return index == kInvalidIndex ? index : Slot(index, this).Item().next;
  }
  uint64_t DecItr(uint64_t index) const {
    return index == kInvalidIndex ? iter_list_tail_ : Slot(index, this).Item().prev;
  }
  KVType* DeRefItr(uint64_t index) const { return &Slot(index, this).Data(); }

 protected:
  uint32_t fib_shift_;
  uint64_t iter_list_head_ = kInvalidIndex;
  uint64_t iter_list_tail_ = kInvalidIndex;

  friend class MapBaseObj;
  friend class SmallMapBaseObj;
};

/*! \brief The small layout (see the file comment). */
class SmallMapBaseObj : public MapBaseObj {
 public:
  using MapBaseObj::iterator;
  using MapBaseObj::KVType;
  uint64_t NumSlots() const { return slots_ & ~kSmallTagMask; }
  inline ~SmallMapBaseObj();

  size_t count(const key_type& key) const { return IndexOf(key) < size_ ? 1 : 0; }
  const mapped_type& at(const key_type& key) const { return Items()[CheckedIndexOf(key)].second; }
  mapped_type& at(const key_type& key) { return Items()[CheckedIndexOf(key)].second; }
  iterator begin() const { return iterator(0, this); }
  iterator end() const { return iterator(size_, this); }
  iterator find(const key_type& key) const { return iterator(IndexOf(key), this); }
  void erase(const iterator& position) { Erase(position.index); }
  void clear() {
    KVType* items = Items();
    for (uint64_t i = 0; i < size_; ++i) {
      items[i].first.Any::~Any();
      items[i].second.Any::~Any();
    }
    size_ = 0;
  }

 private:
  static constexpr uint64_t kInitSize = 2;
  static constexpr uint64_t kMaxSize = 4;

  KVType* Items() const { return static_cast<KVType*>(data_); }
  uint64_t IndexOf(const key_type& key) const {
    AnyEqual eq;
    KVType* items = Items();
    for (uint64_t i = 0; i < size_; ++i) {
      if (eq(items[i].first, key)) return i;
    }
    return size_;
  }
  uint64_t CheckedIndexOf(const key_type& key) const {
    uint64_t i = IndexOf(key);
    if (i >= size_) TVM_FFI_THROW(KeyError) << "key is not in Map";
    return i;
  }
  // Removes entry index, keeping the others in order (an Any moves by its bytes).
  void Erase(uint64_t index) {
    if (index >= size_) return;
    KVType* items = Items();
    items[index].first.Any::~Any();
    items[index].second.Any::~Any();
    if (index + 1 < size_) {
      std::memmove(static_cast<void*>(items + index), static_cast<const void*>(items + index + 1),
                   (size_ - index - 1) * sizeof(KVType));
    }
    --size_;
  }
  void SetSmallSlots(uint64_t n) { slots_ = (n & ~kSmallTagMask) | kSmallTagMask; }
  // Destroys the entries and frees storage kept elsewhere (inline storage stays).
  void Reset() {
    clear();
    if (data_deleter_ != nullptr) {
      data_deleter_(data_);
      data_ = nullptr;
      data_deleter_ = nullptr;
      slots_ = 0;
    }
  }
  // Frees the small map whose inline entries start at data.
  static void DeleteInlineOwner(void* data) {
    details::ObjectUnsafe::ObjectPtrFromOwned<SmallMapBaseObj>(
        reinterpret_cast<Object*>(static_cast<char*>(data) - sizeof(SmallMapBaseObj)))
        .reset();
  }
  void InplaceSwitchTo(ObjectPtr<Object>&& other) {
    Reset();
    MapBaseObj* o = static_cast<MapBaseObj*>(other.get());
    if (!o->IsSmallMap()) {
      // this object has room for the dense fields (Empty() makes sure)
      reinterpret_cast<DenseMapBaseObj*>(this)->TakeStorage(static_cast<DenseMapBaseObj*>(o));
      return;
    }
    SmallMapBaseObj* small = static_cast<SmallMapBaseObj*>(o);
    data_ = small->data_;
    size_ = small->size_;
    slots_ = small->slots_;
    if (small->data_deleter_ != nullptr) {
      data_deleter_ = small->data_deleter_;
      small->data_deleter_ = nullptr;
    } else {
      // the entries live inside other: keep other alive until this object lets them go
      data_deleter_ = DeleteInlineOwner;
      details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(std::move(other));
    }
    small->data_ = nullptr;
    small->size_ = 0;
    small->slots_ = 0;
  }
  template <typename MapObjType>
  static ObjectPtr<Object> Empty(uint64_t n = kInitSize) {
    static_assert(sizeof(MapObjType) == sizeof(MapBaseObj), "map types add no fields");
    static_assert(sizeof(SmallMapBaseObj) + kInitSize * sizeof(KVType) >= sizeof(DenseMapBaseObj),
                  "a small map has room to turn dense in place");
    n = std::max(n, kInitSize);
    ObjectPtr<SmallMapBaseObj> p = make_inplace_array_object<SmallMapBaseObj, KVType>(n);
    p->data_ = reinterpret_cast<char*>(p.get()) + sizeof(SmallMapBaseObj);
    p->size_ = 0;
    p->SetSmallSlots(n);
    details::ObjectUnsafe::GetHeader(p.get())->type_index = MapObjType::RuntimeTypeIndex();
    return p;
  }
  // Room for n (at least 2) entries, filled with [first, last) as they are (no duplicate check).
  template <typename MapObjType, typename IterType>
  static ObjectPtr<Object> CreateFromRange(uint64_t n, IterType first, IterType last) {
    ObjectPtr<Object> out = Empty<MapObjType>(n);
    SmallMapBaseObj* p = static_cast<SmallMapBaseObj*>(out.get());
    for (; first != last; ++first) {
      new (p->Items() + p->size_) KVType(*first);
      ++p->size_;
    }
    return out;
  }
  template <typename MapObjType>
  static ObjectPtr<Object> CopyFrom(const SmallMapBaseObj* from) {
    return CreateFromRange<MapObjType>(from->size_, from->Items(), from->Items() + from->size_);
  }
  // As DenseMapBaseObj::Put; past the largest small size the map turns dense.
  template <typename MapObjType, typename KeyArg>
  static ObjectPtr<Object> Put(KeyArg&& key, Any&& value, const ObjectPtr<Object>& map) {
    SmallMapBaseObj* self = static_cast<SmallMapBaseObj*>(map.get());
    uint64_t i = self->IndexOf(key);
    if (i < self->size_) {
      self->Items()[i].second = std::move(value);
      return ObjectPtr<Object>(nullptr);
    }
    if (self->size_ < self->NumSlots()) {
      new (self->Items() + self->size_) KVType(std::forward<KeyArg>(key), std::move(value));
      ++self->size_;
      return ObjectPtr<Object>(nullptr);
    }
    if (self->NumSlots() >= kMaxSize) {
      ObjectPtr<Object> dense = self->ToDense<MapObjType>();
      return DenseMapBaseObj::MoveInNew<MapObjType>(
          KVType(std::forward<KeyArg>(key), std::move(value)), std::move(dense));
    }
    uint64_t grown_slots = std::min(std::max(self->NumSlots() * 2, kInitSize), kMaxSize);
    ObjectPtr<Object> grown = Empty<MapObjType>(grown_slots);
    // The caller owns map alone: its entries are relocated bit for bit (an Any has no
    // self-reference), so no reference count moves, and map is left empty.
    SmallMapBaseObj* to = static_cast<SmallMapBaseObj*>(grown.get());
    std::memcpy(static_cast<void*>(to->Items()), static_cast<const void*>(self->Items()),
                self->size_ * sizeof(KVType));
    to->size_ = self->size_;
    self->size_ = 0;
    new (to->Items() + to->size_) KVType(std::forward<KeyArg>(key), std::move(value));
    ++to->size_;
    return grown;
  }
  // The same entries in the dense form, moved over (no reference count moves); this map is
  // left empty.
  template <typename MapObjType>
  ObjectPtr<Object> ToDense() {
    uint32_t fib_shift;
    uint64_t n_slots;
    DenseMapBaseObj::CalcTableSize(size_, &fib_shift, &n_slots);
    ObjectPtr<Object> dense = DenseMapBaseObj::Empty<MapObjType>(fib_shift, n_slots);
    KVType* items = Items();
    for (uint64_t i = 0; i < size_; ++i) {
      dense = DenseMapBaseObj::MoveInNew<MapObjType>(std::move(items[i]), std::move(dense));
      items[i].first.Any::~Any();
      items[i].second.Any::~Any();
    }
    size_ = 0;
    return dense;
  }
  uint64_t IncItr(uint64_t index) const { return index + 1 < size_ ? index + 1 : size_; }
  uint64_t DecItr(uint64_t index) const { return index > 0 ? index - 1 : size_; }
  KVType* DeRefItr(uint64_t index) const { return Items() + index; }

  friend class MapBaseObj;
  friend class DenseMapBaseObj;
};

inline SmallMapBaseObj::~SmallMapBaseObj() {
  if (IsSmallMap()) {
    Reset();
  } else {
    // a Dict that turned dense in place
    reinterpret_cast<DenseMapBaseObj*>(this)->Reset();
  }
}

// One operation on whichever layout the map has.
#define TVM_FFI_MAP_DISPATCH(base, var, body)                                \
  if ((base)->IsSmallMap()) {                                                \
    auto var = static_cast<SmallMapPtr>(static_cast<MapBasePtr>(base));      \
    body;                                                                    \
  } else {                                                                   \
    auto var = reinterpret_cast<DenseMapPtr>(static_cast<MapBasePtr>(base)); \
    body;                                                                    \
  }

inline MapBaseObj::iterator::pointer MapBaseObj::iterator::operator->() const {
  using MapBasePtr = const MapBaseObj*;
  using SmallMapPtr = const SmallMapBaseObj*;
  using DenseMapPtr = const DenseMapBaseObj*;
  TVM_FFI_MAP_DISPATCH(self, p, return p->DeRefItr(index))
}
inline MapBaseObj::iterator& MapBaseObj::iterator::operator++() {
  using MapBasePtr = const MapBaseObj*;
  using SmallMapPtr = const SmallMapBaseObj*;
  using DenseMapPtr = const DenseMapBaseObj*;
  TVM_FFI_MAP_DISPATCH(self, p, index = p->IncItr(index))
  return *this;
}
inline MapBaseObj::iterator& MapBaseObj::iterator::operator--() {
  using MapBasePtr = const MapBaseObj*;
  using SmallMapPtr = const SmallMapBaseObj*;
  using DenseMapPtr = const DenseMapBaseObj*;
  TVM_FFI_MAP_DISPATCH(self, p, index = p->DecItr(index))
  return *this;
}

#define TVM_FFI_MAP_CONST_OP(ret, name, params, call) \
  inline ret MapBaseObj::name params const {          \
    using MapBasePtr = const MapBaseObj*;             \
    using SmallMapPtr = const SmallMapBaseObj*;       \
    using DenseMapPtr = const DenseMapBaseObj*;       \
    TVM_FFI_MAP_DISPATCH(this, p, return p->call)     \
  }
#define TVM_FFI_MAP_OP(ret, name, params, call)   \
  inline ret MapBaseObj::name params {            \
    using MapBasePtr = MapBaseObj*;               \
    using SmallMapPtr = SmallMapBaseObj*;         \
    using DenseMapPtr = DenseMapBaseObj*;         \
    TVM_FFI_MAP_DISPATCH(this, p, return p->call) \
  }
TVM_FFI_MAP_CONST_OP(size_t, count, (const key_type& key), count(key))
TVM_FFI_MAP_CONST_OP(const MapBaseObj::mapped_type&, at, (const key_type& key), at(key))
TVM_FFI_MAP_OP(MapBaseObj::mapped_type&, at, (const key_type& key), at(key))
TVM_FFI_MAP_CONST_OP(MapBaseObj::iterator, begin, (), begin())
TVM_FFI_MAP_CONST_OP(MapBaseObj::iterator, end, (), end())
TVM_FFI_MAP_CONST_OP(MapBaseObj::iterator, find, (const key_type& key), find(key))
TVM_FFI_MAP_OP(void, erase, (const iterator& position), erase(position))
TVM_FFI_MAP_OP(void, clear, (), clear())
TVM_FFI_MAP_OP(void, InplaceSwitchTo, (ObjectPtr<Object> && other),
               InplaceSwitchTo(std::move(other)))
#undef TVM_FFI_MAP_OP
#undef TVM_FFI_MAP_CONST_OP
#undef TVM_FFI_MAP_DISPATCH

template <typename MapObjType>
inline ObjectPtr<Object> MapBaseObj::Empty() {
  return SmallMapBaseObj::Empty<MapObjType>();
}

template <typename MapObjType>
inline ObjectPtr<Object> MapBaseObj::CopyFrom(MapBaseObj* from) {
  if (from->IsSmallMap()) {
    return SmallMapBaseObj::CopyFrom<MapObjType>(static_cast<SmallMapBaseObj*>(from));
  }
  return DenseMapBaseObj::CopyFrom<MapObjType>(reinterpret_cast<DenseMapBaseObj*>(from));
}

template <typename MapObjType, typename IterType>
inline ObjectPtr<Object> MapBaseObj::CreateFromRange(IterType first, IterType last) {
  int64_t n = static_cast<int64_t>(std::distance(first, last));
  if (n <= 0) return SmallMapBaseObj::Empty<MapObjType>();
  uint64_t cap = static_cast<uint64_t>(n);
  if (cap == 1) return SmallMapBaseObj::CreateFromRange<MapObjType>(cap, first, last);
  ObjectPtr<Object> out;
  if (cap < SmallMapBaseObj::kMaxSize) {
    out = SmallMapBaseObj::Empty<MapObjType>(cap);
  } else {
    uint32_t fib_shift;
    uint64_t n_slots;
    DenseMapBaseObj::CalcTableSize(cap, &fib_shift, &n_slots);
    out = DenseMapBaseObj::Empty<MapObjType>(fib_shift, n_slots);
  }
  for (; first != last; ++first) {
    ObjectPtr<Object> grown = InsertMaybeReHash<MapObjType>(KVType(*first), out);
    if (grown != nullptr) out = std::move(grown);
  }
  return out;
}

template <typename MapObjType, typename KeyArg>
inline ObjectPtr<Object> MapBaseObj::Put(KeyArg&& key, Any&& value, const ObjectPtr<Object>& map) {
  if (static_cast<MapBaseObj*>(map.get())->IsSmallMap()) {
    return SmallMapBaseObj::Put<MapObjType>(std::forward<KeyArg>(key), std::move(value), map);
  }
  return DenseMapBaseObj::Put<MapObjType>(std::forward<KeyArg>(key), std::move(value), map);
}

template <typename MapObjType>
inline ObjectPtr<Object> MapBaseObj::InsertMaybeReHash(KVType&& kv, const ObjectPtr<Object>& map) {
  return Put<MapObjType>(std::move(kv.first), std::move(kv.second), map);
}

namespace details {
/*! \brief Traits shared by Map and Dict: stored as their own kind (keys and values checked
 *         without conversion), converted entry-wise from the other kind or with converting
 *         entries. */
template <typename MapRef, typename K, typename V, int32_t kOwnIndex, int32_t kOtherIndex>
struct MapTraitsImpl : ObjectRefTypeTraitsBase<MapRef> {
  static constexpr int32_t field_static_type_index = kOwnIndex;
  static constexpr const char* Name() {
    return kOwnIndex == TypeIndex::kTVMFFIMap ? "Map" : "Dict";
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    if (src->type_index != kOwnIndex) return false;
    if constexpr (std::is_same_v<K, Any> && std::is_same_v<V, Any>) {
      return true;
    } else {
      for (const auto& kv : *reinterpret_cast<const MapBaseObj*>(src->v_obj)) {
        if (!EntryStrict(kv)) return false;
      }
      return true;
    }
  }
  static MapRef CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return ObjectUnsafe::ObjectRefFromUnowned<MapRef>(reinterpret_cast<Object*>(src->v_obj));
  }
  static MapRef MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Object* obj = reinterpret_cast<Object*>(src->v_obj);
    SetNone(src);
    return ObjectUnsafe::ObjectRefFromObjectPtr<MapRef>(
        ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
  }
  static std::optional<MapRef> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index != kOwnIndex && src->type_index != kOtherIndex) return std::nullopt;
    MapRef out;
    for (const auto& kv : *reinterpret_cast<const MapBaseObj*>(src->v_obj)) {
      std::optional<K> k = kv.first.template try_cast<K>();
      std::optional<V> v = kv.second.template try_cast<V>();
      if (!k.has_value() || !v.has_value()) return std::nullopt;
      out.Set(*std::move(k), *std::move(v));
    }
    return out;
  }
  static std::string GetMismatchTypeInfo(const TVMFFIAny* src) {
    if (src->type_index == kOwnIndex || src->type_index == kOtherIndex) {
      for (const auto& kv : *reinterpret_cast<const MapBaseObj*>(src->v_obj)) {
        if constexpr (!std::is_same_v<K, Any>) {
          if (!kv.first.template try_cast<K>().has_value()) {
            return std::string(Name()) + "[some key is " +
                   MismatchTypeInfo<K>(AnyUnsafe::TVMFFIAnyPtrFromAny(kv.first)) + ", V]";
          }
        }
        if constexpr (!std::is_same_v<V, Any>) {
          if (!kv.second.template try_cast<V>().has_value()) {
            return std::string(Name()) + "[K, some value is " +
                   MismatchTypeInfo<V>(AnyUnsafe::TVMFFIAnyPtrFromAny(kv.second)) + "]";
          }
        }
      }
    }
    return AnyTypeStr(src);
  }
  static std::string TypeStr() {
    return std::string(Name()) + "<" + TypeTraits<K>::TypeStr() + ", " + TypeTraits<V>::TypeStr() +
           ">";
  }
  static std::string TypeSchema() {
    return std::string("{\"type\":\"") +
           (kOwnIndex == TypeIndex::kTVMFFIMap ? StaticTypeKey::kTVMFFIMap
                                               : StaticTypeKey::kTVMFFIDict) +
           "\",\"args\":[" + TypeTraits<K>::TypeSchema() + "," + TypeTraits<V>::TypeSchema() + "]}";
  }

 private:
  static bool EntryStrict(const MapBaseObj::KVType& kv) {
    if constexpr (!std::is_same_v<K, Any>) {
      if (!TypeTraits<K>::CheckAnyStrict(AnyUnsafe::TVMFFIAnyPtrFromAny(kv.first))) return false;
    }
    if constexpr (!std::is_same_v<V, Any>) {
      if (!TypeTraits<V>::CheckAnyStrict(AnyUnsafe::TVMFFIAnyPtrFromAny(kv.second))) {
        return false;
      }
    }
    return true;
  }
};

/*! \brief Converts a stored key or value to T (no check: the container's type says so). */
template <typename T>
T MapEntryAs(const Any& a) {
  if constexpr (std::is_same_v<T, Any>) {
    return a;
  } else {
    return AnyUnsafe::CopyFromAnyViewAfterCheck<T>(a);
  }
}

/*! \brief The iterator of Map<K, V> and Dict<K, V>: (key, value) pairs converted to K and V,
 *         in insertion order. */
template <typename K, typename V>
class TypedMapIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using difference_type = int64_t;
  using value_type = const std::pair<K, V>;
  using pointer = value_type*;
  using reference = value_type;
  TypedMapIterator() = default;
  explicit TypedMapIterator(const MapBaseObj::iterator& it) : it_(it) {}
  bool operator==(const TypedMapIterator& other) const { return it_ == other.it_; }
  bool operator!=(const TypedMapIterator& other) const { return it_ != other.it_; }
  pointer operator->() const = delete;
  reference operator*() const {
    const MapBaseObj::KVType& kv = *it_;
    return std::make_pair(MapEntryAs<K>(kv.first), MapEntryAs<V>(kv.second));
  }
  TypedMapIterator& operator++() {
    ++it_;
    return *this;
  }
  TypedMapIterator& operator--() {
    --it_;
    return *this;
  }
  TypedMapIterator operator++(int) {
    TypedMapIterator before = *this;
    ++it_;
    return before;
  }
  TypedMapIterator operator--(int) {
    TypedMapIterator before = *this;
    --it_;
    return before;
  }

 private:
  MapBaseObj::iterator it_;
};
}  // namespace details

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_MAP_BASE_H_
