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

// Upstream's short spellings parse to the same dtype as the long names, which print back.
TEST(DataType, ShortAliases) {
  const std::pair<const char*, const char*> cases[] = {
      {"i32", "int32"},
      {"u8", "uint8"},
      {"f16", "float16"},
      {"bf16", "bfloat16"},
      {"i8x4", "int8x4"},
      {"f8_e4m3fn", "float8_e4m3fn"},
      {"fp8_e5m2", "float8_e5m2"},
      {"f6_e2m3fn", "float6_e2m3fn"},
      {"fp4_e2m1fn", "float4_e2m1fn"},
      {"f4_e2m1fn_x2", "float4_e2m1fnx2"},
      {"float4_e2m1fn_x2", "float4_e2m1fnx2"},
  };
  for (const auto& [alias, name] : cases) {
    EXPECT_EQ(Print(Parse(alias)), name) << alias;
  }
  for (const char* bad : {"i", "u", "bf", "fx", "f8_", "float8_e5m2_x2"}) {
    EXPECT_THROW(Parse(bad), Error) << bad;
  }
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
