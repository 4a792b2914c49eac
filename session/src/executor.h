// Worker threads that run the peer's calls. A worker blocked in a nested call does not hold up
// others: the pool grows (up to a limit) whenever no worker is idle.
#ifndef TVMFFI_SESSION_SRC_EXECUTOR_H_
#define TVMFFI_SESSION_SRC_EXECUTOR_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tvmffi::rpc::internal {

class Executor {
 public:
  explicit Executor(int max_workers) : max_workers_(max_workers) {}
  ~Executor() { Stop(); }
  // Queues job; false when stopped or when every one of max_workers threads is busy.
  bool Submit(std::function<void()> job);
  // Stops taking jobs, finishes the queued ones and joins the workers. Must not be called from
  // a worker thread.
  void Stop();

 private:
  void WorkerLoop();
  const int max_workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  int busy_ = 0;
  bool stopping_ = false;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_EXECUTOR_H_
