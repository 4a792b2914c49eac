// Map and Dict on upstream's hashed storage: both layouts, growth, order, copy-on-write (Map)
// and shared in-place change (Dict), the layout read and written by hand as code compiled
// against upstream's headers does, and the ffi.Dict*/ffi.List* globals.
#include <gtest/gtest.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/function.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace {
using namespace tvm::ffi;

std::string Key(int i) { return "key-" + std::to_string(i); }

// The dense form as upstream's map_base.h lays it out: the four MapBaseObj fields, then
// fib_shift and the insertion-order list's head and tail; data holds blocks of 16 metadata bytes
// and 16 items {key, value, prev, next}.
struct DenseLayout {
  TVMFFIObject header;
  void* data;
  uint64_t size;
  uint64_t slots;
  void (*data_deleter)(void*);
  uint32_t fib_shift;
  uint64_t head;
  uint64_t tail;
};
struct DenseItem {
  TVMFFIAny key;
  TVMFFIAny value;
  uint64_t prev;
  uint64_t next;
};
constexpr uint64_t kEnd = ~uint64_t{0};
constexpr size_t kBlockBytes = 16 * (1 + sizeof(DenseItem));
uint8_t* MetaAt(void* data, uint64_t i) {
  return static_cast<uint8_t*>(data) + (i / 16) * kBlockBytes + i % 16;
}
DenseItem* ItemAt(void* data, uint64_t i) {
  return reinterpret_cast<DenseItem*>(static_cast<char*>(data) + (i / 16) * kBlockBytes + 16 +
                                      (i % 16) * sizeof(DenseItem));
}
uint64_t HomeSlot(const Any& key, uint32_t fib_shift) {
  return (AnyHash()(key) * 11400714819323198485ull) >> fib_shift;
}
const DenseLayout* Layout(const ObjectRef& m) {
  return reinterpret_cast<const DenseLayout*>(m.get());
}
bool IsSmall(const ObjectRef& m) { return (Layout(m)->slots >> 63) != 0; }
// The strong count of a heap String's object (String has no use_count of its own).
uint32_t UseCount(const String& s) {
  TVMFFIAny cell;
  TypeTraits<String>::CopyToAnyView(s, &cell);
  EXPECT_EQ(cell.type_index, kTVMFFIStr) << "a heap string";
  return reinterpret_cast<const Object*>(cell.v_obj)->use_count();
}

TEST(Map, GrowsFromSmallToDenseKeepingOrderAndLookups) {
  Map<String, int64_t> m;
  for (int i = 0; i < 4; ++i) m.Set(Key(i), i);
  EXPECT_TRUE(IsSmall(m));
  for (int i = 4; i < 1000; ++i) m.Set(Key(i), i);
  EXPECT_FALSE(IsSmall(m));
  ASSERT_EQ(m.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(m.at(Key(i)), i) << i;
  EXPECT_EQ(m.count("absent"), 0u);
  EXPECT_FALSE(m.Get("absent").has_value());
  int expect = 0;
  for (const auto& [k, v] : m) {
    ASSERT_EQ(k, Key(expect));
    ASSERT_EQ(v, expect);
    ++expect;
  }
  // backwards from the end
  auto it = m.end();
  for (int i = 999; i >= 0; --i) ASSERT_EQ((*--it).second, i);
  // erase every other key; the rest stay in order and are found
  for (int i = 0; i < 1000; i += 2) m.erase(Key(i));
  ASSERT_EQ(m.size(), 500u);
  expect = 1;
  for (const auto& [k, v] : m) {
    ASSERT_EQ(v, expect);
    expect += 2;
  }
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(m.count(Key(i)), static_cast<size_t>(i % 2)) << i;
  // put them back: at the end of the order
  for (int i = 0; i < 1000; i += 2) m.Set(Key(i), -i);
  EXPECT_EQ(m.size(), 1000u);
  EXPECT_EQ((*--m.end()).second, -998);
}

TEST(Map, UpdatingAKeyKeepsItsPlaceWhileSmallAndMovesItLastWhenDense) {
  Map<String, int64_t> m;
  for (int i = 0; i < 4; ++i) m.Set(Key(i), i);
  m.Set(Key(1), 10);  // a full small map: stays small, the key keeps its place
  EXPECT_TRUE(IsSmall(m));
  std::vector<int64_t> values;
  for (const auto& kv : m) values.push_back(kv.second);
  EXPECT_EQ(values, (std::vector<int64_t>{0, 10, 2, 3}));
  m.Set(Key(4), 4);
  EXPECT_FALSE(IsSmall(m));
  m.Set(Key(1), 11);  // dense, as upstream's: the updated key goes last
  values.clear();
  for (const auto& kv : m) values.push_back(kv.second);
  EXPECT_EQ(values, (std::vector<int64_t>{0, 2, 3, 4, 11}));
}

TEST(Map, MissingKeyIsAKeyError) {
  Map<String, int64_t> small{{"a", 1}};
  Map<int64_t, int64_t> dense;
  for (int i = 0; i < 20; ++i) dense.Set(i, i);
  for (auto call : {std::function<void()>([&] { (void)small.at("b"); }),
                    std::function<void()>([&] { (void)dense.at(99); })}) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), "KeyError");
      EXPECT_NE(std::string(e.message()).find("key is not in Map"), std::string::npos);
    }
  }
}

