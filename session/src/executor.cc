#include "executor.h"

#include <utility>

namespace tvmffi::rpc::internal {

bool Executor::Submit(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  int pending = static_cast<int>(jobs_.size());
  if (idle_ <= pending) {
    if (static_cast<int>(threads_.size()) >= max_workers_ && busy_ + pending >= max_workers_) {
      return false;
    }
    if (static_cast<int>(threads_.size()) < max_workers_) {
      threads_.emplace_back([this] { WorkerLoop(); });
    }
  }
  jobs_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void Executor::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    ++idle_;
    cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping with nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    ++busy_;
    lock.unlock();
    job();
    job = nullptr;
    lock.lock();
    --busy_;
  }
}

void Executor::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
    threads.swap(threads_);
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
