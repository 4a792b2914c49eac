// DLDataType <-> string through the C ABI (every DLPack code, lanes, errors).
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>
#include "testing/host_tensor.h"

namespace {
using namespace tvm::ffi;

DLDataType Parse(const std::string& s) { return StringToDLDataType(s); }
std::string Print(DLDataType t) { return std::string(DLDataTypeToString(t)); }

TEST(DataType, RoundTripsEveryCode) {
  for (const char* name : tvmffi::rpc::testing::kDTypeNames) {
    EXPECT_EQ(Print(Parse(name)), name) << name;
  }
}

TEST(DataType, Defaults) {
  DLDataType t = Parse("int");
  EXPECT_EQ(t.code, kDLInt);
  EXPECT_EQ(t.bits, 32);
  EXPECT_EQ(t.lanes, 1);
  t = Parse("bool");
  EXPECT_EQ(t.code, kDLBool);
  EXPECT_EQ(t.bits, 8);
  t = Parse("handle");
  EXPECT_EQ(t.bits, 64);
  t = Parse("");
  EXPECT_EQ(t.code, kDLOpaqueHandle);
  EXPECT_EQ(t.bits, 0);
  EXPECT_EQ(t.lanes, 0);
  EXPECT_EQ(Print(t), "");
  t = Parse("float8_e5m2");
  EXPECT_EQ(t.code, kDLFloat8_e5m2);
  EXPECT_EQ(t.bits, 8);
}

TEST(DataType, BadNamesAreValueErrors) {
  for (const char* bad :
       {"floaty", "int32x", "int32xq", "float8_e9m9", "int999", "x4", "int8x4y"}) {
    try {
      Parse(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), "ValueError") << bad;
      EXPECT_NE(e.message().find(bad), std::string::npos) << e.message();
    }
  }
}

TEST(DataType, CustomCodesNeedTheirGlobals) {
  DLDataType t{200, 32, 1};
  EXPECT_THROW(Print(t), Error);
}

}  // namespace
