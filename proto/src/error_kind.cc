#include "tvmffi/proto/error_kind.h"

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {
struct Row {
  const char* kind;
  absl::StatusCode code;
};
// Kind -> code: the first row of a kind. Code -> kind: the first row of a code.
constexpr Row kTable[] = {
    {kind::kValueError, absl::StatusCode::kInvalidArgument},
    {kind::kTypeError, absl::StatusCode::kInvalidArgument},
    {kind::kValueError, absl::StatusCode::kNotFound},
    {kind::kValueError, absl::StatusCode::kOutOfRange},
    {kind::kValueError, absl::StatusCode::kAlreadyExists},
    {kind::kPermissionError, absl::StatusCode::kPermissionDenied},
    {kind::kPermissionError, absl::StatusCode::kUnauthenticated},
    {kind::kNotImplementedError, absl::StatusCode::kUnimplemented},
    {kind::kMemoryError, absl::StatusCode::kResourceExhausted},
    {kind::kTimeoutError, absl::StatusCode::kDeadlineExceeded},
    {kind::kConnectionError, absl::StatusCode::kUnavailable},
    {kind::kConnectionError, absl::StatusCode::kCancelled},
    {kind::kRuntimeError, absl::StatusCode::kInternal},
    {kind::kInternalError, absl::StatusCode::kInternal},
    {kind::kRemoteCrashError, absl::StatusCode::kAborted},
    {kind::kRPCError, absl::StatusCode::kUnknown},
};
}  // namespace

absl::StatusCode CodeOfKind(absl::string_view kind) {
  for (const Row& row : kTable) {
    if (absl::string_view(row.kind) == kind) return row.code;
  }
  return absl::StatusCode::kUnknown;
}

absl::string_view KindOfCode(absl::StatusCode code) {
  for (const Row& row : kTable) {
    if (row.code == code) return row.kind;
  }
  return kind::kRPCError;
}

bool IsTransportKind(absl::string_view kind) {
  return kind == kind::kConnectionError || kind == kind::kTimeoutError || kind == kind::kRPCError;
}

absl::Status KindError(absl::string_view kind, absl::string_view message) {
  return WithErrorKind(absl::Status(CodeOfKind(kind), message), kind);
}

absl::Status ValueError(absl::string_view message) { return KindError(kind::kValueError, message); }
absl::Status TypeError(absl::string_view message) { return KindError(kind::kTypeError, message); }
absl::Status RuntimeError(absl::string_view message) {
  return KindError(kind::kRuntimeError, message);
}
absl::Status MemoryError(absl::string_view message) {
  return KindError(kind::kMemoryError, message);
}
absl::Status PermissionError(absl::string_view message) {
  return KindError(kind::kPermissionError, message);
}
absl::Status TimeoutError(absl::string_view message) {
  return KindError(kind::kTimeoutError, message);
}
absl::Status ConnectionError(absl::string_view message) {
  return KindError(kind::kConnectionError, message);
}
absl::Status RPCError(absl::StatusCode code, absl::string_view message) {
  return WithErrorKind(absl::Status(code, message), kind::kRPCError);
}

}  // namespace tvmffi::rpc
