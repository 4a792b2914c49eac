#include "served_call.h"

#include <tvm/ffi/c_api.h>
#include <tvm/ffi/extra/c_env_api.h>

#include <string>

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {
namespace {
thread_local ServedCall* t_current = nullptr;

// TVMFFIEnvCheckSignals's second check: -1 with the error set once the current call must stop.
int CheckCurrentCall() {
  ServedCall* call = t_current;
  if (call == nullptr) return 0;
  absl::Status status = call->Check();
  if (status.ok()) return 0;
  std::string kind = ErrorKindOf(status);
  std::string message(status.message());
  TVMFFIErrorSetRaisedFromCStr(kind.c_str(), message.c_str());
  return -1;
}
}  // namespace

void ServedCall::Cancel() {
  cancelled_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(mutex_);
  if (waiter_cv_ != nullptr) {
    std::lock_guard<std::mutex> waiter(*waiter_mutex_);  // the waiter is asleep or not yet there
    waiter_cv_->notify_all();
  }
}

absl::Status ServedCall::Check() const {
  if (stopped()) {
    return RPCError(absl::StatusCode::kCancelled, "the caller cancelled this call");
  }
  if (deadline_ != absl::InfiniteFuture() && absl::Now() >= deadline_) {
    return TimeoutError("the caller's deadline for this call passed");
  }
  return absl::OkStatus();
}

void ServedCall::SetWaiter(std::mutex* mutex, std::condition_variable* cv) {
  std::lock_guard<std::mutex> lock(mutex_);
  waiter_mutex_ = mutex;
  waiter_cv_ = cv;
}

ServedCall* ServedCall::Current() { return t_current; }

ServedCall::Scope::Scope(ServedCall* call) : saved_(t_current) { t_current = call; }
ServedCall::Scope::~Scope() { t_current = saved_; }

void ServedCall::InstallSignalCheck() {
  static const int installed =
      TVMFFIEnvRegisterCAPI("TVMFFIRPCCheckCall", reinterpret_cast<void*>(&CheckCurrentCall));
  (void)installed;
}

}  // namespace tvmffi::rpc::internal