TEST(Map, CopyOnWriteLeavesOtherHandlesAlone) {
  for (int n : {3, 40}) {
    Map<int64_t, int64_t> a;
    for (int i = 0; i < n; ++i) a.Set(i, i);
    Map<int64_t, int64_t> b = a;
    b.Set(0, 100);
    b.Set(n, n);
    b.erase(1);
    EXPECT_EQ(a.size(), static_cast<size_t>(n));
    EXPECT_EQ(a.at(0), 0);
    EXPECT_EQ(a.count(1), 1u);
    EXPECT_EQ(a.count(n), 0u);
    EXPECT_EQ(b.at(0), 100);
    EXPECT_EQ(b.count(1), 0u);
    EXPECT_NE(a.get(), b.get());
  }
}

// A small map that grows relocates its entries (no reference count moves): every key is still
// held exactly once by each map that has it, and a map shared before the change keeps its own.
TEST(Map, GrowingASmallMapKeepsEachKeyHeldOncePerMap) {
  std::vector<Array<int64_t>> keys;  // objects, whose counts can be read
  for (int i = 0; i < 4; ++i) keys.push_back(Array<int64_t>{i});
  Map<Array<int64_t>, int64_t> a;
  a.Set(keys[0], 0);
  a.Set(keys[1], 1);  // two slots, full
  Map<Array<int64_t>, int64_t> b = a;
  b.Set(keys[2], 2);  // copy on write, then grows to four slots
  b.Set(keys[3], 3);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.size(), 4u);
  EXPECT_EQ(keys[0].use_count(), 3u);  // keys, a, b
  EXPECT_EQ(keys[2].use_count(), 2u);  // keys, b
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.at(keys[i]), i);
  b = Map<Array<int64_t>, int64_t>();
  EXPECT_EQ(keys[0].use_count(), 2u);
  EXPECT_EQ(keys[3].use_count(), 1u);
  EXPECT_EQ(a.at(keys[1]), 1);

  Dict<Array<int64_t>, int64_t> d;
  Dict<Array<int64_t>, int64_t> shared = d;
  for (int i = 0; i < 4; ++i) d.Set(keys[i], i);  // grows 2 -> 4 slots in place
  EXPECT_EQ(shared.size(), 4u);
  EXPECT_EQ(shared.at(keys[3]), 3);
  EXPECT_EQ(keys[3].use_count(), 2u);  // keys, d
  d.clear();
  EXPECT_EQ(keys[3].use_count(), 1u);
}

