// tvmffi-server's flags that decide what clients see and how long it waits for them, each
// against a real server process and the real client.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <algorithm>
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
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--call-timeout", "0.5"});
  Session session = Connect(server.address());
  ffi::Function slow = ffi::Function::FromTyped([](int x) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    return x;
  });
  ffi::Function fast = ffi::Function::FromTyped([](int x) { return x + 1; });
  ffi::Function apply = session.GetGlobalRequired("e2e.apply");
  EXPECT_EQ(apply(fast, 1).cast<int>(), 2);
  std::string error = ErrorOf([&] { apply(slow, 1); });
  EXPECT_EQ(error.rfind("TimeoutError: ", 0), 0u) << error;
}

}  // namespace
}  // namespace tvmffi::rpc
