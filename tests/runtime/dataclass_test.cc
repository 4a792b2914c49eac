// DeepCopy, RecursiveHash and RecursiveEq/Lt/Le/Gt/Ge (extra/dataclass.h) on containers and
// reflected objects: sharing and cycles kept by the copy, hash consistent with equality,
// ordering rules and their refusals, the per-type hooks, and depth without native recursion.
// Also the binding globals ffi.MakeObjectFromPackedArgs, ffi.MakeFieldGetter/Setter,
// ffi._PyClassRegisterTypeAttrColumns and ffi.json.Parse/Stringify.
#include <gtest/gtest.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace {

using namespace tvm::ffi;  // NOLINT
namespace refl = tvm::ffi::reflection;

class NodeObj : public Object {
 public:
  int64_t value = 0;
  String name;
  Any next;             // another node, a container, anything
  int64_t ignored = 0;  // compare(false) and hash(false)
  NodeObj() = default;
  NodeObj(int64_t v, String n) : value(v), name(std::move(n)) {}
  static constexpr bool _type_mutable = true;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("dataclass_test.Node", NodeObj, Object);
};
class Node : public ObjectRef {
 public:
  Node(int64_t v, String n) : ObjectRef(make_object<NodeObj>(v, std::move(n))) {}
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Node, ObjectRef, NodeObj);
};

// Equal when the values agree modulo 10; hashes accordingly.
class ModObj : public Object {
 public:
  int64_t value = 0;
  explicit ModObj(int64_t v) : value(v) {}
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("dataclass_test.Mod", ModObj, Object);
};

// Has __ffi_eq__ but no __ffi_hash__: hashing it is refused.
class EqOnlyObj : public Object {
 public:
  int64_t value = 0;
  explicit EqOnlyObj(int64_t v) : value(v) {}
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("dataclass_test.EqOnly", EqOnlyObj, Object);
};

// Not copy-constructible: DeepCopy cannot copy it.
class PinnedObj : public Object {
 public:
  PinnedObj() = default;
  PinnedObj(const PinnedObj&) = delete;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("dataclass_test.Pinned", PinnedObj, Object);
};

void RegisterOnce() {
  static bool done = [] {
    refl::ObjectDef<NodeObj>()
        .def_rw("value", &NodeObj::value)
        .def_rw("name", &NodeObj::name, refl::default_value(String("n")))
        .def_rw("next", &NodeObj::next, refl::default_value(Any()))
        .def_rw("ignored", &NodeObj::ignored, refl::compare(false), refl::hash(false),
                refl::default_value(0));
    refl::ObjectDef<ModObj>().def_ro("value", &ModObj::value);
    refl::TypeAttrDef<ModObj>()
        .def(refl::type_attr::kEq, [](const ModObj* a, const ModObj* b,
                                      Function) { return a->value % 10 == b->value % 10; })
        .def(refl::type_attr::kHash,
             [](const ModObj* a, Function) { return static_cast<int64_t>(a->value % 10); });
    refl::ObjectDef<EqOnlyObj>().def_ro("value", &EqOnlyObj::value);
    refl::TypeAttrDef<EqOnlyObj>().def(
        refl::type_attr::kEq, [](const EqOnlyObj*, const EqOnlyObj*, Function) { return true; });
    refl::ObjectDef<PinnedObj>();
    return true;
  }();
  (void)done;
}

class Dataclass : public ::testing::Test {
 protected:
  void SetUp() override { RegisterOnce(); }
};

std::string KindOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind() + ": " + e.message();
  }
  return "(no error)";
}

TEST_F(Dataclass, DeepCopyCopiesContainersAndObjects) {
  Node inner(2, "inner");
  Node outer(1, "outer");
  outer->next = Array<Any>{inner, inner, String("a long string, not small")};
  Any copy = DeepCopy(outer);
  Node c = copy.cast<Node>();
  EXPECT_FALSE(c.same_as(outer));
  EXPECT_EQ(c->value, 1);
  Array<Any> items = c->next.cast<Array<Any>>();
  EXPECT_FALSE(items.same_as(outer->next.cast<Array<Any>>()));
  Node i0 = items[0].cast<Node>();
  EXPECT_FALSE(i0.same_as(inner));
  EXPECT_TRUE(items[1].same_as(items[0]));                           // shared stays shared
  EXPECT_TRUE(items[2].same_as(outer->next.cast<Array<Any>>()[2]));  // strings are shared
  i0->value = 99;                                                    // the copy is independent
  EXPECT_EQ(inner->value, 2);
  EXPECT_TRUE(RecursiveEq(DeepCopy(outer), outer));
}

