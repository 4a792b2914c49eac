#include "pending_calls.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "served_call.h"
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
  {
    std::lock_guard<std::mutex> lock(slot->mutex);
    slot->result = std::move(result);
    slot->done = true;
  }
  slot->cv.notify_one();  // unlocked: the woken waiter does not block on the mutex at once
}

absl::StatusOr<tvm::ffi::Any> PendingCalls::Wait(uint64_t id, Slot& slot, absl::Duration timeout) {
  // No spin before sleeping: the reply needs this process's reader thread and, in-process,
  // the server's threads too, and a spinning caller took a core from them. On the project's
  // 2-core VM a 50 us spin made a gRPC session call 1.2-1.4x slower (release build: 152-181 us
  // against 128-131 us over TCP); over a raw socket it was not clearly faster (48-56 us with
  // it, 55 us without). docs/performance.md has the table.
  // A call made while serving the peer's call stops waiting when that one is cancelled or
  // reaches its deadline.
  ServedCall* served = ServedCall::Current();
  absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  bool served_ends_first = served != nullptr && served->deadline() < deadline;
  if (served_ends_first) deadline = served->deadline();
  if (served != nullptr) served->SetWaiter(&slot.mutex, &slot.cv);
  std::unique_lock<std::mutex> lock(slot.mutex);
  auto ready = [&slot, served] { return slot.done || (served != nullptr && served->cancelled()); };
  if (served != nullptr && served->polled()) {
    // A stateless call's caller going away is seen only by asking: every 20 ms.
    auto stopped = [&slot, served] { return slot.done || served->stopped(); };
    while (!stopped()) {
      absl::Duration step = absl::Milliseconds(20);
      if (deadline != absl::InfiniteFuture()) {
        absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        step = std::min(step, left);
      }
      slot.cv.wait_for(lock, absl::ToChronoNanoseconds(step), stopped);
    }
  } else if (deadline == absl::InfiniteFuture()) {
    slot.cv.wait(lock, ready);
  } else {
    slot.cv.wait_for(lock, absl::ToChronoNanoseconds(deadline - absl::Now()), ready);
  }
  bool done = slot.done;
  lock.unlock();
  if (served != nullptr) served->ClearWaiter();  // not under slot.mutex: see the lock order
  if (!done) {
    std::lock_guard<std::mutex> table_lock(mutex_);
    if (slots_.erase(id) == 1) {
      if (served != nullptr && (served->stopped() || served_ends_first)) {
        absl::Status why = served->Check();
        if (!why.ok()) return why;
      }
      return TimeoutError(
          absl::StrCat("remote call timed out after ", absl::FormatDuration(timeout)));
    }
    // Completed just as the wait gave up: take the result.
  }
  lock.lock();
  return std::move(slot.result);
}

size_t PendingCalls::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
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
