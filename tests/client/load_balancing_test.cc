// Scale-out with gRPC's own load balancing (issue #13): tvmffi::rpc::Client's stateless calls
// spread over every server a target names (three servers on 127.0.0.1, .2 and .3), a session
// stays on one, and with retries on, a server killed in the middle loses no call.
#include <gtest/gtest.h>
#include <signal.h>
#include <tvm/ffi/tvm_ffi.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testing/error_of.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

struct Cluster {
  std::vector<std::unique_ptr<ServerProcess>> servers;
  std::string target = "ipv4:";
  Cluster() {
    for (int i = 1; i <= 3; ++i) {
      servers.push_back(
          std::make_unique<ServerProcess>(std::vector<std::string>{"--load", TVMFFI_E2E_MODULE},
                                          "127.0.0." + std::to_string(i) + ":0"));
      target += (i > 1 ? "," : "") + servers.back()->address();
    }
  }
};

// The server process that answered each of n calls of e2e.pid.
std::map<int, int> Spread(const Client& client, int n) {
  std::map<int, int> calls;
  for (int i = 0; i < n; ++i) ++calls[client.Call("e2e.pid").cast<int>()];
  return calls;
}

// ConnectOptions carries gRPC's own knobs through: a service config of the user's (here one
// that says pick_first) replaces the client's, and channel arguments are set on the channel
// (here a 1 KiB receive limit that a 4 KiB answer then crosses).
TEST(LoadBalancing, TheUsersServiceConfigAndChannelArgumentsReachTheChannel) {
  Cluster cluster;
  ConnectOptions options;
  options.service_config = R"({"loadBalancingConfig": [{"pick_first": {}}]})";
  EXPECT_EQ(Spread(Client(cluster.target, options), 12).size(), 1u);
  ConnectOptions small;
  small.channel_int_args["grpc.max_receive_message_length"] = 1024;
  Client client(cluster.target, small);
  EXPECT_EQ(client.Call("e2e.echo", {ffi::Any(std::string(16, 'x'))}).cast<std::string>(),
            std::string(16, 'x'));
  std::string error = ErrorOf([&] { client.Call("e2e.echo", {ffi::Any(std::string(4096, 'x'))}); });
  EXPECT_NE(error.find("RESOURCE_EXHAUSTED"), std::string::npos) << error;
  ConnectOptions broken;
  broken.service_config = "loadBalancingConfig: round_robin";
  EXPECT_EQ(ErrorOf([&] { Client(cluster.target, broken); }),
            "ValueError: ConnectOptions::service_config is not a JSON object");
}

TEST(LoadBalancing, StatelessCallsSpreadOverEveryServerASessionStaysOnOne) {
  Cluster cluster;
  Client client(cluster.target);  // round_robin by default
  std::map<int, int> calls = Spread(client, 30);
  ASSERT_EQ(calls.size(), 3u) << "every server gets a share";
  for (const auto& [pid, n] : calls) EXPECT_GE(n, 5) << pid;
  ConnectOptions pick_first;
  pick_first.load_balancing = "pick_first";
  EXPECT_EQ(Spread(Client(cluster.target, pick_first), 12).size(), 1u);
  // A session is one stream: all its calls reach the same server.
  Session session = Connect(cluster.target);
  ffi::Function pid = session.GetGlobalRequired("e2e.pid");
  int first = pid().cast<int>();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(pid().cast<int>(), first);
}

TEST(LoadBalancing, WithRetriesAServerKilledInTheMiddleLosesNoCall) {
  Cluster cluster;
  ConnectOptions options;
  options.retry_unavailable = true;
  Client client(cluster.target, options);
  std::atomic<int> done{0};
  std::vector<std::string> errors;
  std::thread caller([&] {
    for (int i = 0; i < 300; ++i) {
      try {
        if (client.Call("e2e.add", {ffi::Any(i), ffi::Any(1)}).cast<int>() != i + 1) {
          errors.push_back("wrong result for " + std::to_string(i));
        }
      } catch (const ffi::Error& e) {
        errors.push_back(std::string(e.kind()) + ": " + std::string(e.message()));
      }
      ++done;
    }
  });
  while (done < 60) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  cluster.servers[1]->Stop(SIGKILL);
  caller.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " lost, the first: " << errors.front();
  EXPECT_EQ(Spread(client, 10).size(), 2u);  // the two left share the rest
}

