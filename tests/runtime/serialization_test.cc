// ToJSONGraph / FromJSONGraph (<tvm/ffi/extra/serialization.h>): node forms, shared nodes,
// objects by their fields, and malformed graphs as ValueErrors.
#include <gtest/gtest.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/extra/serialization.h>
#include <tvm/ffi/extra/structural_equal.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstring>
#include <string>

namespace {
using namespace tvm::ffi;

Any RoundTrip(const Any& v) {
  // through the text too, as a file would hold it
  String text = json::Stringify(ToJSONGraph(v));
  return FromJSONGraph(json::Parse(text));
}

TEST(Serialization, ValuesRoundTrip) {
  const Any values[] = {Any(),
                        Any(true),
                        Any(-5),
                        Any(2.5),
                        Any(String("hi")),
                        Any(String(std::string(300, 'x'))),
                        Any(Bytes("\0\xff"
                                  "abc",
                                  5)),
                        Any(DLDataType{kDLBfloat, 16, 1}),
                        Any(DLDevice{kDLCUDA, 3}),
                        Any(Shape({2, 0, 7})),
                        Any(Array<Any>{1, Array<Any>{String("a"), Any()}, Map<Any, Any>{}}),
                        Any(Map<Any, Any>{{String("k"), 1}, {2, Array<Any>{3}}}),
                        Any(List<Any>{1, List<Any>{String("a")}}),
                        Any(Dict<Any, Any>{{String("k"), List<Any>{1}}, {2, 3}})};
  for (const Any& v : values) {
    Any back = RoundTrip(v);
    int32_t kind = v.type_index();
    if (kind == kTVMFFIArray || kind == kTVMFFIList || kind == kTVMFFIMap || kind == kTVMFFIDict) {
      EXPECT_EQ(back.type_index(), kind) << json::Stringify(ToJSONGraph(v));  // each its own kind
    }
    EXPECT_TRUE(StructuralEqual::Equal(back, v)) << json::Stringify(ToJSONGraph(v));
  }
}

TEST(Serialization, NodeFormsAndSharing) {
  Array<Any> shared{1};
  json::Object graph =
      ToJSONGraph(Array<Any>{shared, shared, String("s"), String("s")}, String("meta"))
          .cast<json::Object>();
  EXPECT_EQ(json::Stringify(graph),
            R"({"root_index":3,"nodes":[{"type":"int","data":1},{"type":"ffi.Array","data":[0]},)"
            R"({"type":"ffi.String","data":"s"},{"type":"ffi.Array","data":[1,1,2,2]}],)"
            R"("metadata":"meta"})");
  Array<Any> back = FromJSONGraph(graph).cast<Array<Any>>();
  EXPECT_TRUE(back[0].same_as(back[1]));  // one node, one object
  EXPECT_EQ(json::Stringify(ToJSONGraph(Bytes("hello", 5))),
            R"({"root_index":0,"nodes":[{"type":"ffi.Bytes","data":"aGVsbG8="}]})");
}

// A reflected type with a creator: an int field inline, an Any field as a node.
class PairObj : public Object {
 public:
  int64_t count = 0;
  Any item;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("serialization_test.Pair", PairObj, Object);
};

int GetCount(void* addr, TVMFFIAny* out) {
  out->type_index = kTVMFFIInt;
  out->zero_padding = 0;
  out->v_int64 = *static_cast<int64_t*>(addr);
  return 0;
}
int SetCount(void* addr, const TVMFFIAny* v) {
  *static_cast<int64_t*>(addr) = AnyView::CopyFromTVMFFIAny(*v).cast<int64_t>();
  return 0;
}
int GetItem(void* addr, TVMFFIAny* out) {
  Any copy = *static_cast<Any*>(addr);
  *out = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(copy));
  return 0;
}
int SetItem(void* addr, const TVMFFIAny* v) {
  *static_cast<Any*>(addr) = Any(AnyView::CopyFromTVMFFIAny(*v));
  return 0;
}
int CreatePair(TVMFFIObjectHandle* out) {
  *out = details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(make_object<PairObj>());
  return 0;
}

