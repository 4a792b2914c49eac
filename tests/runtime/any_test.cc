// Any / AnyView: storage, conversions and their error texts, reference counting.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>

namespace {
using namespace tvm::ffi;

TEST(Any, DefaultIsNoneWithZeroPayload) {
  Any a;
  EXPECT_EQ(a.type_index(), kTVMFFINone);
  EXPECT_TRUE(a == nullptr);
  const TVMFFIAny* cell = details::AnyUnsafe::TVMFFIAnyPtrFromAny(a);
  EXPECT_EQ(cell->zero_padding, 0u);
  EXPECT_EQ(cell->v_int64, 0);
}

TEST(Any, PodRoundTrips) {
  Any i = 42;
  EXPECT_EQ(i.type_index(), kTVMFFIInt);
  EXPECT_EQ(i.cast<int>(), 42);
  Any b = true;
  EXPECT_EQ(b.type_index(), kTVMFFIBool);
  EXPECT_TRUE(b.cast<bool>());
  Any f = 2.5;
  EXPECT_EQ(f.type_index(), kTVMFFIFloat);
  EXPECT_DOUBLE_EQ(f.cast<double>(), 2.5);
  DLDevice dev{kDLCUDA, 3};
  Any d = dev;
  EXPECT_EQ(d.cast<DLDevice>().device_id, 3);
  DLDataType dt{kDLFloat, 16, 1};
  Any t = dt;
  EXPECT_EQ(t.cast<DLDataType>().bits, 16);
  int x = 0;
  Any p = static_cast<void*>(&x);
  EXPECT_EQ(p.cast<void*>(), &x);
}

TEST(Any, DocumentedConversions) {
  // int accepts bool; bool accepts int; float accepts int and bool.
  EXPECT_EQ(Any(true).cast<int>(), 1);
  EXPECT_FALSE(Any(0).cast<bool>());
  EXPECT_DOUBLE_EQ(Any(3).cast<double>(), 3.0);
  EXPECT_DOUBLE_EQ(Any(true).cast<double>(), 1.0);
  // DataType accepts its string form.
  DLDataType dt = Any(String("int8x4")).cast<DLDataType>();
  EXPECT_EQ(dt.code, kDLInt);
  EXPECT_EQ(dt.bits, 8);
  EXPECT_EQ(dt.lanes, 4);
  // as<T> is strict: no conversion.
  EXPECT_FALSE(Any(true).as<int64_t>().has_value());
  EXPECT_TRUE(Any(7).as<int64_t>().has_value());
}

TEST(Any, FailedCastIsTypeErrorWithBothTypes) {
  try {
    Any(String("hello")).cast<int>();
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_EQ(e.message(), "Cannot convert from type `ffi.SmallStr` to `int`");
  }
  try {
    Any(1.5).cast<Function>();
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "Cannot convert from type `float` to `ffi.Function`");
  }
  EXPECT_FALSE(Any(1.5).try_cast<int>().has_value());
}

TEST(Any, ObjectsAreReferenceCounted) {
  Function f = Function::FromTyped([]() { return 1; });
  EXPECT_EQ(f.use_count(), 1);
  {
    Any a = f;
    EXPECT_EQ(f.use_count(), 2);
    Any b = a;
    EXPECT_EQ(f.use_count(), 3);
    Any c = std::move(b);
    EXPECT_EQ(f.use_count(), 3);
    EXPECT_TRUE(b == nullptr);
    AnyView v = a;  // views take no reference
    EXPECT_EQ(f.use_count(), 3);
    EXPECT_TRUE(v.as<const FunctionObj*>() != nullptr);
  }
  EXPECT_EQ(f.use_count(), 1);
}

TEST(Any, MovingCastStealsTheReference) {
  Function f = Function::FromTyped([]() { return 1; });
  Any a = f;
  EXPECT_EQ(f.use_count(), 2);
  Function g = std::move(a).cast<Function>();
  EXPECT_EQ(f.use_count(), 2);
  EXPECT_TRUE(a == nullptr);
}

TEST(AnyView, BorrowedStringsBecomeOwnedInAny) {
  std::string text = "a borrowed std::string";
  AnyView view = text;
  EXPECT_EQ(view.type_index(), kTVMFFIRawStr);
  Any owned = view;
  EXPECT_EQ(owned.type_index(), kTVMFFIStr);
  text[0] = 'X';  // the owned copy does not see later changes
  EXPECT_EQ(owned.cast<std::string>(), "a borrowed std::string");
  Any small = AnyView("tiny");
  EXPECT_EQ(small.type_index(), kTVMFFISmallStr);
  EXPECT_EQ(small.cast<String>(), "tiny");
}

