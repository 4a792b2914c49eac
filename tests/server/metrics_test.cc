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
#include "testing/host_tensor.h"
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

// The value of the sample `name{labels}` in Prometheus text; -1 when there is none.
double Sample(const std::string& text, const std::string& sample) {
  size_t at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::atof(text.c_str() + at + sample.size() + 2);
}

// Bytes in and out by transport, tensors by how they crossed, and the device memory the
// server's tensors hold (given back when the client lets go).
TEST(ServerMetrics, BytesTensorsAndDeviceMemoryAreCounted) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--no-shared-memory"});
  Client client(server.address());
  std::string text = client.Stats();
  EXPECT_EQ(Sample(text, "tvmffi_device_memory_held_bytes{device=\"cpu\"}"), 0) << text;
  EXPECT_EQ(Sample(text, "tvmffi_tensors_total{direction=\"received\",how=\"inline\"}"), 0);
  EXPECT_TRUE(Has(text, "# TYPE tvmffi_received_bytes_total counter\n")) << text;
  const double received_before = Sample(text, "tvmffi_received_bytes_total{transport=\"grpc\"}");
  const double sent_before = Sample(text, "tvmffi_sent_bytes_total{transport=\"grpc\"}");
  {
    Session session = Connect(server.address());
    ffi::Function echo = session.GetGlobalRequired("e2e.echo");
    ffi::Tensor host = testing::HostTensor(ffi::Shape({1000}), DLDataType{kDLFloat, 32, 1});
    (void)echo(host);  // in by value, back by value
    RemoteTensor remote =
        session.Empty(ffi::Shape({1024}), DLDataType{kDLFloat, 32, 1}, DLDevice{kDLCPU, 0});
    (void)echo(remote);  // the server's own tensor: a reference each way
    text = client.Stats();
    EXPECT_EQ(Sample(text, "tvmffi_device_memory_held_bytes{device=\"cpu\"}"), 4096) << text;
    EXPECT_EQ(Sample(text, "tvmffi_tensors_total{direction=\"received\",how=\"inline\"}"), 1)
        << text;
    EXPECT_EQ(Sample(text, "tvmffi_tensors_total{direction=\"sent\",how=\"inline\"}"), 1);
    EXPECT_GE(Sample(text, "tvmffi_tensors_total{direction=\"sent\",how=\"remote\"}"), 2);
    EXPECT_GE(Sample(text, "tvmffi_received_bytes_total{transport=\"grpc\"}"),
              received_before + 4000);
    EXPECT_GE(Sample(text, "tvmffi_sent_bytes_total{transport=\"grpc\"}"), sent_before + 4000);
    EXPECT_EQ(Sample(text, "tvmffi_received_bytes_total{transport=\"data_channel\"}"), 0);
  }
  // The session ended: its tensors are freed.
  for (int i = 0; i < 500; ++i) {
    text = client.Stats();
    if (Sample(text, "tvmffi_device_memory_held_bytes{device=\"cpu\"}") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Sample(text, "tvmffi_device_memory_held_bytes{device=\"cpu\"}"), 0) << text;
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
