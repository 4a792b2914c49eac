// The isolated worker (`tvmffi-server --isolate-worker ...`, started by the front): loads one
// module and serves it over the front's unix socket with the session engine. A crash signal
// writes its backtrace to the report pipe, then kills the process as the signal would have.
#include <execinfo.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/server/server.h"
#include "tvmffi/session/endpoint.h"
#include "worker_protocol.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;

int g_report_fd = -1;

void WriteAll(int fd, const char* text, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, text, size);
    if (n <= 0) return;
    text += n;
    size -= static_cast<size_t>(n);
  }
}

void WriteAll(int fd, const char* text) { WriteAll(fd, text, std::strlen(text)); }

// The report the front reads after a crash (worker_process.cc parses it):
//   "signal N\n", then frames as glibc prints them, then "symbolized\n" and the runtime's
//   file:line backtrace, if taking that (not async-signal-safe) finishes within the alarm.
void OnCrash(int sig) {
  char head[32] = "signal ";
  int len = 7, digits = sig >= 10 ? 2 : 1;
  for (int i = digits - 1, v = sig; i >= 0; --i, v /= 10) head[len + i] = char('0' + v % 10);
  head[len + digits] = '\n';
  head[len + digits + 1] = '\0';
  WriteAll(g_report_fd, head);
  void* frames[64];
  int n = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, n, g_report_fd);
#if !defined(__SANITIZE_THREAD__)
  // Not async-signal-safe (ThreadSanitizer says so, and its build reports the raw frames only).
  ::alarm(3);  // a deadlock below (malloc's lock held at the crash) still ends the process
  const TVMFFIByteArray* bt = TVMFFIBacktrace(nullptr, 0, nullptr, 1);
  WriteAll(g_report_fd, "symbolized\n");
  WriteAll(g_report_fd, bt->data, bt->size);
#endif
  std::signal(sig, SIG_DFL);
  ::raise(sig);
}

void InstallCrashHandlers() {
  void* warm[1];
  ::backtrace(warm, 1);  // loads libgcc's unwinder now rather than in the handler
  // Reads the debug info of every library loaded so far (the module included) once, now.
  TVMFFIBacktrace(nullptr, 0, nullptr, 1);
  static char alt_stack[1 << 16];  // a stack overflow still reports
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof(alt_stack);
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = OnCrash;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

// Serves the module's functions by name, the globals its loading registered ("@" + name), its
// system-library functions ("#" + prefix + "|" + name) and the two questions the front asks.
class WorkerDispatcher : public Dispatcher {
 public:
  WorkerDispatcher(ffi::Module mod, std::set<std::string> globals)
      : mod_(std::move(mod)), globals_(std::move(globals)) {
    ops_[worker::kGlobals] = ffi::Function::FromTyped([this]() {
      ffi::Array<ffi::String> names;
      for (const std::string& name : globals_) names.push_back(name);
      return names;
    });
    ops_[worker::kHasFunction] = ffi::Function::FromTyped(
        [this](const ffi::String& name) { return Lookup(std::string(name)).ok(); });
  }

  absl::StatusOr<ffi::Function> Resolve(std::string_view name, Endpoint&) override {
    auto op = ops_.find(name);
    if (op != ops_.end()) return op->second;
    return Lookup(std::string(name));
  }

 private:
  absl::StatusOr<ffi::Function> Lookup(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    std::optional<ffi::Function> f;
    size_t bar = name.find(worker::kSystemLibSeparator);
    if (!name.empty() && name[0] == worker::kGlobalPrefix) {
      if (globals_.count(name.substr(1)) != 0) f = ffi::Function::GetGlobal(name.substr(1));
    } else if (!name.empty() && name[0] == worker::kSystemLibPrefix && bar != std::string::npos) {
      ffi::Module lib =
          ffi::Function::GetGlobalRequired("ffi.SystemLib")(ffi::String(name.substr(1, bar - 1)))
              .cast<ffi::Module>();
      if (auto g = lib->GetFunction(ffi::String(name.substr(bar + 1)), true)) f = g.value();
    } else if (auto g = mod_->GetFunction(ffi::String(name), true)) {
      f = g.value();
    }
    if (!f.has_value()) {
      return WithErrorKind(absl::NotFoundError(absl::StrCat("the module has no function ", name)),
                           kind::kValueError);
    }
    if (cache_.size() < kMaxCached) cache_.emplace(name, *f);  // names are client-chosen
    return *f;
  }

  ffi::Module mod_;
  std::set<std::string> globals_;
  std::map<std::string, ffi::Function, std::less<>> ops_;
  std::mutex mutex_;
  static constexpr size_t kMaxCached = 4096;
  std::map<std::string, ffi::Function> cache_;
};

std::set<std::string> GlobalNames() {
  std::set<std::string> names;
  for (const ffi::String& name : ffi::Function::ListGlobalNames()) names.insert(std::string(name));
  return names;
}

}  // namespace

int RunIsolatedWorker(int argc, char** argv) {
  int socket_fd = -1;
  int front_pid = 0;
  if (argc != 7 || !absl::SimpleAtoi(argv[2], &socket_fd) ||
      !absl::SimpleAtoi(argv[3], &g_report_fd) || !absl::SimpleAtoi(argv[6], &front_pid)) {
    WriteAll(2, "tvmffi-server --isolate-worker is started by tvmffi-server --isolate\n");
    return 2;
  }
  // The front's death (even SIGKILL) takes its workers along, hung or not. The front spawns
  // from a thread that lives as long as it does, which is what PR_SET_PDEATHSIG watches.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != front_pid) return 1;  // the front died before the line above
  std::string path = argv[4], name = argv[5];
  std::set<std::string> before = GlobalNames();
  ffi::Module mod{ffi::UnsafeInit{}};
  try {
    mod = ffi::Module::LoadFromFile(path);
  } catch (...) {
    ffi::Error err = CurrentExceptionToError();
    WriteAll(g_report_fd,
             absl::StrCat(worker::kLoadError, err.kind(), "\n", err.message()).c_str());
    return worker::kLoadFailedStatus;
  }
  InstallCrashHandlers();  // after loading, so the module's frames can be symbolized
  std::set<std::string> added;
  for (const std::string& global : GlobalNames()) {
    if (before.count(global) == 0) added.insert(global);
  }
  EndpointOptions options;
  options.local_name = absl::StrCat("worker ", name, " (pid ", ::getpid(), ")");
  // The module's kernels on the worker's own streams (one session: the front's, for all clients).
  options.session_streams = true;
  options.import_cuda_ipc = true;  // the front's CUDA tensors, in place
  auto endpoint = Endpoint::Create(
      MakeSocketFrameStream(socket_fd),
      std::make_shared<WorkerDispatcher>(std::move(mod), std::move(added)), options);
  endpoint->Run();  // until the front closes the socket
  // A call still running (hung in module code) must not have static destructors run beneath
  // it, as they would on a normal return.
  if (NumCallsRunning() > 0) std::_Exit(0);
  return 0;
}

}  // namespace tvmffi::rpc