// Dense growth moves entries over without copying them, lookups borrow the caller's key, and
// updating a key already present leaves it alone: each key and value is held exactly once by
// the map through every growth, order, eviction and erasure, and no lookup changes a count.
TEST(Map, DenseGrowthAndLookupsMoveNoReferenceCount) {
  constexpr int kN = 3000;  // small -> dense -> grown nine times, with evictions on the way
  std::vector<Array<int64_t>> keys;
  std::vector<String> values;
  for (int i = 0; i < kN; ++i) {
    keys.push_back(Array<int64_t>{i, i * 7});
    values.push_back(String("a value longer than seven bytes " + std::to_string(i)));
  }
  Map<Array<int64_t>, String> m;
  for (int i = 0; i < kN; ++i) m.Set(keys[i], values[i]);
  ASSERT_EQ(m.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(keys[i].use_count(), 2u) << i;  // keys, m
    ASSERT_EQ(UseCount(values[i]), 2u) << i;
  }
  int order = 0;
  for (const auto& [k, v] : m) {
    ASSERT_TRUE(k.same_as(keys[order])) << order;
    ++order;
  }
  EXPECT_EQ(order, kN);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(m.at(keys[i]), values[i]);
    EXPECT_EQ(m.count(keys[i]), 1u);
    EXPECT_TRUE(m.Get(keys[i]).has_value());
    EXPECT_NE(m.find(keys[i]), m.end());
    ASSERT_EQ(keys[i].use_count(), 2u) << "a lookup kept a reference to key " << i;
  }
  // an object key matches by identity: an equal array that is another object is another key
  EXPECT_EQ(m.count(Array<int64_t>{5, 35}), 0u);
  // updating present keys: the stored key stays, the value is replaced
  for (int i = 0; i < kN; i += 2) m.Set(keys[i], values[kN - 1 - i]);
  for (int i = 0; i < kN; i += 2) {
    ASSERT_EQ(keys[i].use_count(), 2u) << i;
    ASSERT_EQ(m.at(keys[i]), values[kN - 1 - i]);
  }
  for (int i = 0; i < kN; i += 3) m.erase(keys[i]);
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(keys[i].use_count(), i % 3 == 0 ? 1u : 2u) << i;
    ASSERT_EQ(m.count(keys[i]), i % 3 == 0 ? 0u : 1u) << i;
  }
  m = Map<Array<int64_t>, String>();
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(keys[i].use_count(), 1u) << i;
    ASSERT_EQ(UseCount(values[i]), 1u) << i;
  }

  // Dict: the same, growing in place
  Dict<Array<int64_t>, String> d;
  const Object* addr = d.get();
  for (int i = 0; i < kN; ++i) d.Set(keys[i], values[i]);
  EXPECT_EQ(d.get(), addr);
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(d.at(keys[i]), values[i]);
    ASSERT_EQ(keys[i].use_count(), 2u) << i;
  }
  d.clear();
  EXPECT_EQ(keys[0].use_count(), 1u);
}

// Keys of kinds a lookup cannot borrow (converted into an Any of their own) still match.
TEST(Map, KeysOfEveryKindAreFoundAndStoredOnce) {
  Map<Any, int64_t> m;
  String heap("a heap string key");
  m.Set(heap, 1);
  m.Set(int64_t{7}, 2);
  m.Set(Any(String("tiny")), 3);
  m.Set(std::string("from std::string"), 4);
  for (int i = 0; i < 20; ++i) m.Set(Any(i * 1000), i);  // dense
  EXPECT_EQ(m.at(heap), 1);
  EXPECT_EQ(m.at(String("a heap string key")), 1);
  EXPECT_EQ(m.at(int64_t{7}), 2);
  EXPECT_EQ(m.at(Any("tiny")), 3);
  EXPECT_EQ(m.at(String("from std::string")), 4);
  EXPECT_EQ(UseCount(heap), 2u);
  Map<String, int64_t> s;
  for (int i = 0; i < 10; ++i) s.Set(std::string("key number ") + std::to_string(i), i);
  EXPECT_EQ(s.at("key number 3"), 3);
  EXPECT_EQ(s.count(std::string("key number 9")), 1u);
  EXPECT_EQ(s.count("key number 10"), 0u);
}

