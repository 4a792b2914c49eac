// The device layer: the CPU device, and the CUDA device through its driver loaded at run time:
// missing, too old, a stand-in driver (fake_cuda_driver.cc) and, where there is one, the real
// one. CMakeLists.txt runs each group in its own process with its own environment.
#include "tvmffi/device/device_api.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tvmffi/proto/status.h"

namespace tvmffi::device {
namespace {

// Copies bytes to the device and back through every copy path; the bytes must survive.
void ExpectRoundTrip(DeviceApi& api, int id, StreamHandle stream) {
  std::vector<unsigned char> host(4096 + 7), back(host.size());
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<unsigned char>(i * 31 + 7);
  absl::StatusOr<void*> a = api.Alloc(id, host.size());
  absl::StatusOr<void*> b = api.Alloc(id, host.size());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(*a) % 256, 0u);
  ASSERT_TRUE(api.CopyFromHost(id, *a, host.data(), host.size(), stream).ok());
  ASSERT_TRUE(api.CopyWithin(id, *b, *a, host.size(), stream).ok());
  ASSERT_TRUE(api.Synchronize(id, stream).ok());
  ASSERT_TRUE(api.CopyToHost(id, back.data(), *b, back.size(), stream).ok());
  EXPECT_EQ(back, host);
  EXPECT_TRUE(api.Free(id, *a).ok());
  EXPECT_TRUE(api.Free(id, *b).ok());
}

TEST(DeviceCpu, FactsAndCopies) {
  absl::StatusOr<DeviceApi*> cpu = GetDeviceApi(kDLCPU);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ((*cpu)->Count(), 1);
  absl::StatusOr<DeviceFacts> facts = (*cpu)->Facts(0);
  ASSERT_TRUE(facts.ok());
  EXPECT_FALSE(facts->name.empty());
  EXPECT_GT(facts->total_memory, 0u);
  EXPECT_GT(facts->free_memory, 0u);
  EXPECT_LE(facts->free_memory, facts->total_memory);
  EXPECT_GE(facts->multiprocessor_count, 1);
  ExpectRoundTrip(**cpu, 0, nullptr);
  absl::StatusOr<StreamHandle> stream = (*cpu)->CreateStream(0);
  ASSERT_TRUE(stream.ok());
  ExpectRoundTrip(**cpu, 0, *stream);
  EXPECT_TRUE((*cpu)->DestroyStream(0, *stream).ok());
  // A device that is not there is a ValueError naming it.
  absl::Status bad = (*cpu)->Alloc(1, 16).status();
  EXPECT_EQ(rpc::ErrorKindOf(bad), "ValueError");
  EXPECT_NE(bad.message().find("no device cpu:1"), std::string::npos) << bad;
  EXPECT_EQ(rpc::ErrorKindOf(GetDeviceApi(kDLVulkan).status()), "ValueError");
  EXPECT_EQ(DeviceName(DLDevice{kDLCUDA, 3}), "cuda:3");
}

// TVMFFI_CUDA_DRIVER=/nonexistent/libcuda.so.1: what a host without an NVIDIA driver sees.
TEST(NoCudaDriver, EveryUseSaysWhyAndTheCpuStillWorks) {
  absl::Status status = CudaStatus();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message())
                .rfind("CUDA is not available on this server: cannot load the driver library "
                       "/nonexistent/libcuda.so.1: ",
                       0),
            0u)
      << status;
  EXPECT_EQ(GetDeviceApi(kDLCUDA).status(), status);
  std::vector<DeviceFacts> devices = ListDevices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].device.device_type, kDLCPU);
}

// TVMFFI_CUDA_DRIVER=fake_cuda_driver.so: the CUDA backend's own code, without a GPU.
TEST(FakeCudaDriver, FactsCopiesStreamsAndLimits) {
  ASSERT_TRUE(CudaStatus().ok()) << CudaStatus();
  absl::StatusOr<DeviceApi*> cuda = GetDeviceApi(kDLCUDA);
  ASSERT_TRUE(cuda.ok());
  EXPECT_EQ((*cuda)->Count(), 1);
  absl::StatusOr<DeviceFacts> facts = (*cuda)->Facts(0);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->name, "Fake CUDA Device");
  EXPECT_EQ(facts->total_memory, uint64_t{1} << 30);
  EXPECT_EQ(facts->free_memory, uint64_t{1} << 30);
  EXPECT_EQ(facts->compute_capability_major, 8);
  EXPECT_EQ(facts->compute_capability_minor, 0);
  EXPECT_EQ(facts->multiprocessor_count, 108);
  ExpectRoundTrip(**cuda, 0, nullptr);
  absl::StatusOr<StreamHandle> stream = (*cuda)->CreateStream(0);
  ASSERT_TRUE(stream.ok());
  ExpectRoundTrip(**cuda, 0, *stream);
  EXPECT_TRUE((*cuda)->DestroyStream(0, *stream).ok());
  // Out of device memory is a MemoryError naming the device.
  absl::Status oom = (*cuda)->Alloc(0, uint64_t{2} << 30).status();
  EXPECT_EQ(rpc::ErrorKindOf(oom), "MemoryError");
  EXPECT_NE(oom.message().find("cuda:0"), std::string::npos) << oom;
  EXPECT_NE((*cuda)->Alloc(1, 16).status().message().find("no device cuda:1"), std::string::npos);
  std::vector<DeviceFacts> devices = ListDevices();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[1].device.device_type, kDLCUDA);
}

// The same stand-in, claiming CUDA 10.2.
TEST(OldCudaDriver, IsRefusedWithBothVersions) {
  absl::Status status = CudaStatus();
  EXPECT_NE(status.message().find("the driver supports CUDA 10.2; at least 11.0 is needed"),
            std::string::npos)
      << status;
}

// The real driver, where there is one (label gpu).
TEST(RealCuda, DevicesAnswer) {
  if (!CudaStatus().ok()) GTEST_SKIP() << "no GPU here: " << CudaStatus().message();
  absl::StatusOr<DeviceApi*> cuda = GetDeviceApi(kDLCUDA);
  ASSERT_TRUE(cuda.ok());
  for (int id = 0; id < (*cuda)->Count(); ++id) {
    absl::StatusOr<DeviceFacts> facts = (*cuda)->Facts(id);
    ASSERT_TRUE(facts.ok()) << facts.status();
    std::printf("cuda:%d %s, %.1f GiB (%.1f free), compute %d.%d, %d SMs\n", id,
                facts->name.c_str(), facts->total_memory / 1073741824.0,
                facts->free_memory / 1073741824.0, facts->compute_capability_major,
                facts->compute_capability_minor, facts->multiprocessor_count);
    EXPECT_GT(facts->total_memory, 0u);
    EXPECT_GE(facts->compute_capability_major, 3);
    ExpectRoundTrip(**cuda, id, nullptr);
  }
}

}  // namespace
}  // namespace tvmffi::device
