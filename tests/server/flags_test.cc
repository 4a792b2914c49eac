// tvmffi-server's flags that decide what clients see and how long it waits for them, each
// against a real server process and the real client.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "testing/error_of.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

TEST(ServerFlags, ExposeAndHideDecideWhatIsPublished) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--load", TVMFFI_MY_EXT_MODULE, "--expose",
                        "e2e.", "--hide", "e2e.throw"});
  Session session = Connect(server.address());
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(2, 3).cast<int>(), 5);
  // Loaded but not exposed, and exposed but hidden: neither is there for a client.
  EXPECT_EQ(ErrorOf([&] { session.GetGlobal("my_ext.add_one"); }).rfind("PermissionError: ", 0),
            0u);
  EXPECT_EQ(ErrorOf([&] { session.GetGlobal("e2e.throw_int"); }).rfind("PermissionError: ", 0), 0u);
  std::vector<std::string> names = session.ListGlobalNames("");
  EXPECT_NE(std::find(names.begin(), names.end(), "e2e.add"), names.end());
  for (const std::string& name : names) {
    EXPECT_EQ(name.rfind("e2e.", 0), 0u) << name;
    EXPECT_NE(name.rfind("e2e.throw", 0), 0u) << name;
  }
  // The stateless Call (the CLI's path) applies the same policy.
  testing::CommandResult r =
      testing::RunCli({"call", "--server", server.address(), "my_ext.add_one", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("PermissionError"), std::string::npos) << r.err;
}

// --call-timeout bounds how long the server waits for a client's callback.
TEST(ServerFlags, CallTimeoutBoundsTheWaitForAClientsCallback) {
  // 2 s, not less: the quick callback must come back in time under a sanitizer's slowdown too.
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--call-timeout", "2"});
  Session session = Connect(server.address());
  ffi::Function slow = ffi::Function::FromTyped([](int x) {
    std::this_thread::sleep_for(std::chrono::seconds(6));
    return x;
  });
  ffi::Function fast = ffi::Function::FromTyped([](int x) { return x + 1; });
  ffi::Function apply = session.GetGlobalRequired("e2e.apply");
  EXPECT_EQ(apply(fast, 1).cast<int>(), 2);
  std::string error = ErrorOf([&] { apply(slow, 1); });
  EXPECT_EQ(error.rfind("TimeoutError: ", 0), 0u) << error;
}

// Runs tvmffi-server with args; its exit status and what it printed (stdout and stderr).
std::pair<int, std::string> RunServer(const std::vector<std::string>& args,
                                      const std::string& env = "") {
  std::string dir = ::testing::TempDir();
  std::string cmd = env + " " + TVMFFI_SERVER_BINARY;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " > " + dir + "/server_out.txt 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(dir + "/server_out.txt");
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

// Issue #13's first bug: the Kubernetes manifest passed `--listen=0.0.0.0:50051`, which the
// server refused ("unknown option", exit 2, CrashLoopBackOff). Flags now go through CLI11:
// both spellings, --version, and --check-config on the manifest's exact arguments.
TEST(ServerFlags, BothSpellingsVersionAndTheManifestsArgumentsAreAccepted) {
  ServerProcess server(
      {"--load=" + std::string(TVMFFI_E2E_MODULE), "--name=flags-test", "--max-threads=8"});
  Session session = Connect(server.address());
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(2, 3).cast<int>(), 5);
  try {  // --name=flags-test names the server in the error's backtrace
    session.GetGlobalRequired("e2e.throw_int")();
    ADD_FAILURE() << "no error";
  } catch (const ffi::Error& e) {
    EXPECT_NE(e.backtrace().find("flags-test"), std::string::npos) << e.backtrace();
  }

  auto [rc, out] = RunServer({"--version"});
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.rfind("tvmffi-server ", 0), 0u) << out;
  EXPECT_NE(out.find("TVM-FFI ABI 0.1."), std::string::npos) << out;

  // Every `- --flag...` line under `args:` in the manifest, as the container gets them.
  std::ifstream manifest(std::string(TVMFFI_SOURCE_DIR) + "/deploy/kubernetes/tvmffi-server.yaml");
  std::vector<std::string> args = {"--check-config"};
  std::string line;
  bool in_args = false;
  while (std::getline(manifest, line)) {
    size_t at = line.find_first_not_of(' ');
    if (at == std::string::npos) continue;
    if (line.compare(at, 5, "args:") == 0) {
      in_args = true;
      continue;
    }
    if (in_args && line.compare(at, 4, "- --") == 0) {
      std::string arg = line.substr(at + 2);
      arg = arg.substr(0, arg.find(' '));  // drop the trailing comment
      args.push_back(arg);
    } else if (in_args) {
      in_args = false;
    }
  }
  ASSERT_GT(args.size(), 2u) << "no args found in the manifest";
  std::tie(rc, out) = RunServer(args);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "ok\n");

  // Mistakes are exit 2 and named, wherever they are.
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--check-config", "--bogus=1"},
           {"--check-config", "--max-threads=0"},
           {"--check-config", "--expose", "a", "b"},
           {"--check-config", "--isolate=maybe"},
           {"--check-config", "--worker-timeout=5"},
           {"--check-config", "--data-port=70000"},
           {"--check-config", "--data-port=1", "--no-data-channel"},
           {"--check-config", "--data-port=1", "--listen=unix:/x"},
           {"--check-config", "--require-module=a/b"},
           {"--check-config", "--max-upload-mb=5"},  // without --allow-upload
           {"--check-config", "--allow-upload", "--max-upload-mb=0"}}) {
    std::tie(rc, out) = RunServer(bad);
    EXPECT_EQ(rc, 2) << bad[1] << ": " << out;
    EXPECT_NE(out.find("(see tvmffi-server --help)"), std::string::npos) << out;
  }
  // A flag given twice: the last counts.
  std::tie(rc, out) = RunServer({"--check-config", "--max-threads=0", "--max-threads=4"});
  EXPECT_EQ(rc, 0) << out;
}

// The secret files can come from the environment (a container's usual way): TVMFFI_TOKEN_FILE
// is --token-file's default.
TEST(ServerFlags, TheTokenFileCanComeFromTheEnvironment) {
  std::string token_file = ::testing::TempDir() + "/env_token";
  std::ofstream(token_file) << "s3cret\n";
  ::setenv("TVMFFI_TOKEN_FILE", token_file.c_str(), 1);
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  ::unsetenv("TVMFFI_TOKEN_FILE");
  EXPECT_EQ(ErrorOf([&] { Connect(server.address()); }).rfind("PermissionError: ", 0), 0u);
  ConnectOptions options;
  options.token = "s3cret";
  EXPECT_EQ(Connect(server.address(), options).GetGlobalRequired("e2e.add")(1, 1).cast<int>(), 2);
}

}  // namespace
}  // namespace tvmffi::rpc