// A call that had reached its server when the server died is made again on another one.
TEST(LoadBalancing, WithRetriesACallWhoseServerDiesMidCallIsMadeAgainElsewhere) {
  Cluster cluster;
  ConnectOptions options;
  options.retry_unavailable = true;
  options.call_timeout_s = 60;
  Client client(cluster.target, options);
  const std::string path = testing::TempDir() + "/lb_block_" + std::to_string(::getpid());
  std::remove(path.c_str());
  std::atomic<int> answer{0};
  std::string error;
  std::thread caller([&] {
    try {
      answer = client.Call("e2e.block_if_first", {ffi::Any(path)}).cast<int>();
    } catch (const ffi::Error& e) {
      error = std::string(e.kind()) + ": " + std::string(e.message());
    }
  });
  ASSERT_TRUE(testing::WaitForFile(path));
  int blocked_pid = 0;
  std::ifstream(path + ".pid") >> blocked_pid;
  int blocked = -1;  // the server the call reached
  for (size_t i = 0; i < cluster.servers.size(); ++i) {
    if (cluster.servers[i]->pid() == blocked_pid) blocked = static_cast<int>(i);
  }
  ASSERT_GE(blocked, 0) << blocked_pid;
  cluster.servers[blocked]->Stop(SIGKILL);
  caller.join();
  EXPECT_EQ(error, "");
  EXPECT_NE(answer.load(), 0);
  EXPECT_NE(answer.load(), blocked_pid);
  std::remove((path + ".pid").c_str());
  std::remove(path.c_str());
}

// A stateless call whose client gave up (its deadline) is cancelled on the server too: the
// function polling TVMFFIEnvCheckSignals sees it and stops (it ran on for its whole 30 s before).
TEST(LoadBalancing, AStatelessCallWhoseClientGaveUpIsCancelledOnTheServer) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  ConnectOptions quick;
  quick.call_timeout_s = 2;  // it covers connecting too: less has to allow for a TSan build
  Client client(server.address(), quick);
  const std::string marker = testing::TempDir() + "/until_cancelled";
  EXPECT_EQ(ErrorOf([&] {
              client.Call("e2e.until_cancelled", {ffi::Any(marker), ffi::Any(30.0)});
            }).rfind("TimeoutError: ", 0),
            0u);
  EXPECT_TRUE(testing::WaitForFile(marker + ".stopped", 10));
  EXPECT_EQ(Client(server.address()).Call("e2e.add", {ffi::Any(1), ffi::Any(2)}).cast<int>(), 3);
}

TEST(LoadBalancing, StatelessCallsCarryValuesAndTypedErrors) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--load", TVMFFI_MY_EXT_MODULE});
  Client client(server.address());
  EXPECT_EQ(client.Call("my_ext.add_one", {ffi::Any(41)}).cast<int>(), 42);
  EXPECT_EQ(client.Call("add_two", {ffi::Any(40)}, "my_ext").cast<int>(), 42);  // a module's
  ffi::Array<ffi::Any> arr{ffi::Any(1), ffi::Any(ffi::String("two"))};
  EXPECT_EQ(
      client.Call("e2e.echo", {ffi::Any(arr)}).cast<ffi::Array<ffi::Any>>()[1].cast<std::string>(),
      "two");
  EXPECT_EQ(ErrorOf([&] { client.Call("my_ext.throw_error", {ffi::Any(-1)}); }),
            "ValueError: x must be non-negative, got -1");
  EXPECT_EQ(ErrorOf([&] { client.Call("no.such"); }).rfind("ValueError: ", 0), 0u);
  ffi::Function local = ffi::Function::FromTyped([](int x) { return x; });
  EXPECT_EQ(ErrorOf([&] {
              client.Call("e2e.apply", {ffi::Any(local), ffi::Any(1)});
            }).rfind("TypeError: ", 0),
            0u);  // a function cannot cross without a session
  ConnectOptions bad;
  bad.load_balancing = "random";
  EXPECT_EQ(ErrorOf([&] { Client(server.address(), bad); }),
            "ValueError: load balancing policy 'random' is not one of round_robin, pick_first");
  ConnectOptions quick;
  quick.connect_timeout_s = 1;
  EXPECT_EQ(
      ErrorOf([&] { Client("127.0.0.1:1", quick).Call("e2e.pid"); }).rfind("ConnectionError: ", 0),
      0u);
}

}  // namespace
}  // namespace tvmffi::rpc
