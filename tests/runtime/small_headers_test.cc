// The small public headers: extra/base64.h, endian.h, extra/dtype.h and
// container/container_details.h.
#include <gtest/gtest.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/tuple.h>
#include <tvm/ffi/endian.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/base64.h>
#include <tvm/ffi/extra/dtype.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace tvm::ffi;  // NOLINT

TEST(Base64, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(Bytes(plain[i])), coded[i]);
    EXPECT_EQ(Base64Decode(String(coded[i])), Bytes(plain[i]));
  }
}

TEST(Base64, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (size_t n = 0; n <= all.size(); n += 37) {
    Bytes in(all.data(), n);
    EXPECT_EQ(Base64Decode(Base64Encode(in)), in) << n;
  }
}

TEST(Base64, MalformedTextIsAValueError) {
  for (const char* bad : {"Zg=", "Zg=a", "Z===", "Zm9v!A==", "=AAA", "Zg==Zg=="}) {
    try {
      Base64Decode(String(bad));
      ADD_FAILURE() << bad << " decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), "ValueError") << bad;
    }
  }
}

TEST(Endian, ByteSwapReversesEachElement) {
  EXPECT_EQ(TVM_FFI_LITTLE_ENDIAN, 1);  // every machine we build for
  EXPECT_EQ(TVM_FFI_IO_NO_ENDIAN_SWAP, 1);
  uint32_t words[2] = {0x01020304u, 0xA0B0C0D0u};
  ByteSwap(words, sizeof(uint32_t), 2);
  EXPECT_EQ(words[0], 0x04030201u);
  EXPECT_EQ(words[1], 0xD0C0B0A0u);
  uint8_t odd[3] = {1, 2, 3};
  ByteSwap(odd, 3, 1);
  EXPECT_EQ(odd[0] * 100 + odd[1] * 10 + odd[2], 321);
  uint64_t v = 0x0102030405060708ull;
  ByteSwap(&v, 8, 1);
  EXPECT_EQ(v, 0x0807060504030201ull);
}

template <typename T>
std::string DTypeOf() {
  DLDataType t = tvm_ffi::dtype_trait<T>::value;
  return std::to_string(t.code) + "/" + std::to_string(t.bits) + "/" + std::to_string(t.lanes);
}

TEST(DTypeTrait, BuiltInAndGpuTypes) {
  EXPECT_EQ(DTypeOf<int8_t>(), "0/8/1");
  EXPECT_EQ(DTypeOf<uint16_t>(), "1/16/1");
  EXPECT_EQ(DTypeOf<int>(), "0/32/1");
  EXPECT_EQ(DTypeOf<unsigned long long>(), "1/64/1");
  EXPECT_EQ(DTypeOf<float>(), "2/32/1");
  EXPECT_EQ(DTypeOf<double>(), "2/64/1");
  EXPECT_EQ(DTypeOf<bool>(), "6/8/1");
  EXPECT_EQ(DTypeOf<__half>(), "2/16/1");
  EXPECT_EQ(DTypeOf<__nv_bfloat16>(), "4/16/1");
  EXPECT_EQ(DTypeOf<__nv_fp8_e4m3>(), "10/8/1");
  EXPECT_EQ(DTypeOf<__nv_fp4x2_e2m1>(), "17/4/2");
  EXPECT_EQ(DTypeOf<__hip_fp8_e5m2_fnuz>(), "13/8/1");
}

struct Doubler {
  using ResultType = int64_t;
  static int64_t convert(const int& x) { return 2 * int64_t{x}; }
};

TEST(ContainerDetails, IterAdaptersConvertEachCell) {
  std::vector<int> cells = {1, 2, 3};
  using Fwd = details::IterAdapter<Doubler, std::vector<int>::const_iterator>;
  using Bwd = details::ReverseIterAdapter<Doubler, std::vector<int>::const_iterator>;
  std::vector<int64_t> seen(Fwd(cells.cbegin()), Fwd(cells.cend()));
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ(Fwd(cells.cend()) - Fwd(cells.cbegin()), 3);
  Bwd it(cells.cend() - 1);
  EXPECT_EQ(*it, 6);
  ++it;
  EXPECT_EQ(*it, 4);
  EXPECT_EQ(*(it + 1), 2);
  EXPECT_EQ(it - Bwd(cells.cend() - 1), 1);
}

TEST(ContainerDetails, TypeStringsAndChecks) {
  EXPECT_EQ((details::ContainerTypeStr<int64_t, String>("Pair")), "Pair<int, str>");
  EXPECT_EQ((details::ContainerTypeStr<Any>("Box")), "Box<Any>");
  static_assert(details::all_object_ref_v<Array<Any>, Map<String, Any>>);
  static_assert(!details::all_object_ref_v<Array<Any>, int>);
  static_assert(details::all_storage_enabled_v<int64_t, Any, String>);
  EXPECT_EQ(details::Type2Str<void>::v(), "void");
  EXPECT_EQ(details::Type2Str<const AnyView&>::v(), "AnyView");
  EXPECT_EQ((TypeTraits<Tuple<int64_t, bool>>::TypeStr()), "Tuple<int, bool>");
}

}  // namespace
