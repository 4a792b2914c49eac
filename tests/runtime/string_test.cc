// String and Bytes: small inline form, heap form, conversions.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>
#include <unordered_map>

namespace {
using namespace tvm::ffi;

TEST(String, SmallAndHeapForms) {
  String empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.c_str()[0], '\0');
  String seven("1234567");
  Any a = seven;
  EXPECT_EQ(a.type_index(), kTVMFFISmallStr);
  String eight("12345678");
  Any b = eight;
  EXPECT_EQ(b.type_index(), kTVMFFIStr);
  EXPECT_EQ(seven.size(), 7u);
  EXPECT_EQ(eight.size(), 8u);
  EXPECT_EQ(std::string(seven.c_str()), "1234567");
  EXPECT_EQ(std::string(eight.c_str()), "12345678");
}

// Every small length, with bytes that differ from one another and include NUL and high bits:
// the value word holds them in order and is zero past them (equality compares whole words).
TEST(String, EverySmallLengthKeepsItsBytesInOrder) {
  const char pool[] = {'\x01', '\x80', '\0', 'z', '\xff', 'Q', '\x7f', 'A'};
  for (size_t n = 0; n <= 7; ++n) {
    std::string text(pool, n);
    String s(text);
    Bytes b(text.data(), text.size());
    TVMFFIAny cell = AnyView(s).CopyToTVMFFIAny();
    ASSERT_EQ(cell.type_index, kTVMFFISmallStr);
    ASSERT_EQ(cell.small_str_len, n);
    for (size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(cell.v_bytes[i], i < n ? pool[i] : '\0') << "length " << n << ", byte " << i;
    }
    EXPECT_EQ(std::string(s.data(), s.size()), text);
    EXPECT_EQ(std::string(b.data(), b.size()), text);
    std::string copy = text;  // another buffer, same bytes: the same key
    EXPECT_TRUE(AnyEqual()(Any(s), Any(String(copy))));
  }
}

TEST(String, EmbeddedNulAndComparisons) {
  std::string raw("a\0b", 3);
  String s(raw);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(std::string(s), raw);
  EXPECT_TRUE(String("abc") == "abc");
  EXPECT_TRUE(String("abc") != String("abd"));
  EXPECT_TRUE(String("abc") < String("abd"));
  EXPECT_EQ(String("ab") + "cd", "abcd");
  EXPECT_TRUE(String("my_ext.add_one").starts_with("my_ext."));
  EXPECT_EQ(String("hello world").substr(6), "world");
}

TEST(String, HashesByContent) {
  std::unordered_map<String, int> m;
  m[String("a somewhat long key")] = 1;
  EXPECT_EQ(m.count(String(std::string("a somewhat long key"))), 1u);
}

TEST(String, CastsFromAnyForms) {
  EXPECT_EQ(Any(String("x")).cast<std::string>(), "x");
  EXPECT_EQ(AnyView("raw").cast<String>(), "raw");
  EXPECT_THROW(Any(1).cast<String>(), Error);
}

TEST(Bytes, SmallAndHeapForms) {
  Bytes small("\x01\x02", 2);
  Any a = small;
  EXPECT_EQ(a.type_index(), kTVMFFISmallBytes);
  Bytes big(std::string(100, 'z'));
  Any b = big;
  EXPECT_EQ(b.type_index(), kTVMFFIBytes);
  EXPECT_EQ(b.cast<Bytes>().size(), 100u);
  TVMFFIByteArray arr{"bytes!!!!", 9};
  AnyView view = &arr;
  EXPECT_EQ(view.cast<Bytes>().size(), 9u);
  // Strings and bytes do not convert into each other.
  EXPECT_THROW(Any(small).cast<String>(), Error);
}

}  // namespace
