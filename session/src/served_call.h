// A peer's call this side runs: its deadline (the caller's timeout_ms) and whether the caller
// cancelled it. The thread running it makes it current, so that TVMFFIEnvCheckSignals (which a
// long-running function may poll) and the calls it makes to a peer in turn can see it: those
// inherit the deadline, and stop waiting, and are cancelled at their callee, when it ends.
#ifndef TVMFFI_SESSION_SRC_SERVED_CALL_H_
#define TVMFFI_SESSION_SRC_SERVED_CALL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tvmffi::rpc::internal {

class ServedCall {
 public:
  explicit ServedCall(absl::Time deadline) : deadline_(deadline) {}
  // gone: asked by Check; true once the caller went away (a unary RPC's IsCancelled).
  ServedCall(absl::Time deadline, std::function<bool()> gone)
      : deadline_(deadline), gone_(std::move(gone)) {}

  // The caller sent Cancel: Check fails from now on and a registered waiter wakes.
  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Cancelled, or its caller went away (asked now).
  bool stopped() const { return cancelled() || (gone_ && gone_()); }
  // Whether the caller's going away is seen only by asking (stopped()), not by Cancel: a
  // wait on its behalf must then look every so often.
  bool polled() const { return static_cast<bool>(gone_); }
  absl::Time deadline() const { return deadline_; }
  // OK while the call should go on; else why it should stop: RPCError (cancelled by the caller)
  // or TimeoutError (past its deadline).
  absl::Status Check() const;

  // While set, Cancel notifies cv under mutex (an outgoing call's wait). Lock order: this
  // call's own mutex, then `mutex`; so never call these while holding `mutex`.
  void SetWaiter(std::mutex* mutex, std::condition_variable* cv);
  void ClearWaiter() { SetWaiter(nullptr, nullptr); }

  // The call the current thread runs, or null.
  static ServedCall* Current();
  // Makes call current on this thread for the scope's life.
  class Scope {
   public:
    explicit Scope(ServedCall* call);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ServedCall* saved_;
  };

  // Registers the TVMFFIEnvCheckSignals hook with the runtime (once per process).
  static void InstallSignalCheck();

 private:
  std::atomic<bool> cancelled_{false};
  const absl::Time deadline_;
  const std::function<bool()> gone_;
  std::mutex mutex_;
  std::mutex* waiter_mutex_ = nullptr;  // under mutex_
  std::condition_variable* waiter_cv_ = nullptr;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_SERVED_CALL_H_