TEST_F(Dataclass, DeepCopyKeepsCycles) {
  // a list that holds itself, and an Array reached again through a Dict inside it
  List<Any> self_list;
  self_list.push_back(1);
  self_list.push_back(self_list);
  List<Any> copy = DeepCopy(self_list).cast<List<Any>>();
  EXPECT_FALSE(copy.same_as(self_list));
  EXPECT_TRUE(copy[1].same_as(copy));

  Dict<Any, Any> d;
  Array<Any> arr{d, 5};
  d.Set(String("back"), arr);
  Array<Any> arr_copy = DeepCopy(arr).cast<Array<Any>>();
  Dict<Any, Any> d_copy = arr_copy[0].cast<Dict<Any, Any>>();
  EXPECT_FALSE(d_copy.same_as(d));
  EXPECT_TRUE(d_copy[String("back")].same_as(arr_copy));  // placeholder replaced by the copy

  Node a(1, "a");
  Node b(2, "b");
  a->next = b;
  b->next = a;
  Node ac = DeepCopy(a).cast<Node>();
  Node bc = ac->next.cast<Node>();
  EXPECT_FALSE(bc.same_as(b));
  EXPECT_TRUE(bc->next.same_as(ac));

  // break every cycle (reference counting would never free them)
  self_list.clear();
  copy.clear();
  d.clear();
  d_copy.clear();
  for (Node n : {a, b, ac, bc}) n->next = Any();
}

TEST_F(Dataclass, DeepCopyRefusesWhatCannotBeCopied) {
  Any pinned = ObjectRef(make_object<PinnedObj>());
  std::string err = KindOf([&] { DeepCopy(Array<Any>{pinned}); });
  EXPECT_EQ(err.rfind("RuntimeError: ", 0), 0u) << err;
  EXPECT_NE(err.find("not copy-constructible"), std::string::npos) << err;
  EXPECT_EQ(DeepCopy(42).cast<int64_t>(), 42);
  EXPECT_EQ(DeepCopy(nullptr).type_index(), TypeIndex::kTVMFFINone);
}

TEST_F(Dataclass, EqualityFollowsValues) {
  EXPECT_TRUE(RecursiveEq(Array<Any>{1, String("x"), Map<String, Any>{{"k", 2.5}}},
                          Array<Any>{1, String("x"), Map<String, Any>{{"k", 2.5}}}));
  EXPECT_FALSE(RecursiveEq(Array<Any>{1, 2}, Array<Any>{1, 2, 3}));
  EXPECT_FALSE(RecursiveEq(1, 1.0));  // different types are unequal, not an error
  EXPECT_TRUE(RecursiveEq(std::nan(""), std::nan("1")));
  EXPECT_TRUE(RecursiveEq(String("short"), String(std::string("short"))));
  EXPECT_TRUE(RecursiveEq(Shape({1, 2}), Shape({1, 2})));
  Node a(1, "a");
  Node b(1, "a");
  a->ignored = 5;  // compare(false): does not count
  EXPECT_TRUE(RecursiveEq(a, b));
  b->name = "b";
  EXPECT_FALSE(RecursiveEq(a, b));
  EXPECT_FALSE(RecursiveEq(Map<String, Any>{{"a", 1}}, Map<String, Any>{{"b", 1}}));
}

TEST_F(Dataclass, OrderingIsLexicographicAndRefusesWhatHasNoOrder) {
  EXPECT_TRUE(RecursiveLt(Array<Any>{1, 2}, Array<Any>{1, 3}));
  EXPECT_TRUE(RecursiveLt(Array<Any>{1, 2}, Array<Any>{1, 2, 0}));
  EXPECT_TRUE(RecursiveLe(Array<Any>{1, 2}, Array<Any>{1, 2}));
  EXPECT_TRUE(RecursiveGt(String("b"), String("abc")));
  EXPECT_TRUE(RecursiveGe(Shape({2}), Shape({1, 9})));
  EXPECT_TRUE(RecursiveLt(nullptr, 0));
  Node a(1, "z");
  Node b(2, "a");
  EXPECT_TRUE(RecursiveLt(a, b));  // fields in order: value decides first
  EXPECT_EQ(KindOf([] { RecursiveLt(1, String("1")); }).rfind("TypeError", 0), 0u);
  EXPECT_EQ(KindOf([] { RecursiveLt(std::nan(""), 1.0); }).rfind("TypeError", 0), 0u);
  EXPECT_EQ(KindOf([] {
              RecursiveLt(Map<String, Any>{{"a", 1}}, Map<String, Any>{{"a", 2}});
            }).rfind("TypeError: Cannot order Map/Dict values", 0),
            0u);
  // equal maps are fine even under ordering
  EXPECT_TRUE(RecursiveLe(Map<String, Any>{{"a", 1}}, Map<String, Any>{{"a", 1}}));
}

