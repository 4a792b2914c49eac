// Issue #13: the gRPC health service follows the server's state. It says NOT_SERVING from
// the moment a drain starts (while gRPC still answers, so probes and load balancers see it),
// and until every --require-module is loaded (again after one is unloaded). `tvmffi health`
// prints it and exits 0 only when SERVING.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <tvm/ffi/tvm_ffi.h>

#include <chrono>
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
using testing::RunCli;
using testing::ServerProcess;

// The health status once it is `want`, or the last one seen after about 5 s.
std::string WaitForHealth(const std::string& address, const std::string& want) {
  std::string status;
  for (int i = 0; i < 500; ++i) {
    status = Client(address).Health();
    if (status == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

TEST(ServerHealth, NotServingFromTheStartOfADrainWhileStatelessCallsAreStillServed) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--drain-timeout", "5"});
  Client client(server.address());
  EXPECT_EQ(client.Health(), "SERVING");
  testing::CommandResult cli = RunCli({"health", "--server", server.address()});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out, "SERVING\n");
  // A session's call that never returns keeps the drain going for its 5 s.
  Session session = Connect(server.address());
  const std::string marker = testing::TempDir() + "/blocked";
  std::thread blocked([&] {
    try {
      session.GetGlobalRequired("e2e.block")(marker);
    } catch (const ffi::Error&) {  // the server goes away under it
    }
  });
  ASSERT_TRUE(testing::WaitForFile(marker));
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(WaitForHealth(server.address(), "NOT_SERVING"), "NOT_SERVING");
  cli = RunCli({"health", "--server", server.address()});
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  EXPECT_EQ(cli.out, "NOT_SERVING\n");
  // Draining: stateless calls are still answered, new sessions are not admitted.
  EXPECT_EQ(client.Call("e2e.add", {ffi::Any(1), ffi::Any(2)}).cast<int>(), 3);
  EXPECT_NE(ErrorOf([&] { Connect(server.address()); }).find("server shutting down"),
            std::string::npos);
  EXPECT_EQ(server.Stop(SIGTERM), 0);  // after the drain timeout, with the call still running
  blocked.join();
}

TEST(ServerHealth, NotServingUntilEveryRequiredModuleIsLoaded) {
  // In --module-dir: loaded at start, so SERVING from the first probe.
  std::string my_ext = TVMFFI_MY_EXT_MODULE;
  std::string dir = my_ext.substr(0, my_ext.rfind('/'));
  std::string stem = ModuleStem(my_ext);
  {
    ServerProcess server({"--module-dir", dir, "--require-module", stem});
    EXPECT_EQ(Client(server.address()).Health(), "SERVING");
  }
  // Not there: NOT_SERVING (with a warning naming it) until a client uploads it, and again
  // once it is unloaded.
  ServerProcess server({"--allow-upload", "--require-module", stem});
  Client client(server.address());
  EXPECT_EQ(client.Health(), "NOT_SERVING");
  EXPECT_NE(server.Stderr().find("module.required_missing"), std::string::npos) << server.Stderr();
  Session session = Connect(server.address());
  session.UploadModule(my_ext, stem);
  EXPECT_EQ(client.Health(), "SERVING");
  session.UnloadModule(stem);
  EXPECT_EQ(client.Health(), "NOT_SERVING");
  session.UploadModule(my_ext, stem);
  EXPECT_EQ(client.Health(), "SERVING");
  // Another service's name is not one the server knows.
  EXPECT_EQ(client.Health("no.such.Service"), "SERVICE_UNKNOWN");
  EXPECT_EQ(client.Health("tvmffi.rpc.v1.FFI"), "SERVING");
}

// gRPC's status for an empty request to channelz's GetServers on the server at address.
grpc::StatusCode ChannelzGetServers(const std::string& address, std::string* reply) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer request, response;
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  const grpc::internal::RpcMethod method("/grpc.channelz.v1.Channelz/GetServers",
                                         grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), method, &context, request, &response);
  std::vector<grpc::Slice> slices;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& piece : slices) {
      reply->append(reinterpret_cast<const char*>(piece.begin()), piece.size());
    }
  }
  return status.error_code();
}

TEST(ServerHealth, ChannelzOnlyWhenAskedFor) {
  std::string reply;
  {
    ServerProcess server({});
    EXPECT_EQ(ChannelzGetServers(server.address(), &reply), grpc::StatusCode::UNIMPLEMENTED);
  }
  ServerProcess server({"--channelz"});
  EXPECT_EQ(ChannelzGetServers(server.address(), &reply), grpc::StatusCode::OK);
  EXPECT_FALSE(reply.empty()) << "channelz lists this server";
}

}  // namespace
}  // namespace tvmffi::rpc