TEST(Map, KeysCompareByValueAcrossForms) {
  Map<Any, Any> m;
  for (int i = 0; i < 10; ++i) m.Set(i, i);  // dense
  m.Set(String("short"), 1);
  m.Set(String("a string long enough to live on the heap"), 2);
  m.Set(1.0, 3);  // a float is not the int 1
  EXPECT_EQ(m.at(Any(std::string("short"))).cast<int>(), 1);
  EXPECT_EQ(m.at(Any(std::string("a string long enough to live on the heap"))).cast<int>(), 2);
  EXPECT_EQ(m.at(1).cast<int>(), 1);
  EXPECT_EQ(m.at(1.0).cast<int>(), 3);
  EXPECT_EQ(m.size(), 13u);
}

TEST(Map, FromRangeATakesTheLaterValueOfARepeatedKey) {
  std::vector<std::pair<String, int64_t>> small = {{"a", 1}, {"b", 2}, {"a", 3}};
  Map<String, int64_t> m(small.begin(), small.end());
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a"), 3);
  std::vector<std::pair<String, int64_t>> many;
  for (int i = 0; i < 10; ++i) many.emplace_back(Key(i % 5), i);
  Map<String, int64_t> d(many.begin(), many.end());
  EXPECT_EQ(d.size(), 5u);
  EXPECT_EQ(d.at(Key(0)), 5);
  // JSON objects are built the same way
  Map<Any, Any> obj = json::Parse("{\"k\": 1, \"j\": 2, \"k\": 3}").cast<Map<Any, Any>>();
  EXPECT_EQ(obj.size(), 2u);
  EXPECT_EQ(obj.at(String("k")).cast<int>(), 3);
}

// Our dense map read by hand as upstream's inline code reads it.
TEST(Map, DenseLayoutIsUpstreams) {
  Map<String, int64_t> m;
  for (int i = 0; i < 40; ++i) m.Set(Key(i), i);
  const DenseLayout* raw = Layout(m);
  ASSERT_EQ(raw->slots & (uint64_t{1} << 63), 0u) << "dense: no small tag";
  ASSERT_EQ(raw->slots & (raw->slots - 1), 0u) << "a power of two";
  EXPECT_EQ(uint64_t{1} << (64 - raw->fib_shift), raw->slots);
  EXPECT_EQ(raw->size, 40u);
  int i = 0;
  for (uint64_t s = raw->head; s != kEnd; s = ItemAt(raw->data, s)->next, ++i) {
    ASSERT_LT(s, raw->slots);
    DenseItem* item = ItemAt(raw->data, s);
    Any key = AnyView::CopyFromTVMFFIAny(item->key);
    EXPECT_EQ(key.cast<String>(), Key(i));
    EXPECT_EQ(item->value.v_int64, i);
    EXPECT_NE(*MetaAt(raw->data, s), 0xFF);
    // the key's home slot starts a chain (bit 7 clear)
    uint8_t home = *MetaAt(raw->data, HomeSlot(key, raw->fib_shift));
    EXPECT_LT(home, 0x80) << Key(i);
  }
  EXPECT_EQ(i, 40);
}

// A dense map laid out by hand, as code compiled against upstream's headers makes one: found,
// walked and grown here.
int hand_maps_destroyed = 0;
void FreeBlocks(void* data) { std::free(data); }
void DeleteHandMap(void* self, int flags) {
  auto* m = static_cast<DenseLayout*>(self);
  if (flags & kTVMFFIObjectDeleterFlagBitMaskStrong) {
    for (uint64_t i = 0; i < m->slots; ++i) {
      uint8_t meta = *MetaAt(m->data, i);
      if (meta == 0xFF || meta == 0xFE) continue;
      details::AnyUnsafe::MoveTVMFFIAnyToAny(&ItemAt(m->data, i)->key);
      details::AnyUnsafe::MoveTVMFFIAnyToAny(&ItemAt(m->data, i)->value);
    }
    if (m->data != nullptr) m->data_deleter(m->data);
    ++hand_maps_destroyed;
  }
  if (flags & kTVMFFIObjectDeleterFlagBitMaskWeak) std::free(m);
}

