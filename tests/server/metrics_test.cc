// Issue #13: the server's metrics, as Prometheus text over HTTP (--metrics-listen) and through
// the GetStats RPC (`tvmffi stats`): calls, errors and latency by function (calls through a
// proxy counted under the name it was looked up by), sessions, workers, handles.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "testing/error_of.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

// The metrics port the server's start line names.
int MetricsPort(const ServerProcess& server) {
  for (int i = 0; i < 500; ++i) {
    std::string err = server.Stderr();
    size_t at = err.find("metrics_port=");
    if (at != std::string::npos) return std::atoi(err.c_str() + at + 13);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

// A plain HTTP/1.0 GET of path on 127.0.0.1:port: the whole response.
std::string HttpGet(int port, const std::string& path) {
  int fd = testing::DialLoopback(port);
  if (fd < 0) return "";
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) response.append(buf, n);
  ::close(fd);
  return response;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(ServerMetrics, CallsErrorsLatencyAndSessionsOverHttpAndGetStats) {
  ServerProcess server(
      {"--log-level", "info", "--metrics-listen", "127.0.0.1:0", "--load", TVMFFI_MY_EXT_MODULE});
  const int port = MetricsPort(server);
  ASSERT_GT(port, 0) << server.Stderr();
  Session session = Connect(server.address());
  ffi::Function add_one = session.GetGlobalRequired("my_ext.add_one");
  EXPECT_EQ(add_one(1).cast<int>(), 2);
  EXPECT_EQ(add_one(2).cast<int>(), 3);
  (void)ErrorOf([&] { session.GetGlobalRequired("my_ext.throw_error")(-1); });
  Client client(server.address());
  EXPECT_EQ(client.Call("my_ext.add_one", {ffi::Any(5)}).cast<int>(), 6);  // stateless: by name

  std::string text = client.Stats();
  EXPECT_TRUE(Has(text, "tvmffi_calls_total{function=\"my_ext.add_one\"} 3\n")) << text;
  EXPECT_TRUE(Has(text, "tvmffi_calls_total{function=\"my_ext.throw_error\"} 1\n")) << text;
  EXPECT_TRUE(Has(text,
                  "tvmffi_call_errors_total{function=\"my_ext.throw_error\","
                  "kind=\"ValueError\"} 1\n"))
      << text;
  EXPECT_TRUE(Has(text, "tvmffi_call_duration_seconds_count{function=\"my_ext.add_one\"} 3\n"))
      << text;
  EXPECT_TRUE(Has(text,
                  "tvmffi_call_duration_seconds_bucket{function=\"my_ext.add_one\","
                  "le=\"+Inf\"} 3\n"))
      << text;
  EXPECT_TRUE(Has(text, "tvmffi_sessions_open 1\n")) << text;
  EXPECT_TRUE(Has(text, "tvmffi_modules_loaded 1\n")) << text;
  EXPECT_TRUE(Has(text, "# TYPE tvmffi_call_duration_seconds histogram\n")) << text;
  EXPECT_FALSE(Has(text, "$get_global")) << text;  // the session's own operations are not

  std::string http = HttpGet(port, "/metrics");
  EXPECT_EQ(http.rfind("HTTP/1.", 0), 0u) << http;
  EXPECT_TRUE(Has(http, " 200 ")) << http;
  EXPECT_TRUE(Has(http, "text/plain; version=0.0.4")) << http;
  EXPECT_TRUE(Has(http, "tvmffi_calls_total{function=\"my_ext.add_one\"} 3\n")) << http;
  EXPECT_TRUE(Has(HttpGet(port, "/nothing"), " 404 "));

  testing::CommandResult stats = testing::RunCli({"stats", "--server", server.address()});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_TRUE(Has(stats.out, "tvmffi_sessions_total ")) << stats.out;
}

TEST(ServerMetrics, WorkerRestartsAreCountedAndTheTokenGuardsGetStats) {
  const std::string token_file = testing::TempDir() + "/token";
  std::ofstream(token_file) << "s3cret\n";
  ServerProcess server({"--isolate", "--token-file", token_file, "--load", TVMFFI_CRASH_MODULE});
  ConnectOptions options;
  options.token = "s3cret";
  Session session = Connect(server.address(), options);
  for (int i = 0; i < 2; ++i) {  // each crash ends a worker; the next call starts another
    EXPECT_EQ(ErrorOf([&] { session.GetGlobalRequired("crash.abort")(); }).rfind("Remote", 0), 0u);
  }
  EXPECT_GT(session.GetGlobalRequired("crash.pid")().cast<int>(), 0);
  std::string text = Client(server.address(), options).Stats();
  EXPECT_TRUE(Has(text, "tvmffi_worker_starts_total{module=\"crash_module\"} 3\n")) << text;
  EXPECT_TRUE(Has(text, "tvmffi_worker_exits_total{module=\"crash_module\"} 2\n")) << text;
  EXPECT_EQ(ErrorOf([&] { Client(server.address()).Stats(); }).rfind("PermissionError: ", 0), 0u);
  EXPECT_EQ(testing::RunCli({"stats", "--server", server.address()}).exit_code, 2);
}

}  // namespace
}  // namespace tvmffi::rpc