TEST_F(Dataclass, HashAgreesWithEquality) {
  Array<Any> x{1, String("two"), Map<String, Any>{{"p", 1}, {"q", 2}}, -0.0};
  Array<Any> y{1, String("two"), Map<String, Any>{{"q", 2}, {"p", 1}}, 0.0};
  ASSERT_TRUE(RecursiveEq(x, y));
  EXPECT_EQ(RecursiveHash(x), RecursiveHash(y));  // map order and the sign of zero do not count
  EXPECT_NE(RecursiveHash(Array<Any>{1, 2}), RecursiveHash(Array<Any>{2, 1}));
  EXPECT_NE(RecursiveHash(List<Any>{1, 2}), RecursiveHash(Array<Any>{1, 2}));
  Node a(1, "a");
  Node b(1, "a");
  b->ignored = 7;  // hash(false)
  EXPECT_EQ(RecursiveHash(a), RecursiveHash(b));
  // hooks: ModObj equal modulo 10
  Any m3 = ObjectRef(make_object<ModObj>(3));
  Any m13 = ObjectRef(make_object<ModObj>(13));
  EXPECT_TRUE(RecursiveEq(m3, m13));
  EXPECT_EQ(RecursiveHash(m3), RecursiveHash(m13));
  Any eq_only = ObjectRef(make_object<EqOnlyObj>(1));
  std::string err = KindOf([&] { RecursiveHash(eq_only); });
  EXPECT_EQ(err.rfind("ValueError: RecursiveHash: type 'dataclass_test.EqOnly'", 0), 0u) << err;
}

TEST_F(Dataclass, CyclesTerminate) {
  Node a(1, "a");
  a->next = a;
  Node b(1, "a");
  b->next = b;
  EXPECT_TRUE(RecursiveEq(a, b));
  EXPECT_EQ(RecursiveHash(a), RecursiveHash(b));
  EXPECT_EQ(KindOf([&] { RecursiveLt(a, b); }).rfind("ValueError", 0), 0u);
  a->next = Any();
  b->next = Any();  // break the cycles (the objects would leak otherwise)
}

TEST_F(Dataclass, DeepNestingUsesNoNativeStack) {
  // 200k nested lists: a recursive walk would overflow the stack
  constexpr int kDepth = 200000;
  auto build = [] {
    List<Any> root;
    List<Any> cur = root;
    for (int i = 0; i < kDepth; ++i) {
      List<Any> next;
      cur.push_back(next);
      cur = next;
    }
    return root;
  };
  List<Any> x = build();
  List<Any> y = build();
  EXPECT_TRUE(RecursiveEq(x, y));
  EXPECT_EQ(RecursiveHash(x), RecursiveHash(y));
  List<Any> z = DeepCopy(x).cast<List<Any>>();
  EXPECT_TRUE(RecursiveEq(x, z));
  // release iteratively too: a chain this deep would overflow the stack in the destructors
  for (List<Any>* chain : {&x, &y, &z}) {
    Any cur = *chain;
    *chain = List<Any>();
    while (cur.type_index() == TypeIndex::kTVMFFIList) {
      List<Any> l = cur.cast<List<Any>>();
      cur = l.empty() ? Any() : Any(l[0]);
      l.clear();
    }
  }
}

TEST_F(Dataclass, GlobalsAreRegistered) {
  Function eq = Function::GetGlobalRequired("ffi.RecursiveEq");
  EXPECT_TRUE(eq(Array<Any>{1}, Array<Any>{1}).cast<bool>());
  Function hash = Function::GetGlobalRequired("ffi.RecursiveHash");
  EXPECT_EQ(hash(Array<Any>{1}).cast<int64_t>(), RecursiveHash(Array<Any>{1}));
  Function copy = Function::GetGlobalRequired("ffi.DeepCopy");
  List<Any> l{1, 2};
  EXPECT_FALSE(copy(l).cast<List<Any>>().same_as(l));
  for (const char* name :
       {"ffi.RecursiveLt", "ffi.RecursiveLe", "ffi.RecursiveGt", "ffi.RecursiveGe"}) {
    EXPECT_TRUE(Function::GetGlobal(name).has_value()) << name;
  }
  Function parse = Function::GetGlobalRequired("ffi.json.Parse");
  Function stringify = Function::GetGlobalRequired("ffi.json.Stringify");
  Any v = parse(String(R"({"a": [1, 2.5, null]})"));
  EXPECT_EQ(stringify(v, nullptr).cast<String>(), R"({"a":[1,2.5,null]})");
  EXPECT_EQ(KindOf([&] { parse(String("{")); }).rfind("ValueError", 0), 0u);
}

