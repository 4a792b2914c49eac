// Layouts and enum values the ABI fixes, checked from C++ (the C checks are in layout_c_check.c).
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstddef>

extern "C" int TvmffiRpcLayoutCheckC(void);

namespace {
using namespace tvm::ffi;

static_assert(sizeof(Any) == 16 && sizeof(AnyView) == 16);
static_assert(sizeof(ObjectRef) == 8 && sizeof(ObjectPtr<Object>) == 8);
static_assert(sizeof(Function) == 8 && sizeof(Optional<Function>) == 8);
static_assert(sizeof(String) == 16 && sizeof(Bytes) == 16);
static_assert(sizeof(Object) == 24);
static_assert(sizeof(FunctionObj) == 40);
static_assert(sizeof(ErrorObj) == 24 + 72);
static_assert(sizeof(ShapeObj) == 40);
static_assert(sizeof(ArrayObj) == 56);
static_assert(sizeof(details::StringObj) == 40);

TEST(Layout, CTranslationUnitAgrees) { EXPECT_EQ(TvmffiRpcLayoutCheckC(), 16); }

TEST(Layout, TypeIndexValues) {
  EXPECT_EQ(kTVMFFIAny, -1);
  EXPECT_EQ(kTVMFFINone, 0);
  EXPECT_EQ(kTVMFFIInt, 1);
  EXPECT_EQ(kTVMFFIBool, 2);
  EXPECT_EQ(kTVMFFIFloat, 3);
  EXPECT_EQ(kTVMFFIOpaquePtr, 4);
  EXPECT_EQ(kTVMFFIDataType, 5);
  EXPECT_EQ(kTVMFFIDevice, 6);
  EXPECT_EQ(kTVMFFIDLTensorPtr, 7);
  EXPECT_EQ(kTVMFFIRawStr, 8);
  EXPECT_EQ(kTVMFFIByteArrayPtr, 9);
  EXPECT_EQ(kTVMFFIObjectRValueRef, 10);
  EXPECT_EQ(kTVMFFISmallStr, 11);
  EXPECT_EQ(kTVMFFISmallBytes, 12);
  EXPECT_EQ(kTVMFFIStaticObjectBegin, 64);
  EXPECT_EQ(kTVMFFIObject, 64);
  EXPECT_EQ(kTVMFFIStr, 65);
  EXPECT_EQ(kTVMFFIBytes, 66);
  EXPECT_EQ(kTVMFFIError, 67);
  EXPECT_EQ(kTVMFFIFunction, 68);
  EXPECT_EQ(kTVMFFIShape, 69);
  EXPECT_EQ(kTVMFFITensor, 70);
  EXPECT_EQ(kTVMFFIArray, 71);
  EXPECT_EQ(kTVMFFIMap, 72);
  EXPECT_EQ(kTVMFFIModule, 73);
  EXPECT_EQ(kTVMFFIOpaquePyObject, 74);
  EXPECT_EQ(kTVMFFIList, 75);
  EXPECT_EQ(kTVMFFIDict, 76);
  EXPECT_EQ(kTVMFFIVisitInterrupt, 77);
  EXPECT_EQ(kTVMFFIStaticObjectEnd, 78);
  EXPECT_EQ(kTVMFFIDynObjectBegin, 128);
}

TEST(Layout, FlagValues) {
  EXPECT_EQ(kTVMFFIObjectDeleterFlagBitMaskStrong, 1);
  EXPECT_EQ(kTVMFFIObjectDeleterFlagBitMaskWeak, 2);
  EXPECT_EQ(kTVMFFIObjectDeleterFlagBitMaskBoth, 3);
  EXPECT_EQ(kTVMFFIBacktraceUpdateModeReplace, 0);
  EXPECT_EQ(kTVMFFIBacktraceUpdateModeAppend, 1);
  EXPECT_EQ(kTVMFFIFieldFlagBitMaskWritable, 1 << 0);
  EXPECT_EQ(kTVMFFIFieldFlagBitMaskIsStaticMethod, 1 << 2);
  EXPECT_EQ(kTVMFFIFieldFlagBitMaskSEqHashDefRecursive, 1 << 4);
  EXPECT_EQ(kTVMFFIFieldFlagBitMaskKwOnly, 1 << 10);
  EXPECT_EQ(kTVMFFIFieldFlagBitSetterIsFunctionObj, 1 << 11);
  EXPECT_EQ(kTVMFFIFieldFlagBitMaskSEqHashDefNonRecursive, 1 << 12);
  EXPECT_EQ(kTVMFFISEqHashKindUniqueInstance, 5);
  EXPECT_EQ(kTVMFFIDefRegionKindNonRecursive, 2);
}

TEST(Layout, CellsFollowTheHeader) {
  // Each builtin object keeps its C cell right after the 24-byte header.
  Function f = Function::FromTyped([](int x) { return x; });
  const FunctionObj* obj = f.get();
  EXPECT_EQ(reinterpret_cast<const char*>(static_cast<const TVMFFIFunctionCell*>(obj)) -
                reinterpret_cast<const char*>(static_cast<const Object*>(obj)),
            24);
  String long_str("a string longer than seven bytes");
  Any any = long_str;
  const TVMFFIAny* cell = details::AnyUnsafe::TVMFFIAnyPtrFromAny(any);
  ASSERT_EQ(cell->type_index, kTVMFFIStr);
  const TVMFFIByteArray* bytes = TVMFFIBytesGetByteArrayPtr(cell->v_obj);
  EXPECT_EQ(std::string(bytes->data, bytes->size), "a string longer than seven bytes");
  EXPECT_EQ(bytes->data[bytes->size], '\0');
}

TEST(Layout, VersionIsV0_1_14) {  // upstream tag v0.1.13-post2
  TVMFFIVersion v;
  TVMFFIGetVersion(&v);
  EXPECT_EQ(v.major, 0u);
  EXPECT_EQ(v.minor, 1u);
  EXPECT_EQ(v.patch, 14u);
}

}  // namespace
