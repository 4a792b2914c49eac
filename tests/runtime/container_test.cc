// Array, Map and Shape: values round-trip through Any; copy-on-write semantics.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
using namespace tvm::ffi;

TEST(Array, BuildReadAndCopyOnWrite) {
  Array<int64_t> a{1, 2, 3};
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1], 2);
  Array<int64_t> b = a;
  b.push_back(4);  // a is shared, so b copies first
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(b.size(), 4u);
  b.Set(0, 10);
  EXPECT_EQ(b[0], 10);
  EXPECT_EQ(a[0], 1);
  int64_t sum = 0;
  for (int64_t v : b) sum += v;
  EXPECT_EQ(sum, 10 + 2 + 3 + 4);
  EXPECT_THROW(a[3], Error);
}

// Map and MutateByApply (upstream's Array API): in place for the only handle, a copy for a
// shared one (the other handle unchanged), the same storage when nothing changes, and a new
// element type.
TEST(Array, MapAndMutateByApply) {
  Array<String> words{String("a"), String("b")};
  const ArrayObj* before = words.get();
  words.MutateByApply([](String w) { return String(std::string(w) + "!"); });
  EXPECT_EQ(words.get(), before) << "the only handle: mutated in place";
  EXPECT_EQ(std::string(words[1]), "b!");
  Array<String> shared = words;
  words.MutateByApply([](String w) { return String(std::string(w) + "?"); });
  EXPECT_NE(words.get(), shared.get());
  EXPECT_EQ(std::string(words[0]), "a!?");
  EXPECT_EQ(std::string(shared[0]), "a!") << "the other handle keeps its elements";
  Array<String> same = shared.Map([](String w) { return w; });
  EXPECT_EQ(same.get(), shared.get()) << "nothing changed: the same storage";
  Array<int64_t> sizes = shared.Map([](String w) { return static_cast<int64_t>(w.size()); });
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], 2);
  Array<ObjectRef> objects{Shape({1}), Shape({2})};
  const ObjectRef first = objects[0];
  Array<ObjectRef> swapped =
      objects.Map([&](ObjectRef o) -> ObjectRef { return o.same_as(objects[0]) ? objects[1] : o; });
  EXPECT_TRUE(swapped[0].same_as(objects[1]));
  EXPECT_TRUE(swapped[1].same_as(objects[1]));
  EXPECT_TRUE(objects[0].same_as(first)) << "Map leaves its array alone";
  // Each element reaches fmutate as its only reference when the array is.
  Array<ObjectRef> fresh{Shape({3})};
  bool unique = false;
  fresh.MutateByApply([&](ObjectRef o) {
    unique = o.unique();
    return o;
  });
  EXPECT_TRUE(unique);
}

TEST(Array, ThroughAnyWithElementChecks) {
  Array<Any> mixed{Any(1), Any(String("two")), Any(3.0)};
  Any a = mixed;
  EXPECT_EQ(a.type_index(), kTVMFFIArray);
  EXPECT_EQ(a.cast<Array<Any>>().size(), 3u);
  EXPECT_THROW(a.cast<Array<int64_t>>(), Error);
  Any ints = Array<int64_t>{1, 2};
  // int elements convert to float element-wise.
  Array<double> as_float = ints.cast<Array<double>>();
  EXPECT_DOUBLE_EQ(as_float[1], 2.0);
}

TEST(Map, SetGetEraseAndOrder) {
  Map<String, int64_t> m;
  m.Set("one", 1);
  m.Set("two", 2);
  m.Set("one", 11);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m["one"], 11);
  EXPECT_EQ(m.count("three"), 0u);
  EXPECT_FALSE(m.Get("three").has_value());
  Map<String, int64_t> copy = m;
  copy.erase("one");
  EXPECT_EQ(copy.size(), 1u);
  EXPECT_EQ(m.size(), 2u);
  std::string keys;
  for (auto kv : m) keys += std::string(kv.first) + ",";
  EXPECT_EQ(keys, "one,two,");
  EXPECT_THROW(m.at("missing"), Error);
}

TEST(Map, ThroughAny) {
  Map<String, Any> m{{"a", Any(1)}, {"long key name", Any(String("v"))}};
  Any a = m;
  EXPECT_EQ(a.type_index(), kTVMFFIMap);
  auto back = a.cast<Map<String, Any>>();
  EXPECT_EQ(back["a"].cast<int>(), 1);
  EXPECT_THROW((a.cast<Map<String, int64_t>>()), Error);
}

