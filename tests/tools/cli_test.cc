// The `tvmffi` command line as a user runs it: its help, its exit statuses (0 ok, 1 the
// function failed, 2 usage or transport), and its --timeout.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
using testing::RunCli;
using testing::ServerProcess;

TEST(Cli, HelpNamesEveryCommandAndExitsZero) {
  testing::CommandResult r = RunCli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"call FUNC",
                              "bench FUNC",
                              "ls [PREFIX]",
                              "upload FILE",
                              "unload NAME",
                              "stats",
                              "info",
                              "ping",
                              "health",
                              "--session",
                              "--server",
                              "--tls-cert",
                              "--tls-key",
                              "--replace",
                              "--available",
                              "--timeout",
                              "--token-file",
                              "--tls",
                              "--module",
                              "--device",
                              "--number",
                              "--repeat",
                              "--min-repeat-ms",
                              "--cooldown-ms"}) {
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
  // The remote backtrace: the function's frames, neither this command's nor the server's
  // machinery (stateless or in a session).
  testing::CommandResult in_session =
      RunCli({"call", "--session", "--server", server.address(), "my_ext.throw_error", "-1"});
  for (const testing::CommandResult& r : {failed, in_session}) {
    EXPECT_NE(r.err.find("my_ext.cc"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("File \"<remote>\""), std::string::npos) << r.err;
    for (const char* ours : {"main.cc", "proxy.cc", "service.cc", "endpoint.cc", "grpc::"}) {
      EXPECT_EQ(r.err.find(ours), std::string::npos) << ours << " in:\n" << r.err;
    }
  }
  // --timeout: the call gives up, a transport-side failure. The bound covers connecting too,
  // so it leaves room for a sanitizer build's slow start (0.3 s did not, under TSan); the
  // marker proves the function was running when the call gave up.
  std::string marker = testing::TempDir() + "/running";
  testing::CommandResult late = RunCli({"call", "--server", server.address(), "--timeout", "3",
                                        "e2e.until_cancelled", "\"" + marker + "\"", "60"});
  EXPECT_EQ(late.exit_code, 2);
  EXPECT_EQ(late.err.rfind("TimeoutError: ", 0), 0u) << late.err;
  EXPECT_TRUE(std::ifstream(marker).good()) << "the function never started";
  // No server there at all: a transport failure with its reason, at once.
  testing::CommandResult nobody = RunCli({"ping", "--server", "127.0.0.1:1"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_EQ(nobody.err.rfind("ConnectionError: cannot connect to 127.0.0.1:1: ", 0), 0u)
      << nobody.err;
}

// `tvmffi call` is a stateless call (#13): one RPC, so it works where no session can be had
// (this server's one session is taken); a refused token is still a transport failure (exit
// 2, as for a session); a result that lives on the server asks for --session, which gets it.
TEST(Cli, CallIsStatelessUnlessItNeedsASession) {
  const std::string token = testing::TempDir() + "/token", wrong = testing::TempDir() + "/wrong";
  std::ofstream(token) << "s3cret\n";
  std::ofstream(wrong) << "guess\n";
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--max-sessions", "1", "--token-file", token});
  ConnectOptions options;
  options.token = "s3cret";
  std::optional<Session> held = Connect(server.address(), options);
  const std::vector<std::string> at = {"--server", server.address(), "--token-file", token};
  auto cli = [&](std::vector<std::string> args, const std::vector<std::string>& flags) {
    args.insert(args.begin() + 1, flags.begin(), flags.end());
    return RunCli(args);
  };
  testing::CommandResult r = cli({"call", "e2e.add", "2", "3"}, at);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "5\n");
  r = cli({"call", "--session", "e2e.add", "2", "3"}, at);  // the one session is taken
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--max-sessions"), std::string::npos) << r.err;
  r = cli({"call", "e2e.add", "2", "3"}, {"--server", server.address(), "--token-file", wrong});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("PermissionError: ", 0), 0u) << r.err;
  held.reset();
  r = cli({"call", "e2e.make_adder", "1"}, at);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("call with --session"), std::string::npos) << r.err;
  r = cli({"call", "--session", "e2e.make_adder", "1"}, at);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// Flags through CLI11 (#13): `--flag=value` too, anywhere on the line; an unknown flag is
// refused wherever it is (after the function it was taken for a JSON argument); a JSON array
// argument stays one argument; TVMFFI_SERVER is --server's default; --version.
TEST(Cli, FlagsAnyWhereInEitherSpellingAndFromTheEnvironment) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  testing::CommandResult r =
      RunCli({"call", "e2e.echo", "[1,-2,[3]]", "--server=" + server.address(), "--timeout=5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[1, -2, [3]]\n");
  r = RunCli({"call", "--server", server.address(), "e2e.add", "2", "--bogus", "3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  ::setenv("TVMFFI_SERVER", server.address().c_str(), 1);
  r = RunCli({"call", "e2e.add", "-2", "3"});
  ::unsetenv("TVMFFI_SERVER");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  r = RunCli({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("tvmffi ", 0), 0u) << r.out;
}

// An argument can come from a file (@FILE: one JSON value) or from stdin (-), as the issue
// asks for arguments too long or awkward for the command line.
TEST(Cli, ArgumentsFromAFileOrStdin) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/args.json") << "[1, 2.5, \"x\", {\"k\": [true, null]}]\n";
  testing::CommandResult r =
      RunCli({"call", "--server", server.address(), "e2e.echo", "@" + dir + "/args.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[1, 2.5, \"x\", {\"k\": [true, null]}]\n");
  std::ofstream(dir + "/in.json") << "{\"k\": 3}";
  std::ofstream(dir + "/seven.json") << "3";
  r = testing::RunProgram(
      "/bin/sh", {"-c", std::string(testing::Artifact(TVMFFI_CLI_BINARY)) + " call --server " +
                            server.address() + " e2e.add - 4 < " + dir + "/seven.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "7\n");
  r = RunCli({"call", "--server", server.address(), "e2e.add", "-", "-"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("only one argument can come from stdin"), std::string::npos) << r.err;
  r = RunCli({"call", "--server", server.address(), "e2e.echo", "@" + dir + "/missing.json"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunCli({"call", "--server", server.address(), "e2e.echo", "@" + dir + "/in.json"});
  EXPECT_EQ(r.out, "{\"k\": 3}\n");
}

// JSON arguments and results go through the runtime's JSON: strict numbers, surrogate pairs
// decoded to UTF-8 and written back as such (they were CESU-8), the shortest float spelling
// (0.1 was 0.10000000000000001), infinities as Infinity (they were the string "inf").
TEST(Cli, JsonIsReadAndWrittenStrictly) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  testing::CommandResult r = RunCli({"call", "--server", server.address(), "e2e.echo",
                                     R"([0.1, 1e400, "\ud83d\ude00", "a\u0001"])"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[0.1, Infinity, \"\xF0\x9F\x98\x80\", \"a\\u0001\"]\n");
  for (const char* bad : {"+1", "01", ".5", R"("\uzzzz")", "[1,]"}) {
    r = RunCli({"call", "--server", server.address(), "e2e.echo", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("bad JSON argument"), std::string::npos) << r.err;
  }
}

// `--timeout 0` is no limit, as the help says (it made every call, and connecting, time out at
// once); a negative or non-numeric timeout is a usage error.
TEST(Cli, TimeoutZeroMeansNoLimit) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  testing::CommandResult r =
      RunCli({"call", "--server", server.address(), "--timeout", "0", "e2e.sleep_ms", "200"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200\n");
  for (const char* bad : {"-1", "soon"}) {
    r = RunCli({"call", "--server", server.address(), "--timeout", bad, "e2e.add", "1", "2"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--timeout takes a number of seconds (0: no limit)"), std::string::npos)
        << r.err;
  }
}

// `tvmffi info` prints the limits its help promises (it printed none), each as the server
// was started with.
TEST(Cli, InfoPrintsTheServersLimits) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--max-sessions", "7", "--max-threads", "9",
                        "--session-idle-timeout", "0", "--max-device-memory", "3"});
  testing::CommandResult r = RunCli({"info", "--server", server.address()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"limits (0: none):\n", "  max_sessions: 7\n", "  max_threads: 9\n",
                           "  session_idle_timeout_ms: 0\n", "  max_device_memory: 3145728\n",
                           "  max_message_bytes: 67108864\n", "  max_calls_in_flight: 4096\n",
                           "  max_sessions_per_peer: 32\n", "  shared_memory: 1\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in:\n" << r.out;
  }
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

// A .npy file as NumPy writes it (format 1.0, header padded to 64 bytes): float32 [2, 3].
std::string NpyBytes(const std::string& descr, const std::string& shape, const std::string& data) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  size_t total = 6 + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Tensors in and out of the command line (issue #11): @FILE.npy arguments, --out for a tensor
// result, --device to put the arguments on the server's device first, and --out-arg for a
// function that writes into an argument.
TEST(Cli, TensorsComeFromAndGoToNpyFiles) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  std::string dir = ::testing::TempDir();
  std::string floats;
  for (int i = 0; i < 6; ++i) {
    float f = static_cast<float>(i) + 0.5f;
    floats.append(reinterpret_cast<const char*>(&f), sizeof(f));
  }
  std::string x = NpyBytes("<f4", "2, 3", floats);
  ASSERT_EQ(x.size(), 128u + 24u);  // NumPy's own layout: a 128-byte header for this one
  std::ofstream(dir + "/x.npy", std::ios::binary) << x;
  testing::CommandResult echo = RunCli({"call", "--server", server.address(), "e2e.echo",
                                        "@" + dir + "/x.npy", "--out", dir + "/y.npy"});
  ASSERT_EQ(echo.exit_code, 0) << echo.err;
  EXPECT_EQ(ReadAll(dir + "/y.npy"), x);  // byte for byte what NumPy writes
  // A small tensor result is printed with its values.
  EXPECT_EQ(echo.out,
            "{\"tensor\": {\"dtype\": \"float32\", \"shape\": [2, 3], \"device\": \"cpu:0\", "
            "\"values\": [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]}}\n");
  // On the server's device: the function writes the tensor that lives there.
  testing::CommandResult fill =
      RunCli({"call", "--server", server.address(), "--device", "cpu:0", "e2e.fill",
              "@" + dir + "/x.npy", "7", "--out-arg", "0:" + dir + "/z.npy"});
  ASSERT_EQ(fill.exit_code, 0) << fill.err;
  EXPECT_EQ(ReadAll(dir + "/z.npy"), NpyBytes("<f4", "2, 3", std::string(24, '\x07')));
  testing::CommandResult bench = RunCli({"bench", "--server", server.address(), "--device", "cpu:0",
                                         "e2e.fill", "@" + dir + "/x.npy", "3"});
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
  // What is wrong is said before connecting.
  std::string fortran = x;
  fortran.replace(fortran.find("False"), 5, "True ");
  std::ofstream(dir + "/fortran.npy", std::ios::binary) << fortran;
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"e2e.echo", "@" + dir + "/missing.npy"}, "cannot open"},
      {{"e2e.echo", "@" + dir + "/fortran.npy"}, "Fortran order"},
      {{"e2e.fill", "@" + dir + "/x.npy", "7", "--out-arg", "0:" + dir + "/w.npy"},
       "--out-arg needs --device"},
      {{"--device", "cpu:0", "e2e.fill", "@" + dir + "/x.npy", "7", "--out-arg",
        "1:" + dir + "/w.npy"},
       "argument 1 is not a tensor"},
      {{"e2e.echo", "1", "--out-arg", "nope"}, "--out-arg takes N:FILE.npy"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"call", "--server", server.address()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    testing::CommandResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << c.error;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << r.err;
  }
  // A result that is no tensor cannot be written.
  testing::CommandResult scalar =
      RunCli({"call", "--server", server.address(), "e2e.add", "1", "2", "--out", dir + "/s.npy"});
  EXPECT_EQ(scalar.exit_code, 1);
  EXPECT_NE(scalar.err.find("the result is not a tensor"), std::string::npos) << scalar.err;
}

}  // namespace
}  // namespace tvmffi::rpc
