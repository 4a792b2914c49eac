// What a client learns of the server's devices (issue #11): every device with its facts, and
// why CUDA is not available where it is not. The server's CUDA driver is chosen through its
// environment: none, or the stand-in driver of tests/device.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
using testing::ServerProcess;

// A server started with TVMFFI_CUDA_DRIVER=driver in its environment.
std::unique_ptr<ServerProcess> ServerWithDriver(const std::string& driver) {
  ::setenv("TVMFFI_CUDA_DRIVER", driver.c_str(), 1);
  auto server = std::make_unique<ServerProcess>(std::vector<std::string>{});
  ::unsetenv("TVMFFI_CUDA_DRIVER");
  return server;
}

TEST(ServerDevices, TheCpuIsListedAndTheInfoSaysWhyThereIsNoCuda) {
  auto server = ServerWithDriver("/nonexistent/libcuda.so.1");
  Session session = Connect(server->address());
  std::vector<DeviceInfo> devices = session.Devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].device.device_type, kDLCPU);
  EXPECT_FALSE(devices[0].name.empty());
  EXPECT_GT(devices[0].total_memory, 0u);
  EXPECT_GE(devices[0].multiprocessor_count, 1);
  std::string why = session.Info().cuda_status;
  EXPECT_EQ(why.rfind("CUDA is not available on this server: cannot load the driver library "
                      "/nonexistent/libcuda.so.1",
                      0),
            0u)
      << why;
  testing::CommandResult info = testing::RunCli({"info", "--server", server->address()});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("devices:\n  cpu:0  "), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("cuda: CUDA is not available on this server"), std::string::npos)
      << info.out;
}

TEST(ServerDevices, ACudaDeviceIsListedWithItsFacts) {
  auto server = ServerWithDriver(TVMFFI_FAKE_CUDA_DRIVER);
  Session session = Connect(server->address());
  std::vector<DeviceInfo> devices = session.Devices();
  ASSERT_EQ(devices.size(), 2u);
  const DeviceInfo& gpu = devices[1];
  EXPECT_EQ(gpu.device.device_type, kDLCUDA);
  EXPECT_EQ(gpu.device.device_id, 0);
  EXPECT_EQ(gpu.name, "Fake CUDA Device");
  EXPECT_EQ(gpu.total_memory, uint64_t{1} << 30);
  EXPECT_EQ(gpu.free_memory, uint64_t{1} << 30);
  EXPECT_EQ(gpu.compute_capability_major, 8);
  EXPECT_EQ(gpu.multiprocessor_count, 108);
  EXPECT_EQ(session.Info().cuda_status, "");
  testing::CommandResult info = testing::RunCli({"info", "--server", server->address()});
  EXPECT_NE(info.out.find("  cuda:0  Fake CUDA Device  memory 1.0 GiB (1.0 GiB free)  compute "
                          "8.0  108 SMs\n"),
            std::string::npos)
      << info.out;
  EXPECT_NE(info.out.find("cuda: available\n"), std::string::npos) << info.out;
}

}  // namespace
}  // namespace tvmffi::rpc
