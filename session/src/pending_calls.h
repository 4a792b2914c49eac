// Outgoing calls waiting for their Return, by call id.
#ifndef TVMFFI_SESSION_SRC_PENDING_CALLS_H_
#define TVMFFI_SESSION_SRC_PENDING_CALLS_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <tvm/ffi/any.h>
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tvmffi::rpc::internal {

class PendingCalls {
 public:
  struct Slot {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    absl::StatusOr<tvm::ffi::Any> result;  // decoded by the reader, in stream order
  };

  // A new call id and the slot its Return will land in; UNAVAILABLE once the session ended.
  absl::StatusOr<std::pair<uint64_t, std::shared_ptr<Slot>>> Add();
  // Delivers a call's outcome; one for an unknown id (late, after a timeout) is dropped.
  void Complete(uint64_t id, absl::StatusOr<tvm::ffi::Any> result);
  // Waits for the slot; DEADLINE_EXCEEDED after timeout (the call is then forgotten). On a
  // thread serving a peer's call (ServedCall::Current), also stops when that call is cancelled
  // (CANCELLED) or reaches its deadline (DEADLINE_EXCEEDED).
  absl::StatusOr<tvm::ffi::Any> Wait(uint64_t id, Slot& slot, absl::Duration timeout);
  // Calls waiting for their Return.
  size_t size();
  // Fails every pending and future call with status.
  void FailAll(const absl::Status& status);

 private:
  std::mutex mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<Slot>> slots_;
  uint64_t next_id_ = 1;
  absl::Status closed_;  // non-OK once FailAll ran
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_PENDING_CALLS_H_
