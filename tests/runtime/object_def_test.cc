// Types registered the way upstream modules register them (reflection::ObjectDef, TypeAttrDef,
// init<>, default_value, AttachFieldFlag), read back through the accessor API (FieldGetter,
// FieldSetter, GetMethod, TypeAttrColumn, ObjectCreator), and the value types that came with
// them: Expected/CallExpected, Variant, Arc, StrictBool fallbacks, device strings.
#include <gtest/gtest.h>
#include <tvm/ffi/container/variant.h>
#include <tvm/ffi/device.h>
#include <tvm/ffi/expected.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/creator.h>
#include <tvm/ffi/reflection/overload.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>

namespace {
using namespace tvm::ffi;
namespace refl = tvm::ffi::reflection;

// Object is not the first base: field offsets count from the Object part.
struct Padding {
  int64_t pad[3] = {0, 0, 0};
};

class PointObj : public Padding, public Object {
 public:
  int64_t x = 0;
  double y = 0;
  String label;
  PointObj() = default;
  PointObj(int64_t x, double y) : x(x), y(y) {}
  double Sum() const { return static_cast<double>(x) + y; }
  static constexpr bool _type_mutable = true;
  static constexpr TVMFFISEqHashKind _type_s_eq_hash_kind = kTVMFFISEqHashKindTreeNode;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("object_def_test.Point", PointObj, Object);
};

class Point : public ObjectRef {
 public:
  Point(int64_t x, double y) : ObjectRef(make_object<PointObj>(x, y)) {}
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Point, ObjectRef, PointObj);
};

// No default constructor: the creator uses UnsafeInit; the automatic __ffi_init__ is built
// from the fields (the one with a default last).
class TagObj : public Object {
 public:
  String name;
  int64_t weight;
  explicit TagObj(UnsafeInit) {}
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("object_def_test.Tag", TagObj, Object);
};

int64_t HashPlusOne(const Any& value) { return value.cast<const PointObj*>()->x + 1; }

void RegisterOnce() {
  static bool done = [] {
    refl::ObjectDef<PointObj>("a 2-d point")
        .def_rw("x", &PointObj::x, "the x coordinate", refl::default_value(1))
        .def_ro("y", &PointObj::y, refl::Metadata{{"unit", "m"}, {"rank", 2}})
        .def_rw("label", &PointObj::label,
                refl::default_factory(Function::FromTyped([]() { return String("made"); })),
                refl::AttachFieldFlag::SEqHashIgnore())
        .def("sum", &PointObj::Sum, "x + y")
        .def("scaled", [](const PointObj* self, double k) { return self->y * k; })
        .def_static("origin", []() { return Point(0, 0); })
        .def(refl::init<int64_t, double>());
    refl::TypeAttrDef<PointObj>()
        .def("object_def_test.describe",
             [](const PointObj* self) { return "point " + std::to_string(self->x); })
        .attr("object_def_test.size", static_cast<int64_t>(sizeof(PointObj)))
        .attr(refl::type_attr::kAnyHash, reinterpret_cast<void*>(&HashPlusOne));
    refl::ObjectDef<TagObj>()
        .def_ro("name", &TagObj::name)
        .def_ro("weight", &TagObj::weight, refl::default_value(5));
    return true;
  }();
  (void)done;
}

class ObjectDefTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterOnce(); }
};

TEST_F(ObjectDefTest, FieldsAreReadAndWrittenAtTheirOffsetsPastAnotherBase) {
  Point p(3, 0.5);
  const char* object_part = reinterpret_cast<const char*>(static_cast<const Object*>(p.get()));
  EXPECT_EQ(refl::GetFieldByteOffsetToObject(&PointObj::x),
            reinterpret_cast<const char*>(&p->x) - object_part)
      << "offset from the Object part";
  EXPECT_NE(static_cast<const void*>(object_part), static_cast<const void*>(p.get()));
  refl::FieldGetter get_x("object_def_test.Point", "x");
  refl::FieldGetter get_y("object_def_test.Point", "y");
  EXPECT_EQ(get_x(p).cast<int64_t>(), 3);
  EXPECT_EQ(get_y(p).cast<double>(), 0.5);
  refl::FieldSetter("object_def_test.Point", "x")(p, 42);
  EXPECT_EQ(p->x, 42);
  // The setter converts, and refuses what does not convert.
  EXPECT_THROW(refl::FieldSetter("object_def_test.Point", "x")(p, String("no")), Error);
  EXPECT_THROW(refl::FieldGetter("object_def_test.Point", "missing"), Error);
}

