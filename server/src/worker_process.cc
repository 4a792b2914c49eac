#include "worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "log.h"
#include "metrics.h"
#include "tvmffi/proto/status.h"
#include "worker_protocol.h"

extern char** environ;

namespace tvmffi::rpc::internal {
namespace {

// A descriptor numbered 10 or more, close-on-exec: the child's 3 and 4 are then always dup2
// targets distinct from their sources.
int HighFd(int fd) {
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return high;
}

// The front's end of the socket. Its end-of-stream is the worker's death unless the front
// closed it: Read then reaps the worker and returns the crash as the stream's verdict.
class WorkerStream : public FrameStream {
 public:
  WorkerStream(std::unique_ptr<FrameStream> socket, std::shared_ptr<WorkerProcess> process)
      : socket_(std::move(socket)), process_(std::move(process)) {}
  ~WorkerStream() override { process_->SetClosing(); }

  absl::Status Write(const v1::Frame& frame) override { return socket_->Write(frame); }
  absl::Status WriteChunk(const ChunkHeader& header, const char* data, uint64_t size,
                          const std::shared_ptr<const void>& keepalive) override {
    return socket_->WriteChunk(header, data, size, keepalive);
  }
  absl::Status Read(v1::Frame* frame) override { return Verdict(socket_->Read(frame)); }
  absl::Status ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                         uint64_t* size) override {
    return Verdict(socket_->ReadChunk(header, dest, capacity, size));
  }
  void Close() override {
    process_->SetClosing();
    socket_->Close();
  }

 private:
  // A broken stream the front did not close means the worker died: its crash is the reason.
  absl::Status Verdict(absl::Status status) {
    if (status.ok() || absl::IsInvalidArgument(status) || process_->closing()) return status;
    return process_->Reap();
  }

  std::unique_ptr<FrameStream> socket_;
  std::shared_ptr<WorkerProcess> process_;
};

// The worker's crash report (see worker_main.cc): the signal it caught and its frames, the
// symbolized ones when it managed to take them. The handler's own frames are dropped.
struct CrashReport {
  int signal = 0;
  std::string frames;
};

CrashReport ParseReport(const std::string& text) {
  CrashReport report;
  size_t pos = 0;
  if (text.rfind("signal ", 0) == 0) {
    report.signal = std::atoi(text.c_str() + 7);
    pos = text.find('\n') + 1;
  }
  size_t symbolized = text.find("symbolized\n", pos);
  std::string frames = symbolized != std::string::npos && symbolized + 11 < text.size()
                           ? text.substr(symbolized + 11)
                           : text.substr(pos, symbolized == std::string::npos ? std::string::npos
                                                                              : symbolized - pos);
  // Everything up to the handler (and the kernel's signal trampoline right after it) is the
  // report's own machinery.
  size_t handler = frames.find("OnCrash");
  if (handler != std::string::npos) {
    size_t next = frames.find('\n', handler);
    frames = next == std::string::npos ? "" : frames.substr(next + 1);
    if (frames.find("libc.so") < frames.find('\n')) frames = frames.substr(frames.find('\n') + 1);
  }
  // Below the module's frames is the session engine's worker thread: noise to the caller.
  size_t engine = frames.find("tvmffi::rpc::Endpoint::ServeCall");
  if (engine != std::string::npos) {
    size_t line_start = frames.rfind('\n', engine);
    frames = frames.substr(0, line_start == std::string::npos ? 0 : line_start + 1);
  }
  report.frames = frames;
  return report;
}

// Starts workers from one thread that lives as long as the process: a worker's
// PR_SET_PDEATHSIG fires when the thread that spawned it exits, and pool threads come and go.
class Spawner {
 public:
  static Spawner& Get() {
    static Spawner* spawner = new Spawner;  // never destroyed: its thread runs to process exit
    return *spawner;
  }
  int Run(const std::function<int()>& spawn) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return task_ == nullptr; });  // one spawn at a time
    task_ = &spawn;
    done_ = false;
    ready_.notify_all();
    ready_.wait(lock, [this] { return done_; });
    task_ = nullptr;
    ready_.notify_all();
    return result_;
  }

 private:
  Spawner() {
    std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (true) {
        ready_.wait(lock, [this] { return task_ != nullptr && !done_; });
        result_ = (*task_)();
        done_ = true;
        ready_.notify_all();
      }
    }).detach();
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  const std::function<int()>* task_ = nullptr;
  bool done_ = false;
  int result_ = 0;
};

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* desc = sigdescr_np(sig);
  return absl::StrCat(abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig), ", ",
                      desc ? desc : "unknown");
}

}  // namespace

