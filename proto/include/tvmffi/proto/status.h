// absl::Status helpers used across tvmffi-rpc: the FFI error kind a status carries, the one
// conversion from a status to an ffi::Error (at the ABI edge), and early-return macros
// (Debian's Abseil 20220623 has none).
#ifndef TVMFFI_PROTO_STATUS_H_
#define TVMFFI_PROTO_STATUS_H_

#include <tvm/ffi/error.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tvmffi/proto/error_kind.h"
#include "tvmffi/rpc/v1/ffi.pb.h"

namespace tvmffi::rpc {

// Returns status with `kind` (an ffi error kind such as "TypeError") attached as its payload.
[[nodiscard]] absl::Status WithErrorKind(absl::Status status, absl::string_view kind);

// The ffi error kind of a non-OK status: its payload if it has one, else the code's kind in
// error_kind.h's table (DEADLINE_EXCEEDED -> TimeoutError, UNAVAILABLE -> ConnectionError, ...,
// else RPCError).
std::string ErrorKindOf(const absl::Status& status);

// A status carrying an ffi::Error raised by the peer (kind, message, backtrace, cause), so it
// survives the trip through absl::Status to the ABI edge intact.
[[nodiscard]] absl::Status RemoteErrorStatus(const v1::Error& error);
// Whether status was made by RemoteErrorStatus.
bool HasRemoteError(const absl::Status& status);

// Builds the ffi::Error a C++ caller sees for a failed status: the peer's own error (its
// backtrace, then a marker naming the peer, then this side's frames) when the status carries
// one, else one of ErrorKindOf's kinds with the status message.
tvm::ffi::Error StatusToError(const absl::Status& status);

// Inside a catch block: the exception in flight as an ffi::Error. An ffi::Error stays itself,
// EnvErrorAlreadySet is the error already in this thread's slot,
// a std::exception becomes InternalError with its what(), anything else (`throw 42`) an
// InternalError saying so. Every call boundary catches (...) and uses this.
tvm::ffi::Error CurrentExceptionToError();

}  // namespace tvmffi::rpc

#define TVMFFI_RPC_CONCAT_INNER_(a, b) a##b
#define TVMFFI_RPC_CONCAT_(a, b) TVMFFI_RPC_CONCAT_INNER_(a, b)

// Returns the status of expr from the enclosing function when it is not OK.
#define TVMFFI_RPC_RETURN_IF_ERROR(expr)                           \
  do {                                                             \
    ::absl::Status TVMFFI_RPC_CONCAT_(status_, __LINE__) = (expr); \
    if (!TVMFFI_RPC_CONCAT_(status_, __LINE__).ok()) {             \
      return TVMFFI_RPC_CONCAT_(status_, __LINE__);                \
    }                                                              \
  } while (false)

// `TVMFFI_RPC_ASSIGN_OR_RETURN(auto x, Compute());` unwraps a StatusOr or returns its status.
#define TVMFFI_RPC_ASSIGN_OR_RETURN(lhs, expr) \
  TVMFFI_RPC_ASSIGN_OR_RETURN_IMPL_(TVMFFI_RPC_CONCAT_(statusor_, __LINE__), lhs, expr)
#define TVMFFI_RPC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                      \
  if (!tmp.ok()) return tmp.status();                     \
  lhs = std::move(*tmp)

#endif  // TVMFFI_PROTO_STATUS_H_
