// StructuralEqual / StructuralHash (<tvm/ffi/extra/structural_equal.h>, structural_hash.h):
// values by content, maps in any order, tensors by bytes, objects by their type's structural
// kind (tree nodes by fields, free variables bound only where the caller maps them).
#include <gtest/gtest.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/extra/serialization.h>
#include <tvm/ffi/extra/structural_equal.h>
#include <tvm/ffi/extra/structural_hash.h>
#include <tvm/ffi/extra/structural_key.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstring>
#include <limits>
#include <string>

#include "testing/host_tensor.h"

namespace {
using namespace tvm::ffi;
using tvmffi::rpc::testing::HostTensor;

bool Eq(const Any& a, const Any& b, bool map_free_vars = false) {
  bool eq = StructuralEqual::Equal(a, b, map_free_vars);
  if (eq) {  // equal values hash alike
    EXPECT_EQ(StructuralHash::Hash(a, map_free_vars), StructuralHash::Hash(b, map_free_vars));
  }
  return eq;
}

TEST(Structural, ValuesAndContainers) {
  EXPECT_TRUE(Eq(1, 1));
  EXPECT_FALSE(Eq(1, 2));
  EXPECT_FALSE(Eq(1, 1.0));  // different kinds
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(Eq(nan, -nan));
  std::string long_text(100, 'x');  // on the heap, the short one inline
  EXPECT_TRUE(Eq(String(long_text), String(long_text)));
  EXPECT_TRUE(Eq(String("ab"), String("ab")));
  EXPECT_FALSE(Eq(String("ab"), String("abc")));
  EXPECT_TRUE(
      Eq(Array<Any>{1, String("a"), Array<Any>{}}, Array<Any>{1, String("a"), Array<Any>{}}));
  EXPECT_FALSE(Eq(Array<Any>{1, 2}, Array<Any>{2, 1}));
  EXPECT_FALSE(Eq(Array<Any>{1}, Array<Any>{1, 1}));
  // Maps in any insertion order.
  Map<Any, Any> a{{String("x"), 1}, {String("y"), Array<Any>{2}}, {3, 4}};
  Map<Any, Any> b{{3, 4}, {String("y"), Array<Any>{2}}, {String("x"), 1}};
  EXPECT_TRUE(Eq(a, b));
  b.Set(3, 5);
  EXPECT_FALSE(Eq(a, b));
  EXPECT_TRUE(Eq(Shape({2, 3}), Shape({2, 3})));
  EXPECT_FALSE(Eq(Shape({2, 3}), Shape({3, 2})));
  // The global is the same function.
  EXPECT_TRUE(Function::GetGlobalRequired("ffi.StructuralEqual")(a, a, false, false).cast<bool>());
  EXPECT_EQ(Function::GetGlobalRequired("ffi.StructuralHash")(a, false, false).cast<int64_t>(),
            static_cast<int64_t>(StructuralHash::Hash(a)));
}

TEST(Structural, TensorsByShapeDtypeAndBytes) {
  Tensor x = HostTensor(Shape({4}), DLDataType{kDLInt, 32, 1});
  Tensor y = HostTensor(Shape({4}), DLDataType{kDLInt, 32, 1});
  for (int i = 0; i < 4; ++i) {
    static_cast<int32_t*>(x.data_ptr())[i] = i;
    static_cast<int32_t*>(y.data_ptr())[i] = i;
  }
  EXPECT_TRUE(Eq(x, y));
  static_cast<int32_t*>(y.data_ptr())[3] = 7;
  EXPECT_FALSE(Eq(x, y));
  EXPECT_TRUE(StructuralEqual::Equal(x, y, false, /*skip_tensor_content=*/true));
  EXPECT_FALSE(Eq(x, HostTensor(Shape({4}), DLDataType{kDLFloat, 32, 1})));
}

// A node type with fields x and body, and a variable type; both with their structural kind.
class NodeObj : public Object {
 public:
  Any x;
  Any body;
  Any note;  // SEqHashIgnore
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("structural_test.Node", NodeObj, Object);
};
class VarObj : public Object {
 public:
  Any name;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("structural_test.Var", VarObj, Object);
};

template <typename T>
int GetAny(void* addr, TVMFFIAny* out) {
  Any copy = *static_cast<Any*>(addr);
  *out = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(copy));
  return 0;
}

