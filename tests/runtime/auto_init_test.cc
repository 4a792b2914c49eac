// The auto-generated __ffi_init__ ("ffi._RegisterFFIInit") and its KWARGS convention: fields by
// position (those without a default first) or by name after the sentinel, defaults from values
// and factories, and Python-worded TypeErrors.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstring>
#include <functional>
#include <string>

namespace {
using namespace tvm::ffi;

class BoxObj : public Object {
 public:
  Any a;       // required, positional
  Any b;       // default 7
  Any c;       // keyword-only, default from a factory
  Any hidden;  // InitOff
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("auto_init_test.Box", BoxObj, Object);
};

int GetAny(void* addr, TVMFFIAny* out) {
  Any copy = *static_cast<Any*>(addr);
  *out = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(copy));
  return 0;
}
int SetAny(void* addr, const TVMFFIAny* value) {
  AnyView v = AnyView::CopyFromTVMFFIAny(*value);
  if (v.type_index() == TypeIndex::kTVMFFIFloat) {
    TVMFFIErrorSetRaisedFromCStr("ValueError", "no floats here");
    return -1;
  }
  *static_cast<Any*>(addr) = Any(v);
  return 0;
}
int CreateBox(TVMFFIObjectHandle* out) {
  *out = details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(make_object<BoxObj>());
  return 0;
}

Function BoxInit() {
  static Function init = [] {
    int32_t index = BoxObj::RuntimeTypeIndex();
    int64_t offset = sizeof(Object);
    auto field = [&](const char* name, int64_t flags, Any fallback) {
      TVMFFIFieldInfo info{};
      info.name = TVMFFIByteArray{name, std::strlen(name)};
      info.flags = flags;
      info.size = sizeof(Any);
      info.alignment = alignof(Any);
      info.offset = offset;
      offset += sizeof(Any);
      info.getter = GetAny;
      info.setter = reinterpret_cast<void*>(&SetAny);
      info.default_value_or_factory = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(fallback));
      info.field_static_type_index = kTVMFFIAny;
      EXPECT_EQ(TVMFFITypeRegisterField(index, &info), 0);
    };
    field("a", 0, Any());
    field("b", kTVMFFIFieldFlagBitMaskHasDefault, 7);
    field("c",
          kTVMFFIFieldFlagBitMaskHasDefault | kTVMFFIFieldFlagBitMaskDefaultFromFactory |
              kTVMFFIFieldFlagBitMaskKwOnly,
          Function::FromTyped([]() { return String("made"); }));
    field("hidden", kTVMFFIFieldFlagBitMaskInitOff, Any());
    TVMFFITypeMetadata metadata{};
    metadata.creator = CreateBox;
    EXPECT_EQ(TVMFFITypeRegisterMetadata(index, &metadata), 0);
    Function::GetGlobalRequired("ffi._RegisterFFIInit")(index);
    TVMFFIByteArray name{"__ffi_init__", 12};
    const TVMFFITypeAttrColumn* column = TVMFFIGetTypeAttrColumn(&name);
    return AnyView::CopyFromTVMFFIAny(column->data[index - column->begin_index]).cast<Function>();
  }();
  return init;
}

const BoxObj* AsBox(const Any& v) { return static_cast<const BoxObj*>(v.cast<ObjectRef>().get()); }

std::string TypeErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError") << e.message();
    return std::string(e.message());
  }
  return "no error";
}

TEST(AutoInit, PositionalKeywordsAndDefaults) {
  Function init = BoxInit();
  Any kwargs = Function::GetGlobalRequired("ffi.GetKwargsObject")();
  Any box = init(1);
  EXPECT_EQ(AsBox(box)->a.cast<int>(), 1);
  EXPECT_EQ(AsBox(box)->b.cast<int>(), 7);
  EXPECT_EQ(AsBox(box)->c.cast<String>(), "made");
  box = init(1, 2, kwargs, String("c"), String("given"));
  EXPECT_EQ(AsBox(box)->b.cast<int>(), 2);
  EXPECT_EQ(AsBox(box)->c.cast<String>(), "given");
  box = init(kwargs, String("b"), 3, String("a"), 4);
  EXPECT_EQ(AsBox(box)->a.cast<int>(), 4);
  EXPECT_EQ(AsBox(box)->b.cast<int>(), 3);
}

TEST(AutoInit, WrongCallsArePythonWordedTypeErrors) {
  Function init = BoxInit();
  Any kwargs = Function::GetGlobalRequired("ffi.GetKwargsObject")();
  EXPECT_EQ(TypeErrorOf([&] { init(); }),
            "auto_init_test.Box.__ffi_init__() missing required argument: 'a'");
  EXPECT_EQ(TypeErrorOf([&] { init(1, 2, 3); }),
            "auto_init_test.Box.__ffi_init__() takes at most 2 positional argument(s), but 3 "
            "were given");
  EXPECT_EQ(TypeErrorOf([&] { init(1, kwargs, String("hidden"), 1); }),
            "auto_init_test.Box.__ffi_init__() got an unexpected keyword argument 'hidden'");
  EXPECT_EQ(TypeErrorOf([&] { init(1, kwargs, String("a"), 1); }),
            "auto_init_test.Box.__ffi_init__() got multiple values for argument 'a'");
  EXPECT_EQ(TypeErrorOf([&] { init(1, kwargs, String("b")); }),
            "auto_init_test.Box.__ffi_init__() KWARGS requires an even number of key-value "
            "arguments");
  // A setter's own error keeps its kind and names the field.
  try {
    init(1.5);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "auto_init_test.Box.__ffi_init__() field 'a':\n  no floats here");
  }
}

}  // namespace
