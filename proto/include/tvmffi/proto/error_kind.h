// The error kinds tvmffi-rpc raises, in one place: their names, and the one table between a kind
// and a status code (absl's and gRPC's codes are the same numbers). Code inside the project
// builds statuses with the constructors below; the kind travels as the status's payload and
// becomes the ffi::Error's kind at the ABI edge (status.h).
#ifndef TVMFFI_PROTO_ERROR_KIND_H_
#define TVMFFI_PROTO_ERROR_KIND_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tvmffi::rpc {

namespace kind {
// Python's built-in exception names, as TVM-FFI uses them.
inline constexpr char kValueError[] = "ValueError";
inline constexpr char kTypeError[] = "TypeError";
inline constexpr char kRuntimeError[] = "RuntimeError";
inline constexpr char kMemoryError[] = "MemoryError";
inline constexpr char kPermissionError[] = "PermissionError";
inline constexpr char kNotImplementedError[] = "NotImplementedError";
inline constexpr char kTimeoutError[] = "TimeoutError";
inline constexpr char kConnectionError[] = "ConnectionError";
inline constexpr char kInternalError[] = "InternalError";
// tvmffi-rpc's own: a transport failure that is none of the above (the gRPC code is in the
// message), and an --isolate worker that died.
inline constexpr char kRPCError[] = "RPCError";
inline constexpr char kRemoteCrashError[] = "RemoteCrashError";
}  // namespace kind

// The status code a kind travels as (RPCError: UNKNOWN; a kind not in the table: UNKNOWN).
absl::StatusCode CodeOfKind(absl::string_view kind);
// The kind a status code means when nothing more is known (a gRPC status from the network).
absl::string_view KindOfCode(absl::StatusCode code);
// Kinds that say the call may not have reached its function (the CLI's exit status 2).
bool IsTransportKind(absl::string_view kind);

// A status of `kind` with its code from the table.
[[nodiscard]] absl::Status KindError(absl::string_view kind, absl::string_view message);
[[nodiscard]] absl::Status ValueError(absl::string_view message);
[[nodiscard]] absl::Status TypeError(absl::string_view message);
[[nodiscard]] absl::Status RuntimeError(absl::string_view message);
[[nodiscard]] absl::Status MemoryError(absl::string_view message);
[[nodiscard]] absl::Status PermissionError(absl::string_view message);
[[nodiscard]] absl::Status TimeoutError(absl::string_view message);
[[nodiscard]] absl::Status ConnectionError(absl::string_view message);
// A transport failure with the code it had (e.g. RESOURCE_EXHAUSTED for a refused session).
[[nodiscard]] absl::Status RPCError(absl::StatusCode code, absl::string_view message);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_PROTO_ERROR_KIND_H_
