// Token and PEM files read the same way by the server and the tvmffi command.
#include "tvmffi/grpc/credential_files.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace tvmffi::rpc {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(CredentialFiles, TokenIsTheFirstLineWithoutItsLineEnd) {
  for (const char* text : {"s3cret", "s3cret\n", "s3cret\r\n", "s3cret\nsecond line\n"}) {
    std::string path = WriteTemp("token", text);
    absl::StatusOr<std::string> token = ReadTokenFile(path);
    ASSERT_TRUE(token.ok()) << text;
    EXPECT_EQ(*token, "s3cret") << text;
    std::remove(path.c_str());
  }
}

TEST(CredentialFiles, WholeFilesKeepEveryByteAndMissingOnesAreNotFound) {
  std::string pem("-----BEGIN-----\r\n\0binary\n", 25);
  std::string path = WriteTemp("pem", pem);
  EXPECT_EQ(*ReadWholeFile(path), pem);
  std::string empty = WriteTemp("empty", "");
  EXPECT_EQ(*ReadWholeFile(empty), "");
  EXPECT_EQ(ReadWholeFile("/nonexistent/token").status().code(), absl::StatusCode::kNotFound);
  std::remove(path.c_str());
  std::remove(empty.c_str());
}

}  // namespace
}  // namespace tvmffi::rpc