TEST(Shape, Basics) {
  Shape s{2, 3, 4};
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.Product(), 24);
  Any a = s;
  EXPECT_EQ(a.type_index(), kTVMFFIShape);
  Shape back = a.cast<Shape>();
  EXPECT_EQ(back[2], 4);
  const TVMFFIShapeCell* cell =
      TVMFFIShapeGetCellPtr(details::AnyUnsafe::TVMFFIAnyPtrFromAny(a)->v_obj);
  EXPECT_EQ(cell->size, 3u);
  EXPECT_EQ(cell->data[1], 3);
  EXPECT_EQ(Shape().Product(), 1);
}

}  // namespace

namespace {
using namespace tvm::ffi;

TEST(ContainerGlobals, BuildAndReadThroughTheRegistry) {
  Any arr = Function::GetGlobalRequired("ffi.Array")(1, "two", 3.0);
  EXPECT_EQ(Function::GetGlobalRequired("ffi.ArraySize")(arr).cast<int>(), 3);
  EXPECT_EQ(Function::GetGlobalRequired("ffi.ArrayGetItem")(arr, 1).cast<std::string>(), "two");
  EXPECT_THROW(Function::GetGlobalRequired("ffi.ArrayGetItem")(arr, 3), Error);
  EXPECT_TRUE(Function::GetGlobalRequired("ffi.ArrayContains")(arr, "two").cast<bool>());
  Any map = Function::GetGlobalRequired("ffi.Map")("a", 1, "b", 2);
  EXPECT_EQ(Function::GetGlobalRequired("ffi.MapSize")(map).cast<int>(), 2);
  EXPECT_EQ(Function::GetGlobalRequired("ffi.MapGetItem")(map, "b").cast<int>(), 2);
  EXPECT_EQ(Function::GetGlobalRequired("ffi.MapCount")(map, "c").cast<int>(), 0);
  Any missing = Function::GetGlobalRequired("ffi.MapGetItemOrMissing")(map, "c");
  EXPECT_TRUE(missing.same_as(Function::GetGlobalRequired("ffi.GetInvalidObject")()));
  Function it = Function::GetGlobalRequired("ffi.MapForwardIterFunctor")(map).cast<Function>();
  EXPECT_EQ(it(0).cast<std::string>(), "a");
  EXPECT_TRUE(it(2).cast<bool>());
  EXPECT_EQ(it(1).cast<int>(), 2);
  EXPECT_FALSE(it(2).cast<bool>());
  Shape s = Function::GetGlobalRequired("ffi.Shape")(2, 3).cast<Shape>();
  EXPECT_EQ(s.Product(), 6);
  auto keys = Function::GetGlobalRequired("ffi.GetRegisteredTypeKeys")().cast<Array<String>>();
  EXPECT_NE(std::find(keys.begin(), keys.end(), String("ffi.Module")), keys.end());
}
}  // namespace