template <typename Obj>
void Register(int32_t type_index, TVMFFISEqHashKind kind,
              std::initializer_list<std::pair<const char*, int64_t>> fields) {
  ObjectPtr<Obj> sample = make_object<Obj>();
  int64_t offset = 0;
  for (const auto& [name, flags] : fields) {
    TVMFFIFieldInfo info{};
    info.name = TVMFFIByteArray{name, std::strlen(name)};
    info.flags = flags;
    info.size = sizeof(Any);
    info.alignment = alignof(Any);
    info.offset = static_cast<int64_t>(sizeof(Object)) + offset;  // Any fields in order
    offset += static_cast<int64_t>(sizeof(Any));
    info.getter = GetAny<Obj>;
    info.default_value_or_factory.type_index = kTVMFFINone;
    info.field_static_type_index = kTVMFFIAny;
    ASSERT_EQ(TVMFFITypeRegisterField(type_index, &info), 0);
  }
  TVMFFITypeMetadata metadata{};
  metadata.structural_eq_hash_kind = kind;
  ASSERT_EQ(TVMFFITypeRegisterMetadata(type_index, &metadata), 0);
}

void RegisterTypes() {
  static bool done = [] {
    Register<NodeObj>(NodeObj::RuntimeTypeIndex(), kTVMFFISEqHashKindTreeNode,
                      {{"x", kTVMFFIFieldFlagBitMaskSEqHashDefRecursive},
                       {"body", 0},
                       {"note", kTVMFFIFieldFlagBitMaskSEqHashIgnore}});
    Register<VarObj>(VarObj::RuntimeTypeIndex(), kTVMFFISEqHashKindFreeVar,
                     {{"name", kTVMFFIFieldFlagBitMaskSEqHashIgnore}});
    return true;
  }();
  (void)done;
}

ObjectRef Var(const char* name) {
  ObjectPtr<VarObj> v = make_object<VarObj>();
  v->name = String(name);
  return ObjectRef(v);
}
// fn(x) -> body, with x bound by the definition field
ObjectRef Fn(ObjectRef x, Any body, const char* note) {
  ObjectPtr<NodeObj> n = make_object<NodeObj>();
  n->x = x;
  n->body = std::move(body);
  n->note = String(note);
  return ObjectRef(n);
}