ObjectRef MakePair(int64_t count, Any item) {
  static bool registered = [] {
    ObjectPtr<PairObj> sample = make_object<PairObj>();
    auto add = [&](const char* name, int64_t offset, TVMFFIFieldGetter get, TVMFFIFieldSetter set,
                   int32_t type) {
      TVMFFIFieldInfo info{};
      info.name = TVMFFIByteArray{name, std::strlen(name)};
      info.size = 8;
      info.alignment = 8;
      info.offset = offset;
      info.getter = get;
      info.setter = reinterpret_cast<void*>(set);
      info.default_value_or_factory.type_index = kTVMFFINone;
      info.field_static_type_index = type;
      EXPECT_EQ(TVMFFITypeRegisterField(PairObj::RuntimeTypeIndex(), &info), 0);
    };
    const char* base = reinterpret_cast<const char*>(sample.get());
    add("count", reinterpret_cast<const char*>(&sample->count) - base, GetCount, SetCount,
        kTVMFFIInt);
    add("item", reinterpret_cast<const char*>(&sample->item) - base, GetItem, SetItem, kTVMFFIAny);
    TVMFFITypeMetadata metadata{};
    metadata.creator = CreatePair;
    metadata.structural_eq_hash_kind = kTVMFFISEqHashKindTreeNode;
    EXPECT_EQ(TVMFFITypeRegisterMetadata(PairObj::RuntimeTypeIndex(), &metadata), 0);
    return true;
  }();
  (void)registered;
  ObjectPtr<PairObj> p = make_object<PairObj>();
  p->count = count;
  p->item = std::move(item);
  return ObjectRef(std::move(p));
}

TEST(Serialization, ObjectsByTheirFields) {
  ObjectRef pair = MakePair(3, Array<Any>{MakePair(4, String("leaf"))});
  json::Object graph = ToJSONGraph(pair).cast<json::Object>();
  json::Array nodes = graph.at(String("nodes")).cast<json::Array>();
  json::Object root = nodes[graph.at(String("root_index")).cast<int64_t>()].cast<json::Object>();
  EXPECT_EQ(root.at(String("type")).cast<String>(), "serialization_test.Pair");
  EXPECT_EQ(
      std::string(json::Stringify(root.at(String("data")))).rfind("{\"count\":3,\"item\":", 0), 0u);
  EXPECT_TRUE(StructuralEqual::Equal(RoundTrip(pair), pair));
  // A type that cannot be made again cannot be written.
  EXPECT_THROW(ToJSONGraph(Function::GetGlobalRequired("ffi.ToJSONGraph")), Error);
}

TEST(Serialization, MalformedGraphsAreValueErrors) {
  const char* bad[] = {
      R"(42)",
      R"({"nodes": []})",
      R"({"root_index": 0})",
      R"({"root_index": 1, "nodes": [{"type": "None"}]})",
      R"({"root_index": -1, "nodes": []})",
      R"({"root_index": 0, "nodes": [{"type": "ffi.Array", "data": [0]}]})",  // itself
      R"({"root_index": 0, "nodes": [{"type": "ffi.Array", "data": [7]}]})",
      R"({"root_index": 0, "nodes": [{"type": "ffi.Map", "data": [0]}]})",
      R"({"root_index": 0, "nodes": [{"type": "ffi.Bytes", "data": "abc"}]})",
      R"({"root_index": 0, "nodes": [{"type": "ffi.Bytes", "data": "a=bc"}]})",
      R"({"root_index": 0, "nodes": [{"type": "Device", "data": [1]}]})",
      R"({"root_index": 0, "nodes": [{"type": "int", "data": "x"}]})",
      R"({"root_index": 0, "nodes": [{"data": 1}]})",
      R"({"root_index": 0, "nodes": [3]})",
  };
  for (const char* text : bad) {
    EXPECT_THROW(FromJSONGraph(json::Parse(text)), Error) << text;
  }
  try {
    FromJSONGraph(json::Parse(R"({"root_index": 2, "nodes": []})"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "Invalid JSON Object Graph: invalid node index 2");
  }
}

}  // namespace
