// The module function listing reads a library's dynamic symbols itself; a client's upload may
// be any bytes, so every table offset is checked against the image.
#include "elf_symbols.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tvmffi::rpc::internal {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(ElfSymbols, AModulesExportedFunctionsAndNothingElse) {
  absl::StatusOr<std::vector<std::string>> names =
      ExportedFunctionNames(Slurp(TVMFFI_MY_EXT_MODULE));
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(*names, (std::vector<std::string>{"add_two"}));
  names = ExportedFunctionNames(Slurp(TVMFFI_SERVER_BINARY));  // an executable: no functions
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_TRUE(names->empty());
}

TEST(ElfSymbols, BytesThatAreNotALibraryOrCutShortAreRefused) {
  std::string image = Slurp(TVMFFI_MY_EXT_MODULE);
  ASSERT_GT(image.size(), 4096u);
  EXPECT_FALSE(ExportedFunctionNames("").ok());
  EXPECT_FALSE(ExportedFunctionNames("not an ELF file at all, just some text....").ok());
  EXPECT_FALSE(ExportedFunctionNames(image.substr(0, 40)).ok());
  // Every prefix, and every byte of the header and section table flipped: refused or listed,
  // never read past the image (ASan checks the reads).
  for (size_t cut = 0; cut < image.size(); cut += image.size() / 97 + 1) {
    (void)ExportedFunctionNames(std::string_view(image).substr(0, cut));
  }
  for (size_t i = 0; i < 64; ++i) {
    std::string bent = image;
    bent[i] = static_cast<char>(bent[i] ^ 0xff);
    (void)ExportedFunctionNames(bent);
  }
}

}  // namespace
}  // namespace tvmffi::rpc::internal
