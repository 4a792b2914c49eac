// What client.h promises about sessions, proxies and options, checked against a real server.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <chrono>
#include <optional>
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

// "Copies share the session; it ends when the last copy and every proxy made from it are gone."
// With --max-sessions 1, whether a second client gets in shows whether the first session lives.
TEST(Client, ASessionLivesWhileAnyProxyOfItDoes) {
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE, "--max-sessions", "1"});
  std::optional<ffi::Function> add_one;
  {
    Session session = Connect(server.address());
    Session copy = session;
    add_one = copy.GetGlobalRequired("my_ext.add_one");
  }
  EXPECT_EQ((*add_one)(1).cast<int>(), 2);  // the session outlived both copies
  std::string refused = ErrorOf([&] { Connect(server.address()); });
  EXPECT_NE(refused.find("--max-sessions"), std::string::npos) << refused;
  add_one.reset();  // the last proxy: the session ends, and its slot is free again
  std::string error = "(not tried)";
  for (int i = 0; i < 500 && error != "(no error)"; ++i) {
    error = ErrorOf([&] { Connect(server.address()); });
    if (error != "(no error)") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(error, "(no error)");
}

TEST(Client, CloseEndsTheSessionForEveryProxy) {
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE});
  Session session = Connect(server.address());
  ffi::Function add_one = session.GetGlobalRequired("my_ext.add_one");
  EXPECT_EQ(add_one(1).cast<int>(), 2);
  session.Close();
  EXPECT_EQ(ErrorOf([&] { add_one(1); }).rfind("ConnectionError: ", 0), 0u);
  EXPECT_EQ(ErrorOf([&] { session.GetGlobal("my_ext.add_one"); }).rfind("ConnectionError: ", 0),
            0u);
}

TEST(Client, LookupsSayWhatIsMissing) {
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE});
  Session session = Connect(server.address());
  EXPECT_FALSE(session.GetGlobal("my_ext.no_such").has_value());
  EXPECT_EQ(ErrorOf([&] { session.GetGlobalRequired("my_ext.no_such"); }),
            "ValueError: Function my_ext.no_such not found");
  EXPECT_EQ(session.ListGlobalNames("my_ext."),
            (std::vector<std::string>{"my_ext.add_one", "my_ext.throw_error"}));
  EXPECT_EQ(ModuleStem("/x/y/my_ops.so"), "my_ops");
  EXPECT_EQ(ModuleStem("lib.tar.gz"), "lib");
}

// call_timeout_s applies to every call of the session, and the server gives the call up too.
TEST(Client, TheDefaultCallTimeoutAppliesToEveryCall) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  ConnectOptions options;
  options.call_timeout_s = 2;  // every call: room for a sanitizer build (0.3 s flaked under TSan)
  Session session = Connect(server.address(), options);
  std::string marker = testing::TempDir() + "/running";
  std::string error =
      ErrorOf([&] { session.GetGlobalRequired("e2e.until_cancelled")(marker, 30.0); });
  EXPECT_EQ(error.rfind("TimeoutError: ", 0), 0u) << error;
  EXPECT_TRUE(testing::WaitForFile(marker + ".stopped"));
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(1, 2).cast<int>(), 3);
}

}  // namespace
}  // namespace tvmffi::rpc
