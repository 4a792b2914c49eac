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
