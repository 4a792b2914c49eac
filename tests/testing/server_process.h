// Test fixture helpers: run the real tvmffi-server binary on a free loopback port (or a unix
// socket) and stop it; run the tvmffi command and capture its output.
#ifndef TVMFFI_TESTS_E2E_SERVER_PROCESS_H_
#define TVMFFI_TESTS_E2E_SERVER_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

namespace tvmffi::rpc::testing {

class ServerProcess {
 public:
  // Starts `tvmffi-server --listen <listen> <extra_args>`; with listen "127.0.0.1:0" the bound
  // port is read back from --port-file. Fails the test if it does not come up.
  explicit ServerProcess(std::vector<std::string> extra_args, std::string listen = "127.0.0.1:0");
  ~ServerProcess();
  const std::string& address() const { return address_; }
  int pid() const { return pid_; }
  // Sends signal `sig` and waits up to timeout_s (then kills it and fails the test); returns the
  // exit status (or 128 + signal).
  int Stop(int sig, int timeout_s = 30);
  bool Alive() const;
  // What the server wrote to stderr so far.
  std::string Stderr() const;

 private:
  std::string dir_;
  std::string address_;
  int pid_ = -1;
};

// A server with the e2e module (and more_args) whose CUDA driver library is `driver`
// (TVMFFI_CUDA_DRIVER): the stand-in driver of tests/device, or a path that does not exist for
// a server without CUDA.
std::unique_ptr<ServerProcess> ServerWithCudaDriver(const std::string& driver,
                                                    std::vector<std::string> more_args = {});

// A TCP connection to 127.0.0.1:port (a raw socket, for tests that play a stranger or speak
// HTTP); -1 when refused.
int DialLoopback(int port);

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs the tvmffi command with args (bounded by timeout_s) and captures stdout and stderr.
CommandResult RunCli(const std::vector<std::string>& args, int timeout_s = 30);

// Runs program with args (bounded by timeout_s) and captures stdout and stderr.
CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         int timeout_s = 30);

// Starts the tvmffi command in the background; returns its pid.
int StartCli(const std::vector<std::string>& args);

std::string TempDir();

// Where a test finds a file the build made (the server, the command, a module): `built_path`
// as the build wrote it, or, with TVMFFI_TEST_ARTIFACTS set, the file of that name in that
// folder. The packed GPU checks (scripts/gpu-pack) run this way on a host that has the GPU but
// not the build tree.
std::string Artifact(const std::string& built_path);

// Waits (up to timeout_s) for a file to exist: test functions create one once they run, so a
// test waits for an observable state instead of sleeping.
bool WaitForFile(const std::string& path, int timeout_s = 30);

}  // namespace tvmffi::rpc::testing

#endif  // TVMFFI_TESTS_E2E_SERVER_PROCESS_H_
