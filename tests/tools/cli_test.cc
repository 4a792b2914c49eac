// The `tvmffi` command line as a user runs it: its help, its exit statuses (0 ok, 1 the
// function failed, 2 usage or transport), and its --timeout.
#include <gtest/gtest.h>

#include <string>

#include "testing/server_process.h"

namespace tvmffi::rpc {
namespace {
using testing::RunCli;
using testing::ServerProcess;

TEST(Cli, HelpNamesEveryCommandAndExitsZero) {
  testing::CommandResult r = RunCli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command :
       {"call FUNC", "bench FUNC", "ls [PREFIX]", "upload FILE", "info", "ping", "--server",
        "--timeout", "--token-file", "--tls", "--module", "--device", "--number", "--repeat",
        "--min-repeat-ms", "--cooldown-ms"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
}

TEST(Cli, UsageErrorsExitTwoWithAReason) {
  testing::CommandResult r = RunCli({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
  r = RunCli({"call", "--no-such-flag", "f"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST(Cli, ExitStatusTellsAFailedFunctionFromAFailedTransport) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--load", TVMFFI_MY_EXT_MODULE});
  testing::CommandResult ok = RunCli({"call", "--server", server.address(), "e2e.add", "2", "3"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "5\n");
  testing::CommandResult failed =
      RunCli({"call", "--server", server.address(), "my_ext.throw_error", "-1"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.err.rfind("ValueError: x must be non-negative, got -1", 0), 0u) << failed.err;
  // --timeout: the call gives up, a transport-side failure.
  std::string marker = testing::TempDir() + "/running";
  testing::CommandResult late = RunCli({"call", "--server", server.address(), "--timeout", "0.3",
                                        "e2e.until_cancelled", "\"" + marker + "\"", "30"});
  EXPECT_EQ(late.exit_code, 2);
  EXPECT_EQ(late.err.rfind("TimeoutError: ", 0), 0u) << late.err;
  // No server there at all: a transport failure with its reason, at once.
  testing::CommandResult nobody = RunCli({"ping", "--server", "127.0.0.1:1"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_EQ(nobody.err.rfind("ConnectionError: cannot connect to 127.0.0.1:1: ", 0), 0u)
      << nobody.err;
}

TEST(Cli, BenchTimesAFunctionOnTheServer) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  testing::CommandResult r = RunCli({"bench", "--server", server.address(), "--number", "2",
                                     "--repeat", "3", "e2e.sleep_ms", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* line :
       {"repeat 1: ", "repeat 2: ", "repeat 3: ", "mean ", "median ", "stddev ", "(3 repeats)"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in:\n" << r.out;
  }
  EXPECT_EQ(r.out.find("repeat 4: "), std::string::npos) << r.out;
  testing::CommandResult bad =
      RunCli({"bench", "--server", server.address(), "--device", "tpu:0", "e2e.sleep_ms", "5"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--device takes cpu:N or cuda:N"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tvmffi::rpc
