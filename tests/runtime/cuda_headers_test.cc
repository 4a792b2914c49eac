// The extra/cuda headers (base.h, device_guard.h, cubin_launcher.h) compiled against the
// stand-in CUDA headers in cuda_standin/ and run: the error macros' messages, the device
// guard's save and restore, and the launcher's loading, kernel lookup, launch arguments,
// cluster configuration and shared-memory setting. Built twice, over the runtime API and over
// the driver API (TVM_FFI_CUBIN_LAUNCHER_USE_DRIVER_API=1).
#include <gtest/gtest.h>
#include <tvm/ffi/extra/cuda/cubin_launcher.h>
#include <tvm/ffi/extra/cuda/device_guard.h>

#include <functional>
#include <string>

namespace {

using tvm::ffi::CubinKernel;
using tvm::ffi::CubinModule;
using tvm::ffi::Error;

const char kImage[] = "stand-in cubin image";

}  // namespace

// An image linked in the way objcopy would name it.
extern "C" const char __tvm_ffi__cubin_linked[] = "linked image";
extern "C" const char __tvm_ffi__cubin_linked_end[] = "";
TVM_FFI_EMBED_CUBIN(linked);
TVM_FFI_EMBED_CUBIN_FROM_BYTES(from_bytes, kImage);

namespace {

class CudaHeaders : public ::testing::Test {
 protected:
  void SetUp() override { standin::state.Reset(); }
  void TearDown() override { standin::state.Reset(); }
};

std::string MessageOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind() + ": " + e.message();
  }
  return "(no error)";
}

TEST_F(CudaHeaders, CheckMacroNamesTheError) {
  EXPECT_EQ(MessageOf([] { TVM_FFI_CHECK_CUDA_ERROR(cudaSetDevice(7)); }),
            "RuntimeError: CUDA Runtime Error: cudaErrorInvalidDevice (101): invalid device "
            "ordinal");
  EXPECT_EQ(MessageOf([] { TVM_FFI_CHECK_CUDA_ERROR(cudaSetDevice(1)); }), "(no error)");
}

TEST_F(CudaHeaders, Dim3DefaultsToOne) {
  tvm::ffi::dim3 a;
  tvm::ffi::dim3 b(4);
  tvm::ffi::dim3 c(4, 5);
  tvm::ffi::dim3 d(4, 5, 6);
  EXPECT_EQ(a.x * a.y * a.z, 1u);
  EXPECT_EQ(b.x * 100 + b.y * 10 + b.z, 411u);
  EXPECT_EQ(c.x * 100 + c.y * 10 + c.z, 451u);
  EXPECT_EQ(d.x * 100 + d.y * 10 + d.z, 456u);
}

TEST_F(CudaHeaders, DeviceGuardRestoresTheDevice) {
  {
    tvm::ffi::CUDADeviceGuard guard(1);
    EXPECT_EQ(standin::state.current_device, 1);
  }
  EXPECT_EQ(standin::state.current_device, 0);
  EXPECT_EQ(standin::state.set_device_calls, 2);
  {
    tvm::ffi::CUDADeviceGuard same(0);  // already current: no cudaSetDevice
  }
  EXPECT_EQ(standin::state.set_device_calls, 2);
  EXPECT_NE(MessageOf([] { tvm::ffi::CUDADeviceGuard bad(9); }).find("cudaErrorInvalidDevice"),
            std::string::npos);
  EXPECT_EQ(standin::state.current_device, 0);
}

TEST_F(CudaHeaders, ModuleLoadsFindsLaunchesAndUnloads) {
  {
    CubinModule mod(kImage);
    EXPECT_EQ(standin::state.libraries_loaded, 1);
    ASSERT_NE(mod.GetHandle(), nullptr);
    EXPECT_EQ(mod.GetHandle()->image, static_cast<const void*>(kImage));
    CubinKernel kernel = mod["add_one"];
    ASSERT_NE(kernel.GetHandle(), nullptr);
    EXPECT_EQ(kernel.GetHandle()->name, "add_one");

    int n = 3;
    void* args[] = {&n};
    CUstream_st stream{5};
    auto rc = kernel.Launch(args, tvm::ffi::dim3(8, 2), tvm::ffi::dim3(128), &stream, 256);
    EXPECT_EQ(rc, tvm::ffi::cuda_api::kSuccess);
    EXPECT_EQ(standin::state.last.launches, 1);
    EXPECT_EQ(standin::state.last.kernel, static_cast<const void*>(kernel.GetHandle()));
    EXPECT_EQ(standin::state.last.grid[0] * 100 + standin::state.last.grid[1] * 10 +
                  standin::state.last.grid[2],
              821u);
    EXPECT_EQ(standin::state.last.block[0], 128u);
    EXPECT_EQ(standin::state.last.block[1] * standin::state.last.block[2], 1u);
    EXPECT_EQ(standin::state.last.smem, 256u);
    EXPECT_EQ(standin::state.last.stream, static_cast<void*>(&stream));
    EXPECT_EQ(standin::state.last.args, args);

    std::string missing = MessageOf([&] { CubinKernel k = mod.GetKernel("nope"); });
    EXPECT_EQ(missing.rfind("RuntimeError: CUDA Error: ", 0), 0u) << missing;
    EXPECT_NE(missing.find("(500)"), std::string::npos) << missing;

    CubinModule moved(std::move(mod));  // one library, unloaded once
    EXPECT_EQ(mod.GetHandle(), nullptr);
    EXPECT_EQ(standin::state.libraries_unloaded, 0);
  }
  EXPECT_EQ(standin::state.libraries_unloaded, 1);
  EXPECT_NE(
      MessageOf([] { CubinModule bad(static_cast<const char*>(nullptr)); }).find("CUDA Error"),
      std::string::npos);
}