TEST_F(ObjectDefTest, FieldInfoCarriesFlagsDocsDefaultsAndSchema) {
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(PointObj::RuntimeTypeIndex());
  ASSERT_EQ(info->num_fields, 3);
  const TVMFFIFieldInfo* x = refl::GetFieldInfo("object_def_test.Point", "x");
  EXPECT_TRUE(x->flags & kTVMFFIFieldFlagBitMaskWritable);
  EXPECT_TRUE(x->flags & kTVMFFIFieldFlagBitMaskHasDefault);
  EXPECT_EQ(std::string(x->doc.data, x->doc.size), "the x coordinate");
  EXPECT_EQ(x->field_static_type_index, TypeIndex::kTVMFFIInt);
  EXPECT_EQ(x->size, 8);
  EXPECT_NE(std::string(x->metadata.data, x->metadata.size).find("\"type_schema\""),
            std::string::npos);
  const TVMFFIFieldInfo* y = refl::GetFieldInfo("object_def_test.Point", "y");
  EXPECT_FALSE(y->flags & kTVMFFIFieldFlagBitMaskWritable);
  std::string y_meta(y->metadata.data, y->metadata.size);
  EXPECT_NE(y_meta.find("\"unit\":\"m\""), std::string::npos) << y_meta;
  EXPECT_NE(y_meta.find("\"rank\":2"), std::string::npos) << y_meta;
  const TVMFFIFieldInfo* label = refl::GetFieldInfo("object_def_test.Point", "label");
  EXPECT_TRUE(label->flags & kTVMFFIFieldFlagBitMaskDefaultFromFactory);
  EXPECT_TRUE(label->flags & kTVMFFIFieldFlagBitMaskSEqHashIgnore);
  ASSERT_NE(info->metadata, nullptr);
  EXPECT_EQ(std::string(info->metadata->doc.data, info->metadata->doc.size), "a 2-d point");
  EXPECT_EQ(info->metadata->total_size, static_cast<int32_t>(sizeof(PointObj)));
  EXPECT_EQ(info->metadata->structural_eq_hash_kind, kTVMFFISEqHashKindTreeNode);
}

TEST_F(ObjectDefTest, MethodsStaticMethodsAndTheExplicitConstructor) {
  Point p(2, 1.5);
  EXPECT_EQ(refl::GetMethod("object_def_test.Point", "sum")(p).cast<double>(), 3.5);
  EXPECT_EQ(refl::GetMethod("object_def_test.Point", "scaled")(p, 2.0).cast<double>(), 3.0);
  Point origin = refl::GetMethod("object_def_test.Point", "origin")().cast<Point>();
  EXPECT_EQ(origin->x, 0);
  refl::TypeAttrColumn init_column(refl::type_attr::kInit);
  Function init = init_column[PointObj::RuntimeTypeIndex()].cast<Function>();
  Point made = init(7, 0.25).cast<Point>();
  EXPECT_EQ(made->x, 7);
  EXPECT_EQ(made->y, 0.25);
  const TVMFFIMethodInfo* sum = refl::GetMethodInfo("object_def_test.Point", "sum");
  EXPECT_EQ(std::string(sum->doc.data, sum->doc.size), "x + y");
  EXPECT_FALSE(sum->flags & kTVMFFIFieldFlagBitMaskIsStaticMethod);
  EXPECT_TRUE(refl::GetMethodInfo("object_def_test.Point", "origin")->flags &
              kTVMFFIFieldFlagBitMaskIsStaticMethod);
  EXPECT_THROW(refl::GetMethod("object_def_test.Point", "nope"), Error);
}

