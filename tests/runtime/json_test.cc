// json::Parse / json::Stringify (<tvm/ffi/extra/json.h>): values, order, round trips, and the
// errors, which name what was expected and where, as Python's json module does.
#include <gtest/gtest.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {
using namespace tvm::ffi;

std::string ErrorOf(const std::string& text) {
  String error;
  Any value = json::Parse(text, &error);
  EXPECT_EQ(value, nullptr) << text;
  return std::string(error);
}

TEST(Json, ParsesEveryKindOfValue) {
  json::Object doc = json::Parse(R"( {"n": null, "t": true, "f": false, "i": -42,
      "big": 9223372036854775807, "huge": 18446744073709551616, "x": 0.25, "e": 2E3,
      "s": "a\"b\\c\/\u00e9\ud83d\ude00", "a": [1, [2, []], {}], "nan": NaN, "inf": -Infinity} )")
                         .cast<json::Object>();
  EXPECT_EQ(doc.at(String("n")), nullptr);
  EXPECT_EQ(doc.at(String("t")).cast<bool>(), true);
  EXPECT_EQ(doc.at(String("f")).type_index(), TypeIndex::kTVMFFIBool);
  EXPECT_EQ(doc.at(String("i")).cast<int64_t>(), -42);
  EXPECT_EQ(doc.at(String("big")).cast<int64_t>(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(doc.at(String("huge")).type_index(), TypeIndex::kTVMFFIFloat);  // past int64
  EXPECT_EQ(doc.at(String("x")).cast<double>(), 0.25);
  EXPECT_EQ(doc.at(String("e")).type_index(), TypeIndex::kTVMFFIFloat);
  EXPECT_EQ(doc.at(String("s")).cast<String>(), "a\"b\\c/\xC3\xA9\xF0\x9F\x98\x80");
  json::Array a = doc.at(String("a")).cast<json::Array>();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].cast<json::Array>()[1].cast<json::Array>().size(), 0u);
  EXPECT_TRUE(std::isnan(doc.at(String("nan")).cast<double>()));
  EXPECT_EQ(doc.at(String("inf")).cast<double>(), -std::numeric_limits<double>::infinity());
}

TEST(Json, ObjectsKeepTheirOrderAndTheLastOfARepeatedKey) {
  std::string text = "{";
  for (int i = 0; i < 2000; ++i)
    text += (i ? "," : "") + ("\"k" + std::to_string(1999 - i) + "\":1");
  text += ",\"k5\":\"again\"}";
  json::Object doc = json::Parse(text).cast<json::Object>();
  EXPECT_EQ(doc.size(), 2000u);
  EXPECT_EQ((*doc.begin()).first.cast<String>(), "k1999");
  EXPECT_EQ(doc.at(String("k5")).cast<String>(), "again");
}

TEST(Json, MalformedTextSaysWhatAndWhere) {
  EXPECT_EQ(ErrorOf(""), "Expecting value: line 1 column 1 (char 0)");
  EXPECT_EQ(ErrorOf("[1,\n  2,\n  x]"), "Expecting value: line 3 column 3 (char 11)");
  EXPECT_EQ(ErrorOf("nulll"), "Extra data: line 1 column 5 (char 4)");
  EXPECT_EQ(ErrorOf("1.5.2"), "Expecting value: line 1 column 1 (char 0)");
  EXPECT_EQ(ErrorOf("[1 2]"), "Expecting ',' delimiter: line 1 column 4 (char 3)");
  EXPECT_EQ(ErrorOf("{1: 2}"),
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)");
  EXPECT_EQ(ErrorOf("{\"a\" 2}"), "Expecting ':' delimiter: line 1 column 6 (char 5)");
  EXPECT_EQ(ErrorOf("\"abc"), "Unterminated string starting at: line 1 column 1 (char 0)");
  EXPECT_EQ(ErrorOf("\"a\tb\""), "Invalid control character at: line 1 column 3 (char 2)");
  EXPECT_EQ(ErrorOf("\"\\q\""), "Invalid \\escape: line 1 column 3 (char 2)");
  EXPECT_EQ(ErrorOf("\"\\u12\""), "Invalid \\uXXXX escape: line 1 column 3 (char 2)");
  EXPECT_EQ(ErrorOf("\"\\udc00\""),
            "Invalid surrogate pair of \\uXXXX escapes: line 1 column 3 (char 2)");
  // Deep nesting is an error, not a stack overflow.
  EXPECT_EQ(ErrorOf(std::string(100000, '[')).rfind("Nesting too deep", 0), 0u);
  // Without an error string: a ValueError with the same message.
  try {
    json::Parse("[");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "Expecting value: line 1 column 2 (char 1)");
  }
}

TEST(Json, WritesCompactOrIndentedText) {
  json::Object doc{{"name", "x/\"y\"\n\x01"},
                   {"n", 3},
                   {"f", 0.1},
                   {"g", 1e22},
                   {"h", 1e-7},
                   {"whole", 2.0},
                   {"list", json::Array{true, nullptr, json::Array{}}},
                   {"obj", json::Object{}}};
  EXPECT_EQ(json::Stringify(doc),
            R"({"name":"x\/\"y\"\n\u0001","n":3,"f":0.1,"g":1e+22,"h":1e-07,"whole":2.0,)"
            R"("list":[true,null,[]],"obj":{}})");
  EXPECT_EQ(json::Stringify(json::Array{1, json::Object{{"a", json::Array{2}}}}, 2),
            "[\n  1,\n  {\n    \"a\": [\n      2\n    ]\n  }\n]");
  EXPECT_EQ(json::Stringify(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(json::Stringify(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(json::Stringify(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(json::Stringify(0.0001), "0.0001");
  // Numbers read back exactly.
  for (double v : {0.1, 1.0 / 3, 6.02214076e23, -2.5e-300, 4503599627370497.0}) {
    EXPECT_EQ(json::Parse(json::Stringify(v)).cast<double>(), v);
  }
}

TEST(Json, ValuesWithoutAJsonFormAreTypeErrors) {
  for (const Any& bad : {Any(Shape({1, 2})), Any(json::Object{{1, 2}})}) {
    try {
      json::Stringify(bad);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), "TypeError") << e.message();
    }
  }
}

}  // namespace