TEST(Structural, ObjectsByFieldsAndVariablesByBinding) {
  RegisterTypes();
  ASSERT_EQ(sizeof(NodeObj), sizeof(Object) + 3 * sizeof(Any));  // the offsets used above
  ObjectRef a = Var("a");
  ObjectRef b = Var("b");
  // The same shape with a different variable: equal, since x is defined by the node.
  EXPECT_TRUE(Eq(Fn(a, Array<Any>{a, 1}, "one"), Fn(b, Array<Any>{b, 1}, "two")));
  // A variable used where the other side uses a different one is not equal.
  EXPECT_FALSE(Eq(Fn(a, Array<Any>{a, 1}, ""), Fn(b, Array<Any>{a, 1}, "")));
  // Free variables: equal only to themselves, unless the caller maps them.
  EXPECT_TRUE(Eq(a, a));
  EXPECT_FALSE(Eq(a, b));
  EXPECT_TRUE(Eq(a, b, /*map_free_vars=*/true));
  EXPECT_TRUE(Eq(Array<Any>{a, a}, Array<Any>{b, b}, true));
  EXPECT_FALSE(Eq(Array<Any>{a, a}, Array<Any>{a, b}, true));
  // A type without structural information is a TypeError.
  try {
    StructuralEqual::Equal(Function::GetGlobalRequired("ffi.StructuralEqual"),
                           Function::GetGlobalRequired("ffi.StructuralHash"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
  }
}

TEST(Structural, DeepNestingIsAnErrorNotACrash) {
  Array<Any> deep;
  for (int i = 0; i < 10000; ++i) deep = Array<Any>{deep};
  EXPECT_THROW(StructuralEqual::Equal(deep, deep), Error);
  EXPECT_THROW(StructuralHash::Hash(deep), Error);
  // Freed one level at a time: destroying 10000 nested arrays at once recurses through every
  // level, which overflows the stack under ThreadSanitizer's larger frames.
  while (!deep.empty()) {
    Array<Any> inner = deep[0].cast<Array<Any>>();
    deep = inner;
  }
}

}  // namespace

namespace {
using namespace tvm::ffi;
using reflection::AccessPath;

TEST(Structural, FirstMismatchIsAPathIntoEachSide) {
  EXPECT_FALSE(StructuralEqual::GetFirstMismatch(Array<Any>{1, 2}, Array<Any>{1, 2}).has_value());
  auto diff = StructuralEqual::GetFirstMismatch(
      Array<Any>{1, Map<Any, Any>{{String("k"), Array<Any>{5, 6}}}},
      Array<Any>{1, Map<Any, Any>{{String("k"), Array<Any>{5, 7}}}});
  ASSERT_TRUE(diff.has_value());
  AccessPath expected = AccessPath::Root()->ArrayItem(1)->MapItem(String("k"))->ArrayItem(1);
  EXPECT_TRUE((*diff).get<0>()->PathEqual(expected));
  EXPECT_TRUE((*diff).get<1>()->PathEqual(expected));
  EXPECT_EQ(ReprPrint((*diff).get<0>()), "<root>[1][\"k\"][1]");
  // A longer side: the missing item shows on the shorter one.
  diff = StructuralEqual::GetFirstMismatch(Array<Any>{1, 2, 3}, Array<Any>{1, 2});
  ASSERT_TRUE(diff.has_value());
  EXPECT_EQ(ReprPrint((*diff).get<0>()), "<root>[2]");
  EXPECT_EQ(ReprPrint((*diff).get<1>()), "<root>[<missing:2>]");
  diff = StructuralEqual::GetFirstMismatch(Map<Any, Any>{{String("a"), 1}},
                                           Map<Any, Any>{{String("b"), 1}});
  ASSERT_TRUE(diff.has_value());
  EXPECT_EQ(ReprPrint((*diff).get<1>()), "<root>[<missing:\"a\">]");
  // Paths: prefixes, steps, and the full repr.
  AccessPath p = AccessPath::Root()->Attr("cfg")->ArrayItem(0)->AttrMissing("w");
  EXPECT_TRUE(AccessPath::Root()->Attr("cfg")->IsPrefixOf(p));
  EXPECT_FALSE(AccessPath::Root()->Attr("other")->IsPrefixOf(p));
  EXPECT_EQ(p->ToSteps().size(), 3u);
  EXPECT_EQ(ReprPrint(p), "<root>.cfg[0][<missing:\"w\">]");
  EXPECT_TRUE(StructuralEqual::Equal(p, AccessPath::FromSteps(p->ToSteps())));
}

}  // namespace

namespace {
using namespace tvm::ffi;

Any AsList(Array<Any> items) { return List<Any>(items.begin(), items.end()); }
Any AsDict(Map<Any, Any> items) { return Dict<Any, Any>(items.begin(), items.end()); }

TEST(Structural, ListAndDictAreTheirOwnKinds) {
  Any list = AsList(Array<Any>{1, String("a")});
  EXPECT_TRUE(Eq(list, AsList(Array<Any>{1, String("a")})));
  EXPECT_FALSE(Eq(list, AsList(Array<Any>{1, String("b")})));
  EXPECT_FALSE(Eq(list, Array<Any>{1, String("a")}));  // a List is not an Array
  Any dict = AsDict(Map<Any, Any>{{String("k"), 1}, {String("j"), 2}});
  EXPECT_TRUE(Eq(dict, AsDict(Map<Any, Any>{{String("j"), 2}, {String("k"), 1}})));
  EXPECT_FALSE(Eq(dict, Map<Any, Any>{{String("k"), 1}, {String("j"), 2}}));
  EXPECT_EQ(ReprPrint(list), "[1, \"a\"]");
  EXPECT_EQ(ReprPrint(AsList(Array<Any>{1})), "[1]");
  EXPECT_EQ(ReprPrint(dict), "{\"k\": 1, \"j\": 2}");
  EXPECT_EQ(std::string(json::Stringify(ToJSONGraph(list))),
            R"({"root_index":2,"nodes":[{"type":"int","data":1},{"type":"ffi.String","data":"a"},)"
            R"({"type":"ffi.List","data":[0,1]}]})");
}

}  // namespace

namespace {
using namespace tvm::ffi;

TEST(StructuralKey, MapsFindAKeyByStructure) {
  StructuralKey a(Array<Any>{1, String("x")});
  StructuralKey b(Array<Any>{1, String("x")});
  StructuralKey c(Array<Any>{2});
  EXPECT_FALSE(a.same_as(b));
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a != c);
  EXPECT_EQ(std::hash<StructuralKey>()(a), std::hash<StructuralKey>()(b));
  for (int extra : {0, 10}) {  // small and dense maps alike
    Map<Any, Any> m;
    for (int i = 0; i < extra; ++i) m.Set(i, i);
    m.Set(a, 1);
    m.Set(b, 2);  // replaces a's value: the same key by structure
    m.Set(c, 3);
    EXPECT_EQ(m.size(), static_cast<size_t>(extra + 2));
    EXPECT_EQ(m.at(StructuralKey(Array<Any>{1, String("x")})).cast<int>(), 2);
  }
  Any made = Function::GetGlobalRequired("ffi.StructuralKey")(Array<Any>{2});
  EXPECT_TRUE(Function::GetGlobalRequired("ffi.StructuralKeyEqual")(made, c).cast<bool>());
}
}  // namespace