TEST_F(CudaHeaders, ClusterLaunchCarriesTheAttribute) {
  CubinModule mod(kImage);
  CubinKernel kernel = mod["add_one"];
  tvm::ffi::cuda_api::LaunchConfig config;
  tvm::ffi::cuda_api::LaunchAttrType attr;
  CUstream_st stream{1};
  ASSERT_EQ(
      tvm::ffi::cuda_api::ConstructLaunchConfig(kernel.GetHandle(), &stream, 64, tvm::ffi::dim3(4),
                                                tvm::ffi::dim3(32), 2, config, attr),
      tvm::ffi::cuda_api::kSuccess);
  EXPECT_EQ(kernel.LaunchEx(nullptr, config), tvm::ffi::cuda_api::kSuccess);
  EXPECT_EQ(standin::state.last.cluster_x, 2u);
  EXPECT_EQ(standin::state.last.grid[0], 4u);
  EXPECT_EQ(standin::state.last.block[0], 32u);
  EXPECT_EQ(standin::state.last.smem, 64u);

  ASSERT_EQ(
      tvm::ffi::cuda_api::ConstructLaunchConfig(kernel.GetHandle(), &stream, 0, tvm::ffi::dim3(1),
                                                tvm::ffi::dim3(1), 1, config, attr),
      tvm::ffi::cuda_api::kSuccess);
  kernel.LaunchEx(nullptr, config);
  EXPECT_EQ(standin::state.last.cluster_x, 0u);  // cluster_dim 1: no attribute
}

TEST_F(CudaHeaders, DynamicSharedMemoryIsSetOnEveryDevice) {
  CubinModule mod(kImage);
  CubinKernel all = mod.GetKernelWithMaxDynamicSharedMemory("add_one");
  ASSERT_EQ(standin::state.max_dynamic_smem.size(), 2u);
  EXPECT_EQ(standin::state.max_dynamic_smem[0], 48 * 1024 - 1024);  // device max - static use
  EXPECT_EQ(standin::state.max_dynamic_smem[1], 48 * 1024 - 1024);

  standin::state.devices_refusing_smem = {0};  // one device refusing is not an error
  CubinKernel some = mod.GetKernelWithMaxDynamicSharedMemory("add_one", 4096);
  EXPECT_EQ(standin::state.max_dynamic_smem[1], 4096);

  standin::state.devices_refusing_smem = {0, 1};
  EXPECT_NE(MessageOf([&] {
              mod.GetKernelWithMaxDynamicSharedMemory("add_one", 10);
            }).find("any of 2 devices"),
            std::string::npos);
}

TEST_F(CudaHeaders, EmbeddedImagesLoadOnceOnFirstUse) {
  CubinKernel a = TVM_FFI_EMBED_CUBIN_GET_KERNEL(linked, "add_one");
  CubinKernel b = TVM_FFI_EMBED_CUBIN_GET_KERNEL(linked, "add_one");
  (void)a;
  (void)b;
  CubinKernel c = TVM_FFI_EMBED_CUBIN_GET_KERNEL(from_bytes, "add_one");
  (void)c;
  // The singletons outlive the test's Reset; each image was loaded exactly once.
  EXPECT_EQ(standin::state.libraries_loaded, 2);
  EXPECT_EQ(EmbedCubinModule_linked::Global()->mod.GetHandle()->image,
            static_cast<const void*>(__tvm_ffi__cubin_linked));
  EXPECT_EQ(EmbedCubinModule_from_bytes::Global()->mod.GetHandle()->image,
            static_cast<const void*>(kImage));
}

}  // namespace
