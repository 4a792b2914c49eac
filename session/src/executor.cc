#include "executor.h"

#include <chrono>
#include <system_error>
#include <thread>
#include <utility>

namespace tvmffi::rpc::internal {
namespace {
// An idle worker beyond the first few ends after this long without a job.
constexpr auto kIdleExit = std::chrono::seconds(30);
constexpr int kKeepIdle = 4;
}  // namespace

WorkerPool& WorkerPool::Global() {
  static WorkerPool* pool = new WorkerPool();  // never destroyed: detached workers use it
  return *pool;
}

bool WorkerPool::ReserveLocked() {
  // Workers waiting (or about to look) for a job, beyond the jobs already queued for them.
  if (static_cast<size_t>(idle_ + starting_) > jobs_.size()) return true;
  if (threads_ >= max_threads_) return false;
  try {
    std::thread(&WorkerPool::WorkerLoop, this).detach();
  } catch (const std::system_error&) {
    return false;  // the system's own limit (RLIMIT_NPROC, memory): queue instead of abort
  }
  ++threads_;
  ++starting_;
  return true;
}

bool WorkerPool::TryRunNow(std::function<void()>& job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!ReserveLocked()) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    (void)ReserveLocked();  // no worker to spare: the job waits for the next free one
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void WorkerPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  --starting_;
  while (true) {
    while (jobs_.empty()) {
      ++idle_;
      bool woke = cv_.wait_for(lock, kIdleExit, [this] { return !jobs_.empty(); });
      --idle_;
      if (!woke && idle_ >= kKeepIdle) {  // enough others wait: this one ends
        --threads_;
        return;
      }
    }
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // its captures (a session) are released before this worker waits again
    lock.lock();
  }
}

void WorkerPool::SetMaxThreads(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  max_threads_ = n > 0 ? n : 1;
}

}  // namespace tvmffi::rpc::internal
