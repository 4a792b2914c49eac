// One isolated worker process as the front sees it: spawned with a unix socketpair (the
// session stream) and a report pipe (its crash backtrace). When the worker dies, the stream's
// last Read says how, as a RemoteCrashError, so every call in flight fails with the reason.
#ifndef TVMFFI_SERVER_SRC_WORKER_PROCESS_H_
#define TVMFFI_SERVER_SRC_WORKER_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc::internal {

struct WorkerSpec {
  std::string program;      // the tvmffi-server binary (runs with --isolate-worker)
  std::string module_path;  // the module file the worker loads
  std::string name;         // the module's published name, shown in errors
};

class WorkerProcess {
 public:
  // Starts a worker; the returned stream talks to it and owns a reference to the process.
  static absl::StatusOr<std::pair<std::shared_ptr<WorkerProcess>, std::unique_ptr<FrameStream>>>
  Spawn(const WorkerSpec& spec);
  ~WorkerProcess();

  pid_t pid() const { return pid_; }
  // SIGKILL (a hung worker). No-op once the worker has been reaped.
  void Kill();
  // Waits for the worker to exit (killing it if it lingers) and describes how it ended, with
  // the backtrace it reported: a RemoteErrorStatus of kind RemoteCrashError.
  absl::Status Reap();
  // RemoteCrashError "the worker of module `name` (pid N) <what>; ...", with the worker's
  // frames as its backtrace and the worker as its peer.
  absl::Status CrashStatus(const std::string& what, const std::string& frames) const;
  // Marks an orderly end: the stream's end is then not a crash.
  void SetClosing() { closing_ = true; }
  bool closing() const { return closing_; }

 private:
  WorkerProcess(WorkerSpec spec, pid_t pid, int report_fd)
      : spec_(std::move(spec)), pid_(pid), report_fd_(report_fd) {}
  std::string DrainReport();

  const WorkerSpec spec_;
  const pid_t pid_;
  const int report_fd_;
  std::mutex mutex_;
  bool reaped_ = false;
  absl::Status exit_status_;
  std::atomic<bool> closing_{false};
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_WORKER_PROCESS_H_