TEST_F(ObjectDefTest, TypeAttributesShallowCopyAndNew) {
  int32_t index = PointObj::RuntimeTypeIndex();
  Point p(9, 1);
  EXPECT_EQ(refl::TypeAttrColumn("object_def_test.describe")[index]
                .cast<Function>()(p)
                .cast<std::string>(),
            "point 9");
  EXPECT_EQ(refl::TypeAttrColumn("object_def_test.size")[index].cast<int64_t>(),
            static_cast<int64_t>(sizeof(PointObj)));
  EXPECT_EQ(refl::TypeAttrColumn(refl::type_attr::kAnyHash)[index].type_index(),
            TypeIndex::kTVMFFIOpaquePtr);
  // A type without the attribute reads None.
  EXPECT_EQ(refl::TypeAttrColumn("object_def_test.size")[TagObj::RuntimeTypeIndex()].type_index(),
            TypeIndex::kTVMFFINone);
  Point copy =
      refl::TypeAttrColumn(refl::type_attr::kShallowCopy)[index].cast<Function>()(p).cast<Point>();
  EXPECT_FALSE(copy.same_as(p));
  EXPECT_EQ(copy->x, 9);
  ObjectRef fresh = refl::TypeAttrColumn(refl::type_attr::kNew)[TagObj::RuntimeTypeIndex()]
                        .cast<Function>()()
                        .cast<ObjectRef>();
  EXPECT_NE(fresh.as<TagObj>(), nullptr);
}

TEST_F(ObjectDefTest, TheAutomaticConstructorTakesFieldsAndDefaults) {
  refl::TypeAttrColumn init_column(refl::type_attr::kInit);
  Function init = init_column[TagObj::RuntimeTypeIndex()].cast<Function>();
  ObjectRef tag = init(String("a")).cast<ObjectRef>();
  ASSERT_NE(tag.as<TagObj>(), nullptr);
  EXPECT_EQ(tag.as<TagObj>()->name, "a");
  EXPECT_EQ(tag.as<TagObj>()->weight, 5);
  EXPECT_EQ(init(String("b"), 8).cast<ObjectRef>().as<TagObj>()->weight, 8);
}

TEST_F(ObjectDefTest, ObjectCreatorFillsFieldsAndDefaultsAndNamesWhatIsWrong) {
  refl::ObjectCreator create("object_def_test.Point");
  Point p = create(Map<String, Any>{{"y", 2.5}}).cast<Point>();
  EXPECT_EQ(p->x, 1);  // default_value
  EXPECT_EQ(p->y, 2.5);
  EXPECT_EQ(p->label, "made");  // default_factory
  try {
    create(Map<String, Any>{{"y", 1.0}, {"z", 1}});
    FAIL() << "an unknown field was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(std::string(e.message()).find("does not have field `z`"), std::string::npos);
  }
  try {
    create(Map<String, Any>{});
    FAIL() << "a required field was not asked for";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.message()).find("Required field `y`"), std::string::npos);
  }
}

TEST(Expected, CarriesAValueOrAnErrorThroughAFunction) {
  Function divide = Function::FromTyped([](int a, int b) -> Expected<int> {
    if (b == 0) return Unexpected(Error("ValueError", "division by zero", ""));
    return a / b;
  });
  Expected<int> ok = divide.CallExpected<int>(6, 3);
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.value(), 2);
  Expected<int> bad = divide.CallExpected<int>(6, 0);
  ASSERT_TRUE(bad.is_err());
  EXPECT_EQ(bad.error().kind(), "ValueError");
  EXPECT_THROW(bad.value(), Error);
  EXPECT_EQ(bad.value_or(-1), -1);
  // A raised error and a result of the wrong type become errors too.
  Function raises = Function::FromTyped([](int) -> int {
    TVM_FFI_THROW(IndexError) << "no";
    return 0;
  });
  EXPECT_EQ(raises.CallExpected<int>(1).error().kind(), "IndexError");
  Function text = Function::FromTyped([]() { return String("x"); });
  EXPECT_EQ(text.CallExpected<int>().error().kind(), "TypeError");
  EXPECT_TRUE(Function::FromTyped([]() {}).CallExpected<void>().is_ok());
}

TEST(Variant, HoldsOneOfItsTypesAndConvertsInOrder) {
  Variant<int64_t, String> v = int64_t{3};
  EXPECT_EQ(v.get<int64_t>(), 3);
  EXPECT_FALSE(v.as<String>().has_value());
  v = String("s");
  EXPECT_EQ(v.get<String>(), "s");
  Any any = v;
  EXPECT_EQ(any.cast<String>(), "s");
  using IntOrStr = Variant<int64_t, String>;
  EXPECT_FALSE(Any(2.5).try_cast<IntOrStr>().has_value());
  Array<int64_t> ints{1, 2};
  Array<Variant<int64_t, String>> mixed = ints;  // shares the storage
  EXPECT_EQ(mixed[1].get<int64_t>(), 2);
  std::string type_str = TypeTraits<Variant<int64_t, String>>::TypeStr();
  EXPECT_EQ(type_str, "Variant<int, str>");
}

