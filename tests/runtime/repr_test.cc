// ReprPrint (<tvm/ffi/extra/dataclass.h>) and the ostream operators on it: the text of each kind
// of value, reflected fields (ReprOff ones left out), a type's own __ffi_repr__, and cycles.
#include <gtest/gtest.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstring>
#include <sstream>
#include <string>

namespace {
using namespace tvm::ffi;

class PointObj : public Object {
 public:
  int64_t x = 0;
  Any label;
  int64_t secret = 0;
  static constexpr bool _type_mutable = true;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("repr_test.Point", PointObj, Object);
};

template <typename T, T PointObj::*member>
int GetField(void* addr, TVMFFIAny* out) {
  (void)member;
  Any value(*static_cast<T*>(addr));
  *out = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(value));
  return 0;
}

void RegisterField(const char* name, int64_t offset, TVMFFIFieldGetter getter, int64_t flags) {
  TVMFFIFieldInfo info{};
  info.name = TVMFFIByteArray{name, std::strlen(name)};
  info.flags = flags;
  info.size = 8;
  info.alignment = 8;
  info.offset = offset;
  info.getter = getter;
  info.default_value_or_factory.type_index = kTVMFFINone;
  info.field_static_type_index = kTVMFFIAny;
  ASSERT_EQ(TVMFFITypeRegisterField(PointObj::RuntimeTypeIndex(), &info), 0);
}

template <typename T>
int64_t OffsetOf(const PointObj& sample, T PointObj::*member) {
  return reinterpret_cast<const char*>(&(sample.*member)) - reinterpret_cast<const char*>(&sample);
}

ObjectRef MakePoint(int64_t x, Any label) {
  static bool registered = [] {
    ObjectPtr<PointObj> sample = make_object<PointObj>();
    RegisterField("x", OffsetOf(*sample, &PointObj::x), GetField<int64_t, &PointObj::x>, 0);
    RegisterField("label", OffsetOf(*sample, &PointObj::label), GetField<Any, &PointObj::label>, 0);
    RegisterField("secret", OffsetOf(*sample, &PointObj::secret),
                  GetField<int64_t, &PointObj::secret>, kTVMFFIFieldFlagBitMaskReprOff);
    return true;
  }();
  (void)registered;
  ObjectPtr<PointObj> p = make_object<PointObj>();
  p->x = x;
  p->label = std::move(label);
  p->secret = 99;
  return ObjectRef(std::move(p));
}

TEST(Repr, ValuesAsPythonWouldShowThem) {
  EXPECT_EQ(ReprPrint(Any()), "None");
  EXPECT_EQ(ReprPrint(true), "True");
  EXPECT_EQ(ReprPrint(-7), "-7");
  EXPECT_EQ(ReprPrint(2.5), "2.5");
  EXPECT_EQ(ReprPrint(1.0 / 3), "0.333333");
  EXPECT_EQ(ReprPrint(String("a\"b\n\x01\xC3\xA9\xF0\x9F\x98\x80")),
            "\"a\\\"b\\n\\x01\\u00e9\\U0001f600\"");
  EXPECT_EQ(ReprPrint(Bytes("a\0\"", 3)), "b\"a\\x00\\x22\"");
  EXPECT_EQ(ReprPrint(DLDataType{kDLFloat, 16, 1}), "float16");
  EXPECT_EQ(ReprPrint(DLDevice{kDLCUDA, 1}), "cuda:1");
  EXPECT_EQ(ReprPrint(Array<Any>{1, String("x")}), "(1, \"x\")");
  EXPECT_EQ(ReprPrint(Array<Any>{1}), "(1,)");
  EXPECT_EQ(ReprPrint(Array<Any>{}), "()");
  EXPECT_EQ(ReprPrint(Map<Any, Any>{{String("k"), Array<Any>{}}}), "{\"k\": ()}");
  EXPECT_EQ(ReprPrint(Shape({2, 3})), "Shape(2, 3)");
  EXPECT_EQ(ReprPrint(Function::GetGlobalRequired("ffi.ReprPrint")), "ffi.Function");
}

TEST(Repr, ReflectedFieldsAndStreams) {
  ObjectRef p = MakePoint(3, Array<Any>{MakePoint(4, Any())});
  EXPECT_EQ(ReprPrint(p), "repr_test.Point(x=3, label=(repr_test.Point(x=4, label=None),))");
  std::ostringstream os;
  os << p << " " << Any(1) << " " << Optional<int64_t>() << " " << ObjectRef();
  EXPECT_EQ(os.str(),
            "repr_test.Point(x=3, label=(repr_test.Point(x=4, label=None),)) 1 None None");
  // The global gives the same text.
  EXPECT_EQ(Function::GetGlobalRequired("ffi.ReprPrint")(p).cast<String>(), ReprPrint(p));
}

class CustomObj : public Object {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("repr_test.Custom", CustomObj, Object);
};

TEST(Repr, ATypesOwnReprAttributeWins) {
  Function hook = Function::FromTyped([](ObjectRef, Function child) -> String {
    return "Custom<" + std::string(child(Array<Any>{42}).cast<String>()) + ">";
  });
  Any value = hook;
  TVMFFIByteArray name{"__ffi_repr__", 12};
  ASSERT_EQ(TVMFFITypeRegisterAttr(CustomObj::RuntimeTypeIndex(), &name,
                                   details::AnyUnsafe::TVMFFIAnyPtrFromAny(value)),
            0);
  EXPECT_EQ(ReprPrint(Array<Any>{ObjectRef(make_object<CustomObj>())}), "(Custom<(42,)>,)");
}

TEST(Repr, CyclesEnd) {
  ObjectRef inner = MakePoint(1, Any());
  ObjectRef p = MakePoint(2, inner);
  // A cycle: the point's label is the point itself.
  static_cast<PointObj*>(const_cast<Object*>(p.get()))->label = p;
  EXPECT_EQ(ReprPrint(p), "repr_test.Point(x=2, label=...)");
  static_cast<PointObj*>(const_cast<Object*>(p.get()))->label = Any();
}

}  // namespace
