// The one mapping from absl::Status to an FFI error kind, and to ffi::Error.
#include "tvmffi/proto/status.h"

#include <string>

#include "tvmffi/proto/codec.h"

#include "absl/strings/cord.h"

namespace tvmffi::rpc {
namespace {
constexpr char kKindPayload[] = "tvmffi.rpc/error_kind";
constexpr char kRemoteErrorPayload[] = "tvmffi.rpc/remote_error";
}  // namespace

absl::Status RemoteErrorStatus(const v1::Error& error) {
  absl::Status status(absl::StatusCode::kUnknown, error.kind() + ": " + error.message());
  status.SetPayload(kRemoteErrorPayload, absl::Cord(error.SerializeAsString()));
  status.SetPayload(kKindPayload, absl::Cord(error.kind()));
  return status;
}

bool HasRemoteError(const absl::Status& status) {
  return status.GetPayload(kRemoteErrorPayload).has_value();
}

absl::Status WithErrorKind(absl::Status status, absl::string_view kind) {
  status.SetPayload(kKindPayload, absl::Cord(kind));
  return status;
}

std::string ErrorKindOf(const absl::Status& status) {
  if (auto payload = status.GetPayload(kKindPayload)) return std::string(*payload);
  return std::string(KindOfCode(status.code()));
}

tvm::ffi::Error StatusToError(const absl::Status& status) {
  if (auto payload = status.GetPayload(kRemoteErrorPayload)) {
    v1::Error error;
    if (error.ParseFromString(std::string(*payload))) {
      tvm::ffi::Error err = DecodeError(error, error.peer());
      // This side's frames follow the peer's marker line.
      const TVMFFIByteArray* local = TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0);
      err.UpdateBacktrace(local, kTVMFFIBacktraceUpdateModeAppend);
      return err;
    }
  }
  return tvm::ffi::Error(ErrorKindOf(status), std::string(status.message()),
                         TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0));
}

tvm::ffi::Error CurrentExceptionToError() {
  try {
    throw;
  } catch (const tvm::ffi::Error& err) {
    return err;
  } catch (const tvm::ffi::EnvErrorAlreadySet&) {
    // The error is in this thread's slot (e.g. TVMFFIEnvCheckSignals set it): that one.
    return tvm::ffi::details::MoveFromSafeCallRaised();
  } catch (const std::exception& ex) {
    return tvm::ffi::Error(kind::kInternalError, ex.what(), "");
  } catch (...) {
    return tvm::ffi::Error(kind::kInternalError, "a C++ exception not derived from std::exception",
                           "");
  }
}

}  // namespace tvmffi::rpc
