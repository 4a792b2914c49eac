#include "pending_calls.h"

#include <utility>

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {

absl::StatusOr<std::pair<uint64_t, std::shared_ptr<PendingCalls::Slot>>> PendingCalls::Add() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!closed_.ok()) return closed_;
  uint64_t id = next_id_++;
  auto slot = std::make_shared<Slot>();
  slots_.emplace(id, slot);
  return std::make_pair(id, slot);
}

void PendingCalls::Complete(uint64_t id, absl::StatusOr<tvm::ffi::Any> result) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    slot = std::move(it->second);
    slots_.erase(it);
  }
  std::lock_guard<std::mutex> lock(slot->mutex);
  slot->result = std::move(result);
  slot->done = true;
  slot->cv.notify_one();
}

absl::StatusOr<tvm::ffi::Any> PendingCalls::Wait(uint64_t id, Slot& slot, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(slot.mutex);
  auto ready = [&slot] { return slot.done; };
  if (timeout == absl::InfiniteDuration()) {
    slot.cv.wait(lock, ready);
  } else if (!slot.cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), ready)) {
    lock.unlock();
    std::lock_guard<std::mutex> table_lock(mutex_);
    if (slots_.erase(id) == 1) {
      return WithErrorKind(absl::DeadlineExceededError(absl::StrCat("remote call timed out after ",
                                                                    absl::FormatDuration(timeout))),
                           "TimeoutError");
    }
    // Completed just as the wait gave up: take the result.
    lock.lock();
  }
  return std::move(slot.result);
}

void PendingCalls::FailAll(const absl::Status& status) {
  std::unordered_map<uint64_t, std::shared_ptr<Slot>> slots;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_.ok()) closed_ = status;
    slots.swap(slots_);
  }
  for (auto& [id, slot] : slots) {
    std::lock_guard<std::mutex> lock(slot->mutex);
    slot->result = status;
    slot->done = true;
    slot->cv.notify_one();
  }
}

}  // namespace tvmffi::rpc::internal
