// The process's worker threads: they run the peers' calls of every session (and, in turn, a
// session's stream reader). One pool for the process, bounded by SetMaxWorkerThreads, so no
// number of clients parking calls can make the process fail to create a thread: past the bound
// jobs wait in the pool's queue, and sessions bound what they queue (Endpoint).
//
// Threading: Submit and TryRunNow take the pool mutex briefly and never block on a job. Jobs
// run unlocked. Threads are detached and the pool is never destroyed, so a job that never
// returns (a hung call) holds its thread, not the pool, a session or the process's exit.
#ifndef TVMFFI_SESSION_SRC_EXECUTOR_H_
#define TVMFFI_SESSION_SRC_EXECUTOR_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace tvmffi::rpc::internal {

class WorkerPool {
 public:
  static WorkerPool& Global();

  // Runs job on a thread that starts it at once: an idle worker, or a new one while the
  // process is under its bound. False (job untouched) when neither is possible.
  bool TryRunNow(std::function<void()>& job);
  // Runs job on the next free worker: at once when TryRunNow would, else queued, in order.
  void Submit(std::function<void()> job);

  void SetMaxThreads(int n);

 private:
  WorkerPool() = default;
  // Under mutex_: a worker is (or will be) free for one more job.
  bool ReserveLocked();
  void WorkerLoop();

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  int max_threads_ = 1024;
  int threads_ = 0;
  int idle_ = 0;      // waiting for a job
  int starting_ = 0;  // created, not yet looking for a job
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_EXECUTOR_H_