TEST(AnyView, RValueRefArgumentIsStolenByOwnedAny) {
  Function f = Function::FromTyped([]() { return 1; });
  TVMFFIObject* slot = details::ObjectUnsafe::TVMFFIObjectPtrFromObjectRef(f);
  details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(std::move(f));
  TVMFFIAny view;
  view.type_index = kTVMFFIObjectRValueRef;
  view.zero_padding = 0;
  view.v_ptr = &slot;
  Any owned = AnyView::CopyFromTVMFFIAny(view);
  EXPECT_EQ(slot, nullptr);
  EXPECT_EQ(owned.type_index(), kTVMFFIFunction);
  EXPECT_EQ(owned.cast<Function>().use_count(), 2);
}

TEST(Any, OptionalRoundTrips) {
  Optional<int64_t> none;
  Any a = none;
  EXPECT_TRUE(a == nullptr);
  EXPECT_FALSE(a.cast<Optional<int64_t>>().has_value());
  Any b = Optional<int64_t>(5);
  EXPECT_EQ(b.cast<Optional<int64_t>>().value(), 5);
  Optional<Function> nf;
  EXPECT_FALSE(nf.has_value());
  EXPECT_THROW(nf.value(), Error);
}

}  // namespace

namespace {
using namespace tvm::ffi;

TEST(Any, UnsignedAboveInt64IsOverflowError) {
  EXPECT_EQ(Any(uint64_t{5}).cast<uint64_t>(), 5u);
  try {
    Any a = uint64_t{1} << 63;
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "OverflowError");
  }
}

TEST(Any, DeviceFromString) {
  DLDevice d = Any(String("cuda:1")).cast<DLDevice>();
  EXPECT_EQ(d.device_type, kDLCUDA);
  EXPECT_EQ(d.device_id, 1);
  d = AnyView("cpu").cast<DLDevice>();
  EXPECT_EQ(d.device_type, kDLCPU);
  EXPECT_EQ(d.device_id, 0);
  EXPECT_THROW(AnyView("gpu:0").cast<DLDevice>(), Error);
  EXPECT_THROW(AnyView("cuda:").cast<DLDevice>(), Error);
}
}  // namespace

namespace {
using namespace tvm::ffi;

// Comparisons with values, the empty markers and other Optionals; a String optional from a
// literal; an Optional of a view type (no Any storage) and an Optional of an Optional (an Any
// cell of its own, unlike an Optional of a reference).
TEST(Optional, ComparesAndHoldsViewsAndOptionals) {
  Optional<double> none, eleven = 11.0;
  EXPECT_TRUE(none != 12);
  EXPECT_FALSE(none == 12);
  EXPECT_TRUE(eleven == 11);
  EXPECT_TRUE(eleven != 12);
  EXPECT_TRUE(none == std::nullopt);
  EXPECT_TRUE(eleven != std::nullopt);
  EXPECT_TRUE(eleven == Optional<double>(11.0));
  EXPECT_TRUE(none == Optional<double>());
  EXPECT_TRUE(none != eleven);
  Optional<String> text;
  EXPECT_TRUE(text != "hello");
  text = "hello";
  EXPECT_TRUE(text == "hello");
  EXPECT_TRUE(text == String("hello"));
  Optional<Bytes> bytes;
  EXPECT_EQ(bytes.value_or(Bytes(std::string("default"))), "default");
  EXPECT_TRUE(Bytes(std::string("ab")) == std::string("ab"));
  EXPECT_TRUE(std::string_view("ab") != Bytes(std::string("abc")));
  Optional<Shape> shape;
  EXPECT_TRUE(shape == std::nullopt);
  shape = Shape({4});
  Shape moved = *std::move(shape);
  EXPECT_EQ(moved[0], 4);
  EXPECT_FALSE(shape.has_value()) << "moved out";  // NOLINT(bugprone-use-after-move)
  static_assert(sizeof(Optional<Shape>) == sizeof(ObjectRef));
  static_assert(sizeof(Optional<Optional<Shape>>) == sizeof(Any));
  static_assert(!TypeTraits<Optional<TensorView>>::storage_enabled);
  int64_t dims[] = {2};
  DLTensor raw{};
  raw.ndim = 1;
  raw.shape = dims;
  Optional<TensorView> view;
  EXPECT_FALSE(view.has_value());
  view = TensorView(&raw);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view.value().size(0), 2);
}

TEST(Optional, ValueTypesAreOneAnyCell) {
  static_assert(sizeof(Optional<String>) == 16);
  static_assert(sizeof(Optional<int64_t>) == 16);
  Optional<String> s = String("a long optional string");
  EXPECT_TRUE(s.has_value());
  EXPECT_EQ(s.value(), "a long optional string");
  Any a = s;
  EXPECT_EQ(a.cast<Optional<String>>().value(), "a long optional string");
  Optional<String> empty;
  EXPECT_FALSE(empty.has_value());
  EXPECT_EQ(empty.value_or("x"), "x");
}
}  // namespace
