#include "tvmffi/grpc/credential_files.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace tvmffi::rpc {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes;
  if (in) bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return bytes;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  std::string token = text->substr(0, text->find('\n'));
  if (!token.empty() && token.back() == '\r') token.pop_back();
  return token;
}

}  // namespace tvmffi::rpc