TEST_F(Dataclass, MakeObjectFromPackedArgs) {
  Function make = Function::GetGlobalRequired("ffi.MakeObjectFromPackedArgs");
  Node n = make(String("dataclass_test.Node"), String("value"), 7).cast<Node>();
  EXPECT_EQ(n->value, 7);
  EXPECT_EQ(n->name, "n");  // default
  Node m = make(NodeObj::RuntimeTypeIndex(), String("name"), String("m"), String("value"), 1)
               .cast<Node>();
  EXPECT_EQ(m->name, "m");
  EXPECT_EQ(KindOf([&] { make(String("dataclass_test.Node"), String("name"), String("x")); }),
            "TypeError: Required field `value` not set in type `dataclass_test.Node`");
  EXPECT_EQ(
      KindOf([&] { make(String("dataclass_test.Node"), String("value"), 1, String("bogus"), 2); }),
      "TypeError: Type `dataclass_test.Node` does not have field `bogus`");
  EXPECT_EQ(
      KindOf([&] { make(String("dataclass_test.Node"), String("value")); }).rfind("TypeError", 0),
      0u);
}

// A type laid out by a "binding": header, then an int64 at 24 and an Any at 32.
int ConvertIdentity(void*, const TVMFFIAny* value, TVMFFIAny* out) {
  *out = AnyView::CopyFromTVMFFIAny(*value).CopyToTVMFFIAny();
  if (out->type_index >= TypeIndex::kTVMFFIStaticObjectBegin) {
    TVMFFIObjectIncRef(out->v_obj);
  }
  return 0;
}

TEST_F(Dataclass, BindingDefinedTypes) {
  TVMFFIByteArray key{"dataclass_test.PyPoint", 22};
  int32_t type_index = TVMFFITypeGetOrAllocIndex(&key, -1, 1, 0, 1, TypeIndex::kTVMFFIObject);
  ASSERT_GE(type_index, TypeIndex::kTVMFFIDynObjectBegin);
  Function getter_of = Function::GetGlobalRequired("ffi.MakeFieldGetter");
  Function setter_of = Function::GetGlobalRequired("ffi.MakeFieldSetter");
  auto add_field = [&](const char* name, int64_t offset, int64_t size, int32_t field_type) {
    Function setter =
        setter_of(field_type, 0, reinterpret_cast<int64_t>(&ConvertIdentity)).cast<Function>();
    TVMFFIFieldInfo f{};
    f.name = TVMFFIByteArray{name, std::strlen(name)};
    f.doc = TVMFFIByteArray{nullptr, 0};
    f.metadata = TVMFFIByteArray{nullptr, 0};
    f.flags = kTVMFFIFieldFlagBitMaskWritable | kTVMFFIFieldFlagBitSetterIsFunctionObj;
    f.size = size;
    f.alignment = 8;
    f.offset = offset;
    f.getter = reinterpret_cast<TVMFFIFieldGetter>(getter_of(field_type).cast<int64_t>());
    f.setter = const_cast<TVMFFIObject*>(
        static_cast<const TVMFFIObject*>(static_cast<const void*>(setter.get())));
    f.field_static_type_index = field_type;
    details::SetNone(&f.default_value_or_factory);
    ASSERT_EQ(TVMFFITypeRegisterField(type_index, &f), 0);
    static std::vector<Function> keep;  // the registry borrows the setter
    keep.push_back(setter);
  };
  add_field("x", 24, 8, TypeIndex::kTVMFFIInt);
  add_field("payload", 32, 16, TypeIndex::kTVMFFIAny);
  Function::GetGlobalRequired("ffi._PyClassRegisterTypeAttrColumns")(type_index, 48);

  Function init = refl::TypeAttrColumn(refl::type_attr::kInit)[type_index].cast<Function>();
  Any obj = init(5, Array<Any>{1, 2});
  ASSERT_EQ(obj.type_index(), type_index);
  refl::FieldGetter x(refl::GetFieldInfo("dataclass_test.PyPoint", "x"));
  refl::FieldGetter payload(refl::GetFieldInfo("dataclass_test.PyPoint", "payload"));
  const Object* raw = obj.cast<ObjectRef>().get();
  EXPECT_EQ(x(raw).cast<int64_t>(), 5);
  EXPECT_TRUE(RecursiveEq(payload(raw), Array<Any>{1, 2}));
  Any copy = DeepCopy(obj);  // through the registered __ffi_shallow_copy__
  EXPECT_FALSE(copy.same_as(obj));
  EXPECT_TRUE(RecursiveEq(copy, obj));
  EXPECT_FALSE(payload(copy.cast<ObjectRef>().get()).same_as(payload(raw)));
  EXPECT_EQ(KindOf([&] { getter_of(TypeIndex::kTVMFFIRawStr); }).rfind("ValueError", 0), 0u);
}

}  // namespace
