// Worker threads that run the peer's calls (and, in turn, the stream reader). A worker blocked
// in a nested call does not hold up others: the pool grows (up to a limit) whenever no worker
// is idle. Workers share the pool's state, so a job may drop the last reference to the owner of
// the Executor without pulling the pool out from under its own thread.
#ifndef TVMFFI_SESSION_SRC_EXECUTOR_H_
#define TVMFFI_SESSION_SRC_EXECUTOR_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tvmffi::rpc::internal {

class Executor {
 public:
  explicit Executor(int max_workers) : state_(std::make_shared<State>(max_workers)) {}
  ~Executor() { Stop(); }
  // Queues job; false when stopped or when every one of max_workers threads is busy.
  bool Submit(std::function<void()> job);
  // Stops taking jobs, lets the queued ones finish and joins the workers (a worker calling Stop
  // is detached instead; it ends on its own).
  void Stop();

 private:
  struct State {
    explicit State(int max) : max_workers(max) {}
    const int max_workers;
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    std::vector<std::thread> threads;
    int idle = 0;
    int busy = 0;
    bool stopping = false;
  };
  static void WorkerLoop(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_EXECUTOR_H_
