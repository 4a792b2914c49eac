// The files both ends read their credentials from, read one way: a token file (server
// --token-file, tvmffi --token-file) must mean the same token on both sides.
#ifndef TVMFFI_GRPC_CREDENTIAL_FILES_H_
#define TVMFFI_GRPC_CREDENTIAL_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace tvmffi::rpc {

// A whole file's bytes (a PEM certificate or key, a module). NOT_FOUND naming the path when it
// cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// The bearer token a token file holds: its first line, without a trailing '\r'.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_GRPC_CREDENTIAL_FILES_H_