TEST(Map, HandBuiltDenseMapIsFoundWalkedAndGrownHere) {
  hand_maps_destroyed = 0;
  {
    auto* raw = static_cast<DenseLayout*>(std::calloc(1, sizeof(DenseLayout)));
    raw->header.combined_ref_count = details::kCombinedRefCountBothOne;
    raw->header.type_index = kTVMFFIMap;
    raw->header.deleter = DeleteHandMap;
    raw->slots = 32;
    raw->fib_shift = 59;
    raw->data = std::calloc(2, kBlockBytes);
    raw->data_deleter = FreeBlocks;
    for (int b = 0; b < 2; ++b) std::memset(MetaAt(raw->data, b * 16), 0xFF, 16);
    raw->head = raw->tail = kEnd;
    // keys whose home slots differ, each the one member of its chain
    std::vector<std::string> keys;
    std::set<uint64_t> used;
    for (int i = 0; keys.size() < 8; ++i) {
      uint64_t home = HomeSlot(String(Key(i)), raw->fib_shift);
      if (!used.insert(home).second) continue;
      keys.push_back(Key(i));
      *MetaAt(raw->data, home) = 0;
      DenseItem* item = ItemAt(raw->data, home);
      item->key = details::AnyUnsafe::MoveAnyToTVMFFIAny(Any(String(Key(i))));
      item->value = details::AnyUnsafe::MoveAnyToTVMFFIAny(Any(int64_t{i}));
      item->prev = raw->tail;
      item->next = kEnd;
      if (raw->tail != kEnd) ItemAt(raw->data, raw->tail)->next = home;
      if (raw->head == kEnd) raw->head = home;
      raw->tail = home;
      ++raw->size;
    }
    Map<String, int64_t> m = details::ObjectUnsafe::ObjectRefFromObjectPtr<Map<String, int64_t>>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(reinterpret_cast<Object*>(raw)));
    std::vector<std::string> walked;
    for (const auto& [k, v] : m) {
      walked.push_back(k);
      EXPECT_EQ(m.at(k), v);
    }
    EXPECT_EQ(walked, keys);
    EXPECT_EQ(m.count("absent"), 0u);
    // the only handle: changed in place until it must grow, then moved to new storage
    for (int i = 1000; i < 1040; ++i) m.Set(Key(i), i);
    EXPECT_EQ(m.size(), 48u);
    for (const std::string& k : keys) EXPECT_EQ(m.count(k), 1u) << k;
    for (int i = 1000; i < 1040; ++i) EXPECT_EQ(m.at(Key(i)), i);
    EXPECT_EQ((*m.begin()).first, keys[0]);
  }
  EXPECT_EQ(hand_maps_destroyed, 1);
}

TEST(Dict, ChangesAreSharedAndTheObjectKeepsItsAddress) {
  Dict<String, int64_t> a;
  Dict<String, int64_t> b = a;
  const Object* addr = a.get();
  for (int i = 0; i < 200; ++i) a.Set(Key(i), i);  // small -> dense -> grown twice
  EXPECT_EQ(a.get(), addr);
  EXPECT_EQ(b.size(), 200u);
  EXPECT_EQ(b.at(Key(150)), 150);
  b.erase(Key(0));
  EXPECT_EQ(a.count(Key(0)), 0u);
  b.clear();
  EXPECT_TRUE(a.empty());
  a.Set("again", 1);
  EXPECT_EQ(b.at("again"), 1);
  EXPECT_EQ(a.get(), addr);
}

TEST(Dict, ThroughAnyAndConversionsToAndFromMap) {
  Dict<String, int64_t> d{{"x", 1}, {"y", 2}};
  Any any = d;
  EXPECT_EQ(any.type_index(), kTVMFFIDict);
  EXPECT_EQ(any.GetTypeKey(), "ffi.Dict");
  EXPECT_TRUE((any.cast<Dict<String, int64_t>>().same_as(d)));
  // a Map from a Dict (and back) is a copy
  Map<String, int64_t> m = any.cast<Map<String, int64_t>>();
  EXPECT_FALSE(m.same_as(d));
  EXPECT_EQ(m.at("y"), 2);
  Dict<Any, Any> back = Any(m).cast<Dict<Any, Any>>();
  EXPECT_EQ(back.size(), 2u);
  try {
    (void)Any(Dict<String, Any>{{"k", String("v")}}).cast<Dict<String, int64_t>>();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(std::string(e.message()).find("Dict[K, some value is"), std::string::npos)
        << e.message();
  }
}