absl::StatusOr<std::pair<std::shared_ptr<WorkerProcess>, std::unique_ptr<FrameStream>>>
WorkerProcess::Spawn(const WorkerSpec& spec) {
  int sv[2], report[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("socketpair: ", std::strerror(errno)));
  }
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return absl::ResourceExhaustedError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  int child_socket = HighFd(sv[1]), child_report = HighFd(report[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_socket, 3);
  posix_spawn_file_actions_adddup2(&actions, child_report, 4);
  std::vector<std::string> args = {spec.program,
                                   worker::kFlag,
                                   "3",
                                   "4",
                                   spec.module_path,
                                   spec.name,
                                   std::to_string(::getpid())};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = Spawner::Get().Run([&] {
    return ::posix_spawn(&pid, spec.program.c_str(), &actions, nullptr, argv.data(), environ);
  });
  posix_spawn_file_actions_destroy(&actions);
  ::close(child_socket);
  ::close(child_report);
  if (rc != 0) {
    ::close(sv[0]);
    ::close(report[0]);
    return absl::UnavailableError(
        absl::StrCat("cannot start worker ", spec.program, ": ", std::strerror(rc)));
  }
  std::shared_ptr<WorkerProcess> process(new WorkerProcess(spec, pid, report[0]));
  auto stream = std::make_unique<WorkerStream>(MakeSocketFrameStream(sv[0]), process);
  return std::make_pair(process, std::unique_ptr<FrameStream>(std::move(stream)));
}

WorkerProcess::~WorkerProcess() {
  closing_ = true;
  (void)Reap();  // the socket is closed by now: a healthy worker exits at once
  ::close(report_fd_);
}

void WorkerProcess::Kill() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!reaped_) ::kill(pid_, SIGKILL);
}

std::string WorkerProcess::DrainReport() {
  std::string text;
  char buf[4096];
  while (true) {
    pollfd p{report_fd_, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) break;  // every writer is gone once the worker is
    ssize_t n = ::read(report_fd_, buf, sizeof(buf));
    if (n <= 0 || text.size() > (1 << 20)) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

absl::Status WorkerProcess::CrashStatus(const std::string& what, const std::string& frames) const {
  v1::Error error;
  error.set_kind(kind::kRemoteCrashError);
  error.set_message(absl::StrCat("the worker of module `", spec_.name, "` (pid ", pid_, ") ", what,
                                 "; the next call starts a fresh worker"));
  error.set_backtrace(frames);
  error.set_peer(absl::StrCat("worker ", spec_.name, " (pid ", pid_, ")"));
  return RemoteErrorStatus(error);
}

absl::Status WorkerProcess::Reap() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reaped_) return exit_status_;
  int wstatus = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (true) {
    pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);  // the stream ended but the process lingers
      deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  reaped_ = true;
  std::string text = DrainReport();
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == worker::kLoadFailedStatus &&
      text.rfind(worker::kLoadError, 0) == 0) {
    // The module did not load: its loader's own error, kind and message.
    size_t newline = text.find('\n');
    std::string kind =
        text.substr(std::strlen(worker::kLoadError),
                    newline == std::string::npos ? std::string::npos
                                                 : newline - std::strlen(worker::kLoadError));
    std::string message = newline == std::string::npos ? "" : text.substr(newline + 1);
    v1::Error error;
    error.set_kind(kind);
    error.set_message(message);
    error.set_peer(absl::StrCat("worker ", spec_.name, " (pid ", pid_, ")"));
    exit_status_ = RemoteErrorStatus(error);  // the session passes it on as it is
    return exit_status_;
  }
  CrashReport report = ParseReport(text);
  std::string how;
  if (report.signal != 0) {
    // What the worker caught; it may have been ended by another signal (the report's alarm).
    how = absl::StrCat("crashed with signal ", report.signal, " (", SignalName(report.signal), ")");
  } else if (WIFSIGNALED(wstatus)) {
    how = absl::StrCat("was killed by signal ", WTERMSIG(wstatus), " (",
                       SignalName(WTERMSIG(wstatus)), ")");
  } else {
    how = absl::StrCat("exited with status ", WEXITSTATUS(wstatus));
  }
  exit_status_ = CrashStatus(how, report.frames);
  Metrics::Global().WorkerExited(spec_.name);
  log::Event(log::Level::kWarning, "worker.exit",
             {{"module", spec_.name}, {"pid", static_cast<int64_t>(pid_)}, {"how", how}});
  return exit_status_;
}

}  // namespace tvmffi::rpc::internal
