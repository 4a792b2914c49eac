// The readable signature the client makes of a function's registration metadata (tvmffi ls).
#include "signature.h"

#include <gtest/gtest.h>

#include <string>

namespace tvmffi::rpc::internal {
namespace {

std::string Meta(const std::string& schema) {
  std::string escaped;
  for (char c : schema) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return "{\"type_schema\":\"" + escaped + "\"}";
}

TEST(Signature, ReadableFromTheTypeSchema) {
  EXPECT_EQ(SignatureFromMetadata(Meta(
                R"({"type":"ffi.Function","args":[{"type":"ffi.Array","args":[{"type":"int"}]},)"
                R"({"type":"ffi.Tensor"},{"type":"ffi.Map","args":[{"type":"ffi.String"},)"
                R"({"type":"Any"}]}]})")),
            "(Tensor, Map<String, Any>) -> Array<int>");
  EXPECT_EQ(SignatureFromMetadata(Meta(R"({"type":"ffi.Function","args":[{"type":"None"}]})")),
            "() -> None");
  // No schema, or something else: no signature, never an error.
  for (const char* bad : {"", "{}", "not json", "[1]", R"({"type_schema": 5})",
                          R"({"type_schema": "{\"args\": 3}"})", R"({"type_schema": "{]"})"}) {
    EXPECT_EQ(SignatureFromMetadata(bad), "") << bad;
  }
  // A hostile, deeply nested schema is cut short.
  std::string deep = R"({"type":"int"})";
  for (int i = 0; i < 100; ++i) deep = R"({"type":"ffi.Array","args":[)" + deep + "]}";
  std::string sig = SignatureFromMetadata(Meta(R"({"type":"ffi.Function","args":[)" + deep + "]}"));
  EXPECT_NE(sig.find("..."), std::string::npos);
}

}  // namespace
}  // namespace tvmffi::rpc::internal
