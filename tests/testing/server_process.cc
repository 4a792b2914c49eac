#include "testing/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>

extern char** environ;

namespace tvmffi::rpc::testing {
namespace {

// The temporary directories this test process made; removed when it exits.
struct TempDirs {
  std::mutex mutex;
  std::vector<std::string> dirs;
  ~TempDirs() {
    std::error_code ignored;
    for (const std::string& dir : dirs) std::filesystem::remove_all(dir, ignored);
  }
};
TempDirs& AllTempDirs() {
  static TempDirs dirs;
  return dirs;
}

// tmpdir: the child's TMPDIR ("" = inherited), so what it leaves there goes with our dirs.
int Spawn(const std::string& binary, const std::vector<std::string>& args, const std::string& out,
          const std::string& err, const std::string& tmpdir = "") {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (tmpdir.empty() || std::string_view(*e).rfind("TMPDIR=", 0) != 0) {
      env_strings.push_back(*e);
    }
  }
  if (!tmpdir.empty()) env_strings.push_back("TMPDIR=" + tmpdir);
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// waitpid with a deadline; kills the child when it runs out. Returns the exit status.
int WaitFor(int pid, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (true) {
    int r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;  // already reaped
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "process " << pid << " did not finish in " << timeout_s << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "tvmffi_e2e_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* dir = mkdtemp(buf.data());
  if (dir == nullptr) return std::string();
  TempDirs& all = AllTempDirs();
  std::lock_guard<std::mutex> lock(all.mutex);
  all.dirs.push_back(dir);
  return dir;
}

std::string Artifact(const std::string& built_path) {
  const char* dir = std::getenv("TVMFFI_TEST_ARTIFACTS");
  if (dir == nullptr || *dir == '\0') return built_path;
  return std::string(dir) + "/" + built_path.substr(built_path.rfind('/') + 1);
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string listen) {
  dir_ = TempDir();
  // A test's own --drain-timeout (later on the line) wins over this shorter default, which
  // bounds how long stopping a server with a deliberately hung call takes.
  std::vector<std::string> args = {"--listen",    listen,    "--port-file",     dir_ + "/port",
                                   "--log-level", "warning", "--drain-timeout", "3"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ =
      Spawn(Artifact(TVMFFI_SERVER_BINARY), args, dir_ + "/server.out", dir_ + "/server.err", dir_);
  EXPECT_GT(pid_, 0);
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(dir_ + "/port");
    int port = -1;
    if (in >> port) {
      address_ = listen.rfind("unix:", 0) == 0
                     ? listen
                     : listen.substr(0, listen.rfind(':') + 1) + std::to_string(port);
      return;
    }
    if (!Alive()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "tvmffi-server did not start: " << Slurp(dir_ + "/server.err");
}

// A server a test did not stop itself is stopped the way an operator would: SIGTERM, after
// which it must exit 0 (a server that died on its own fails the test too). Its exit runs the
// sanitizers' end-of-process checks (LeakSanitizer), which Stop then reads.
ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  bool alive = Alive();
  int status = Stop(SIGTERM, 60);
  EXPECT_TRUE(alive) << "tvmffi-server died during the test (status " << status << "):\n"
                     << Stderr();
  EXPECT_EQ(status, 0) << "tvmffi-server did not exit cleanly on SIGTERM:\n" << Stderr();
}

// Does not reap: a dead child stays a zombie until Stop collects its status.
bool ServerProcess::Alive() const {
  if (pid_ <= 0) return false;
  siginfo_t info{};
  return waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

int ServerProcess::Stop(int sig, int timeout_s) {
  kill(pid_, sig);
  int status = WaitFor(pid_, timeout_s);
  pid_ = -1;
  // Whatever a sanitizer found in the server (or its workers, which share its stderr) fails
  // the test that ran it.
  std::string err = Stderr();
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                             "WARNING: ThreadSanitizer", "runtime error: "}) {
    EXPECT_EQ(err.find(report), std::string::npos) << "tvmffi-server's stderr:\n" << err;
  }
  return status;
}

std::string ServerProcess::Stderr() const { return Slurp(dir_ + "/server.err"); }

CommandResult RunCli(const std::vector<std::string>& args, int timeout_s) {
  std::string dir = TempDir();
  int pid = Spawn(Artifact(TVMFFI_CLI_BINARY), args, dir + "/out", dir + "/err");
  CommandResult r;
  r.exit_code = pid > 0 ? WaitFor(pid, timeout_s) : -1;
  r.out = Slurp(dir + "/out");
  r.err = Slurp(dir + "/err");
  return r;
}

CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         int timeout_s) {
  std::string dir = TempDir();
  int pid = Spawn(program, args, dir + "/out", dir + "/err");
  CommandResult r;
  r.exit_code = pid > 0 ? WaitFor(pid, timeout_s) : -1;
  r.out = Slurp(dir + "/out");
  r.err = Slurp(dir + "/err");
  return r;
}

int StartCli(const std::vector<std::string>& args) {
  std::string dir = TempDir();
  return Spawn(Artifact(TVMFFI_CLI_BINARY), args, dir + "/out", dir + "/err");
}

std::unique_ptr<ServerProcess> ServerWithCudaDriver(const std::string& driver,
                                                    std::vector<std::string> more_args) {
  ::setenv("TVMFFI_CUDA_DRIVER", driver.c_str(), 1);
  std::vector<std::string> args = {"--load", Artifact(TVMFFI_E2E_MODULE)};
  args.insert(args.end(), more_args.begin(), more_args.end());
  auto server = std::make_unique<ServerProcess>(args);
  ::unsetenv("TVMFFI_CUDA_DRIVER");
  return server;
}

int DialLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WaitForFile(const std::string& path, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::access(path.c_str(), F_OK) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace tvmffi::rpc::testing