TEST(ContainerGlobals, DictAndListThroughTheRegistry) {
  auto g = [](const char* name) { return Function::GetGlobalRequired(name); };
  Any d = g("ffi.Dict")("a", 1, "b", 2);
  EXPECT_EQ(d.type_index(), kTVMFFIDict);
  g("ffi.DictSetItem")(d, "c", 3);
  EXPECT_EQ(g("ffi.DictSize")(d).cast<int>(), 3);
  EXPECT_EQ(g("ffi.DictGetItem")(d, "c").cast<int>(), 3);
  g("ffi.DictErase")(d, "a");
  EXPECT_EQ(g("ffi.DictCount")(d, "a").cast<int>(), 0);
  EXPECT_TRUE(g("ffi.DictGetItemOrMissing")(d, "a").same_as(g("ffi.GetInvalidObject")()));
  Function it = g("ffi.DictForwardIterFunctor")(d).cast<Function>();
  EXPECT_EQ(it(0).cast<std::string>(), "b");
  EXPECT_THROW(g("ffi.Dict")("odd"), Error);
  EXPECT_THROW(g("ffi.MapSize")(d), Error) << "a Dict is not a Map";
  g("ffi.DictClear")(d);
  EXPECT_EQ(g("ffi.DictSize")(d).cast<int>(), 0);

  Any l = g("ffi.List")(1, 2, 3);
  EXPECT_EQ(l.type_index(), kTVMFFIList);
  g("ffi.ListAppend")(l, 4);
  g("ffi.ListInsert")(l, 0, 0);
  EXPECT_THROW(g("ffi.ListInsert")(l, 9, 0), Error);
  EXPECT_EQ(g("ffi.ListPop")(l, 4).cast<int>(), 4);
  g("ffi.ListSetItem")(l, 1, 10);
  EXPECT_TRUE(g("ffi.ListContains")(l, 10).cast<bool>());
  g("ffi.ListReplaceSlice")(l, 0, 1, l);  // the list replaces its own first element
  EXPECT_EQ(l.cast<List<int64_t>>().size(), 7u);
  g("ffi.ListEraseRange")(l, 0, 4);
  g("ffi.ListReverse")(l);
  List<int64_t> now = l.cast<List<int64_t>>();
  EXPECT_EQ(std::vector<int64_t>(now.begin(), now.end()), (std::vector<int64_t>{3, 2, 10}));
  g("ffi.ListErase")(l, 0);
  EXPECT_EQ(g("ffi.ListSize")(l).cast<int>(), 2);
  g("ffi.ListClear")(l);
  EXPECT_EQ(g("ffi.ListSize")(l).cast<int>(), 0);

  DLDevice cpu = g("ffi.ContainerFindFirstNonCPUDevice")(Array<Any>{1, 2}).cast<DLDevice>();
  EXPECT_EQ(cpu.device_type, kDLCPU);
}

// Small strings and bytes differing only in a trailing NUL have the same value word; the
// length (kept beside the type index) tells them apart. Before the fix both landed on one key.
TEST(MapKeys, TrailingNulMakesAnotherKey) {
  Map<Any, Any> m;
  m.Set(Bytes("a", 1), 1);
  m.Set(Bytes("a\0", 2), 2);
  m.Set(String("b"), 3);
  m.Set(String(std::string("b\0", 2)), 4);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m.at(Bytes("a\0", 2)).cast<int>(), 2);
  EXPECT_EQ(m.at(String(std::string("b\0", 2))).cast<int>(), 4);
  EXPECT_EQ(m.at(String("b")).cast<int>(), 3);
  // heap and small forms of one string are one key
  Map<Any, Any> n;
  n.Set(String("a long string, on the heap"), 1);
  n.Set(String(std::string("short")), 2);
  EXPECT_EQ(n.at(String(std::string("a long string, on the heap"))).cast<int>(), 1);
  EXPECT_EQ(n.at(String(std::string("short"))).cast<int>(), 2);
}

}  // namespace
