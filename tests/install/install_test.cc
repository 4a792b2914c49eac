// The installed package: `cmake --install` into a temporary prefix, then a separate project
// (examples/find_package) finds it with find_package(tvmffi_rpc), builds, and calls a server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "testing/server_process.h"

namespace tvmffi::rpc {
namespace {

int Shell(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

TEST(Install, FindPackageConsumerCallsAServer) {
  std::string dir = testing::TempDir();
  std::string prefix = dir + "/prefix", build = dir + "/consumer";
  ASSERT_EQ(Shell("cmake --install " TVMFFI_BUILD_DIR " --prefix " + prefix), 0);
  ASSERT_EQ(
      Shell("cmake -S " TVMFFI_CONSUMER_SOURCE " -B " + build + " -DCMAKE_PREFIX_PATH=" + prefix),
      0);
  ASSERT_EQ(Shell("cmake --build " + build), 0);
  testing::ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE});
  std::string out = dir + "/out.txt";
  for (const char* consumer : {"/consumer", "/consumer_shared"}) {  // static, shared client
    ASSERT_EQ(std::system(("LD_LIBRARY_PATH=" + prefix + "/lib " + build + consumer + " " +
                           server.address() + " > " + out)
                              .c_str()),
              0)
        << consumer;
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "42") << consumer;
  }
  // The shared one really is: it needs libtvmffi_client.so and holds no gRPC code itself.
  EXPECT_EQ(Shell("LD_LIBRARY_PATH=" + prefix + "/lib ldd " + build +
                  "/consumer_shared | grep -q 'libtvmffi_client.so'"),
            0);
  EXPECT_TRUE(std::ifstream(prefix + "/lib/libtvmffi_client.so").good());
  // The wire schema is installed, for clients in other languages.
  EXPECT_TRUE(std::ifstream(prefix + "/include/tvmffi/rpc/v1/ffi.proto").good());
  // The installed binaries find the installed runtime on their own (RUNPATH $ORIGIN/../lib).
  for (const char* binary : {"/bin/tvmffi-server", "/bin/tvmffi"}) {
    EXPECT_EQ(Shell("env -u LD_LIBRARY_PATH " + prefix + binary + " --version"), 0) << binary;
  }
}

}  // namespace
}  // namespace tvmffi::rpc