namespace {
using namespace tvm::ffi;

// A map in upstream's dense form, laid out by hand as code compiled against upstream's headers
// lays it out (facts from upstream's map_base.h): the MapBaseObj fields, then fib_shift and the
// insertion-order list's head and tail; data points to blocks of 16 metadata bytes and 16
// items {key, value, prev, next}.
struct UpstreamDenseMap {
  TVMFFIObject header;
  void* data;
  uint64_t size;
  uint64_t slots;  // no small tag
  void (*data_deleter)(void*);
  uint32_t fib_shift;
  uint64_t head;
  uint64_t tail;
};
struct UpstreamDenseItem {
  TVMFFIAny key;
  TVMFFIAny value;
  uint64_t prev;
  uint64_t next;
};
constexpr uint64_t kEnd = ~uint64_t{0};
constexpr size_t kBlockBytes = 16 * (1 + sizeof(UpstreamDenseItem));
int dense_maps_deleted = 0;

UpstreamDenseItem* ItemAt(void* data, uint64_t index) {
  char* block = static_cast<char*>(data) + (index / 16) * kBlockBytes;
  return reinterpret_cast<UpstreamDenseItem*>(block + 16 +
                                              (index % 16) * sizeof(UpstreamDenseItem));
}

void DeleteDenseMap(void* self, int flags) {
  auto* m = static_cast<UpstreamDenseMap*>(self);
  if (flags & kTVMFFIObjectDeleterFlagBitMaskStrong) {  // destroy the contents
    for (uint64_t i = m->head; i != kEnd;) {
      UpstreamDenseItem* item = ItemAt(m->data, i);
      i = item->next;
      if (item->key.type_index >= kTVMFFIStaticObjectBegin) TVMFFIObjectDecRef(item->key.v_obj);
    }
    std::free(m->data);
    ++dense_maps_deleted;
  }
  if (flags & kTVMFFIObjectDeleterFlagBitMaskWeak) std::free(m);  // free the object itself
}

// keys[i] -> i * 10, stored at the given slots (scattered, as hashing leaves them), linked in
// the order of `keys`.
Map<Any, Any> MakeUpstreamDenseMap(const std::vector<std::string>& keys,
                                   const std::vector<uint64_t>& slots) {
  auto* m = static_cast<UpstreamDenseMap*>(std::calloc(1, sizeof(UpstreamDenseMap)));
  m->header.combined_ref_count = details::kCombinedRefCountBothOne;
  m->header.type_index = kTVMFFIMap;
  m->header.deleter = DeleteDenseMap;
  m->slots = 32;
  m->data = std::calloc(2, kBlockBytes);
  std::memset(m->data, 0xFF, 16);  // empty metadata
  std::memset(static_cast<char*>(m->data) + kBlockBytes, 0xFF, 16);
  m->size = keys.size();
  m->head = m->tail = kEnd;
  for (size_t i = 0; i < keys.size(); ++i) {
    UpstreamDenseItem* item = ItemAt(m->data, slots[i]);
    Any key = String(keys[i]);
    item->key = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(key));
    item->value.type_index = kTVMFFIInt;
    item->value.v_int64 = static_cast<int64_t>(i) * 10;
    item->prev = m->tail;
    item->next = kEnd;
    if (m->tail != kEnd) ItemAt(m->data, m->tail)->next = slots[i];
    if (m->head == kEnd) m->head = slots[i];
    m->tail = slots[i];
  }
  return details::ObjectUnsafe::ObjectRefFromObjectPtr<Map<Any, Any>>(
      details::ObjectUnsafe::ObjectPtrFromOwned<Object>(reinterpret_cast<Object*>(m)));
}

TEST(Map, ReadsUpstreamsDenseFormInInsertionOrder) {
  dense_maps_deleted = 0;
  const std::vector<std::string> keys = {"zebra", "alpha", "a-long-key-not-small",
                                         "beta",  "gamma", "delta"};
  {
    Map<Any, Any> m = MakeUpstreamDenseMap(keys, {17, 3, 30, 0, 9, 21});
    EXPECT_FALSE(m.get()->IsSmallMap());
    EXPECT_EQ(m.size(), keys.size());
    std::vector<std::string> seen;
    for (const auto& [k, v] : m) {
      seen.push_back(k.cast<String>());
      EXPECT_EQ(v.cast<int64_t>(), static_cast<int64_t>(seen.size() - 1) * 10);
    }
    EXPECT_EQ(seen, keys);
    EXPECT_EQ(m.at(String("gamma")).cast<int64_t>(), 40);
    EXPECT_EQ(m.count(String("nope")), 0u);
    EXPECT_TRUE(m.find(String("delta")) != m.end());
    // Typed views check every entry.
    auto typed = Any(m).try_cast<Map<String, int64_t>>();
    ASSERT_TRUE(typed.has_value());
    EXPECT_EQ(typed->at("beta"), 30);
    // A change copies into the small form; the dense original is left as it was.
    Map<Any, Any> changed = m;
    changed.Set(String("epsilon"), 60);
    changed.erase(String("zebra"));
    EXPECT_TRUE(changed.get()->IsSmallMap());
    EXPECT_EQ(changed.size(), keys.size());
    EXPECT_EQ(m.size(), keys.size());
    EXPECT_EQ(m.at(String("zebra")).cast<int64_t>(), 0);
    EXPECT_EQ((*changed.begin()).first.cast<String>(), "alpha");
    // The globals bindings use walk it too.
    Function iter = Function::GetGlobalRequired("ffi.MapForwardIterFunctor");
    Function it = iter(m).cast<Function>();
    std::vector<std::string> walked;
    do {
      walked.push_back(it(0).cast<String>());
    } while (it(2).cast<bool>());
    EXPECT_EQ(walked, keys);
  }
  EXPECT_EQ(dense_maps_deleted, 1);
}
}  // namespace
