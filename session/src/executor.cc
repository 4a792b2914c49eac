#include "executor.h"

#include <utility>

namespace tvmffi::rpc::internal {

bool Executor::Submit(std::function<void()> job) {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.stopping) return false;
    int pending = static_cast<int>(s.jobs.size());
    if (s.idle <= pending) {
      int threads = static_cast<int>(s.threads.size());
      if (threads >= s.max_workers) {
        if (s.busy + pending >= s.max_workers) return false;
      } else {
        s.threads.emplace_back(WorkerLoop, state_);
      }
    }
    s.jobs.push_back(std::move(job));
  }
  s.cv.notify_one();  // unlocked: the woken worker does not block on the mutex at once
  return true;
}

void Executor::WorkerLoop(std::shared_ptr<State> state) {
  State& s = *state;
  std::unique_lock<std::mutex> lock(s.mutex);
  while (true) {
    ++s.idle;
    s.cv.wait(lock, [&s] { return s.stopping || !s.jobs.empty(); });
    --s.idle;
    if (s.jobs.empty()) return;  // stopping with nothing left
    std::function<void()> job = std::move(s.jobs.front());
    s.jobs.pop_front();
    ++s.busy;
    lock.unlock();
    job();
    job = nullptr;  // may destroy the Executor's owner; `state` keeps this loop's data alive
    lock.lock();
    --s.busy;
  }
}

void Executor::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
    state_->cv.notify_all();
    threads.swap(state_->threads);
  }
  for (auto& t : threads) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // a job shutting its own session down: the thread ends by itself
    } else {
      t.join();
    }
  }
}

}  // namespace tvmffi::rpc::internal