TEST(Arc, IsANonNullObjectPointerThatTravelsAsTheObject) {
  RegisterOnce();
  Arc<PointObj> arc = make_arc<PointObj>(4, 0.0);
  Any any = arc;
  EXPECT_EQ(any.cast<Point>()->x, 4);
  Arc<PointObj> back = any.cast<Arc<PointObj>>();
  EXPECT_EQ(back.get(), arc.get());
  EXPECT_FALSE(Any().try_cast<Arc<PointObj>>().has_value());  // never null
  EXPECT_TRUE(Any().try_cast<ObjectPtr<PointObj>>().has_value());
  EXPECT_EQ(Any().cast<ObjectPtr<PointObj>>(), nullptr);
}

TEST(Device, StringsNameDevicesWithAliases) {
  EXPECT_EQ(AnyView("mps").cast<DLDevice>().device_type, kDLMetal);
  EXPECT_EQ(AnyView("wgpu:2").cast<DLDevice>().device_id, 2);
  EXPECT_EQ(AnyView("cuda:1 -arch=sm_90").cast<DLDevice>().device_id, 1);
  EXPECT_FALSE(AnyView("cuda:1:2").try_cast<DLDevice>().has_value());
  EXPECT_FALSE(AnyView("cuda:").try_cast<DLDevice>().has_value());
  EXPECT_FALSE(details::TryStringViewToDLDevice("llvm").has_value());
}

}  // namespace

namespace {
using namespace tvm::ffi;

// OverloadObjectDef: one name, several signatures, tried in order.
struct OverloadedObj : public Object {
  explicit OverloadedObj(int32_t) : kind("int") {}
  explicit OverloadedObj(String) : kind("str") {}
  static int64_t Twice(int64_t x) { return 2 * x; }
  static String TwiceText(String s) { return String(std::string(s) + std::string(s)); }
  bool SameKind(int32_t) const { return kind == "int"; }
  bool SameKindText(String) const { return kind == "str"; }
  std::string kind;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("object_def_test.Overloaded", OverloadedObj, Object);
};

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::OverloadObjectDef<OverloadedObj>()
      .def(refl::init<int32_t>())
      .def(refl::init<String>())
      .def("same_kind", &OverloadedObj::SameKind)
      .def("same_kind", &OverloadedObj::SameKindText)
      .def_static("twice", &OverloadedObj::Twice)
      .def_static("twice", &OverloadedObj::TwiceText);
}

TEST(OverloadObjectDef, TheFirstOverloadWhoseArgumentsFitIsCalled) {
  Function make = reflection::GetMethod("object_def_test.Overloaded", "__ffi_init__");
  Any by_int = make(3);
  Any by_text = make(String("x"));
  EXPECT_EQ(by_int.as<OverloadedObj>()->kind, "int");
  EXPECT_EQ(by_text.as<OverloadedObj>()->kind, "str");
  Function same_kind = reflection::GetMethod("object_def_test.Overloaded", "same_kind");
  EXPECT_TRUE(same_kind(by_int, 1).cast<bool>());
  EXPECT_FALSE(same_kind(by_int, String("a")).cast<bool>());
  Function twice = reflection::GetMethod("object_def_test.Overloaded", "twice");
  EXPECT_EQ(twice(21).cast<int64_t>(), 42);
  EXPECT_EQ(twice(String("ab")).cast<String>(), "abab");
  try {
    twice(1.5, 2);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    std::string msg = e.message();
    EXPECT_NE(msg.find("No matching overload found when calling: "
                       "`object_def_test.Overloaded.twice` with 2 arguments"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("Overload #1: "), std::string::npos) << msg;
  }
  try {
    twice(Array<Any>{});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.message()).find("Mismatched type on argument #0"), std::string::npos)
        << e.message();
  }
  // every registration is in the method table, each with its own schema
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(OverloadedObj::RuntimeTypeIndex());
  int twice_entries = 0;
  for (int32_t i = 0; i < info->num_methods; ++i) {
    if (std::string(info->methods[i].name.data, info->methods[i].name.size) == "twice") {
      ++twice_entries;
      EXPECT_NE(std::string(info->methods[i].metadata.data, info->methods[i].metadata.size)
                    .find("type_schema"),
                std::string::npos);
    }
  }
  EXPECT_EQ(twice_entries, 2);
}
}  // namespace
