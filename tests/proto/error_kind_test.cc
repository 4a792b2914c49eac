// The one table between error kinds and status codes (issue #10, item 21).
#include "tvmffi/proto/error_kind.h"

#include <gtest/gtest.h>

#include <string>

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {

TEST(ErrorKind, EveryConstructorKeepsItsKindThroughTheCodeAndTheAbiEdge) {
  struct Case {
    absl::Status status;
    const char* kind;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {ValueError("v"), kind::kValueError, absl::StatusCode::kInvalidArgument},
      {TypeError("t"), kind::kTypeError, absl::StatusCode::kInvalidArgument},
      {RuntimeError("r"), kind::kRuntimeError, absl::StatusCode::kInternal},
      {MemoryError("m"), kind::kMemoryError, absl::StatusCode::kResourceExhausted},
      {PermissionError("p"), kind::kPermissionError, absl::StatusCode::kPermissionDenied},
      {TimeoutError("t"), kind::kTimeoutError, absl::StatusCode::kDeadlineExceeded},
      {ConnectionError("c"), kind::kConnectionError, absl::StatusCode::kUnavailable},
      {RPCError(absl::StatusCode::kResourceExhausted, "x"), kind::kRPCError,
       absl::StatusCode::kResourceExhausted},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), c.code) << c.kind;
    EXPECT_EQ(ErrorKindOf(c.status), c.kind);
    EXPECT_EQ(std::string(StatusToError(c.status).kind()), c.kind);
  }
}

TEST(ErrorKind, BareCodesFromTheNetworkMapToOneKindEach) {
  EXPECT_EQ(KindOfCode(absl::StatusCode::kUnavailable), kind::kConnectionError);
  EXPECT_EQ(KindOfCode(absl::StatusCode::kCancelled), kind::kConnectionError);
  EXPECT_EQ(KindOfCode(absl::StatusCode::kDeadlineExceeded), kind::kTimeoutError);
  EXPECT_EQ(KindOfCode(absl::StatusCode::kNotFound), kind::kValueError);
  EXPECT_EQ(KindOfCode(absl::StatusCode::kUnauthenticated), kind::kPermissionError);
  EXPECT_EQ(KindOfCode(absl::StatusCode::kFailedPrecondition), kind::kRPCError);
  EXPECT_EQ(KindOfCode(absl::StatusCode::kDataLoss), kind::kRPCError);
  // A kind names one code, and that code names a kind that travels the same way.
  for (const char* k : {kind::kValueError, kind::kMemoryError, kind::kPermissionError,
                        kind::kTimeoutError, kind::kConnectionError, kind::kRemoteCrashError}) {
    EXPECT_EQ(KindOfCode(CodeOfKind(k)), k);
  }
  EXPECT_EQ(CodeOfKind("NoSuchKind"), absl::StatusCode::kUnknown);
  EXPECT_TRUE(IsTransportKind(kind::kRPCError));
  EXPECT_FALSE(IsTransportKind(kind::kValueError));
}

// A function that polled TVMFFIEnvCheckSignals throws EnvErrorAlreadySet with the error in
// its thread's slot: that error (e.g. TimeoutError) is what the caller must get, not an
// InternalError named after the exception (seen under TSan, where the callee's deadline error
// reached the client before the client's own timer).
TEST(ErrorKind, AnErrorAlreadySetInTheSlotIsTheOneReported) {
  TVMFFIErrorSetRaisedFromCStr("TimeoutError", "the caller's deadline for this call passed");
  tvm::ffi::Error err("", "", "");
  try {
    throw tvm::ffi::EnvErrorAlreadySet();
  } catch (...) {
    err = CurrentExceptionToError();
  }
  EXPECT_EQ(std::string(err.kind()), "TimeoutError");
  EXPECT_EQ(std::string(err.message()), "the caller's deadline for this call passed");
}

}  // namespace
}  // namespace tvmffi::rpc
