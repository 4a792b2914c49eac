// Tensors that live on the server (issue #11): made there, filled, passed to functions without
// moving bytes, read back, and freed with their last reference or their session. On the CPU
// device, and on a CUDA device through the stand-in driver of tests/device (CI has no GPU).
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "testing/error_of.h"
#include "testing/host_tensor.h"
#include "testing/remote_copies.h"
#include "testing/server_process.h"
#include "tvmffi/device/device_tensor.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

constexpr DLDataType kF32{kDLFloat, 32, 1};
constexpr DLDataType kU8{kDLUInt, 8, 1};

using testing::ServerWithCudaDriver;

// Free memory of the server's cuda:0, as the server reports it.
uint64_t FreeCudaMemory(const Session& session) {
  for (const DeviceInfo& d : session.Devices()) {
    if (d.device.device_type == kDLCUDA && d.device.device_id == 0) return d.free_memory;
  }
  return 0;
}

TEST(RemoteTensors, OnTheServersCpuTheyAreFilledAndPassedWithoutMovingBytes) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  Session session = Connect(server->address());
  RemoteTensor t = session.Empty(ffi::Shape({4, 3}), kF32, DLDevice{kDLCPU, 0});
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(t.dtype().bits, 32);
  EXPECT_EQ(t.device().device_type, kDLCPU);
  ffi::Tensor host = testing::HostTensor(ffi::Shape({4, 3}), kF32);
  for (int i = 0; i < 12; ++i) static_cast<float*>(host.data_ptr())[i] = 1.5f * i;
  t.CopyFrom(host);
  ffi::Tensor back = t.ToHost();
  EXPECT_EQ(back.device().device_type, kDLCPU);
  EXPECT_EQ(std::memcmp(back.data_ptr(), host.data_ptr(), 48), 0);
  // A function gets the server's own tensor: it fills it in place.
  session.GetGlobalRequired("e2e.fill")(t, 7);
  back = t.ToHost();
  for (int i = 0; i < 48; ++i) EXPECT_EQ(static_cast<unsigned char*>(back.data_ptr())[i], 7);
  // A tensor result that lives on the server stays there, as a remote tensor.
  ffi::Any echoed = session.GetGlobalRequired("e2e.echo")(t);
  RemoteTensor same = echoed.cast<RemoteTensor>();
  EXPECT_EQ(same.shape(), t.shape());
  EXPECT_EQ(std::memcmp(same.ToHost().data_ptr(), back.data_ptr(), 48), 0);
  // It is never an ffi::Tensor here: local code cannot reach into the server's memory.
  EXPECT_EQ(ErrorOf([&] { echoed.cast<ffi::Tensor>(); }).rfind("TypeError", 0), 0u);
  // Copies check dtype and shape.
  std::string error = ErrorOf([&] { t.CopyFrom(testing::HostTensor(ffi::Shape({3, 4}), kF32)); });
  EXPECT_EQ(error, "ValueError: cannot copy a tensor of float32[3, 4] into one of float32[4, 3]");
  // CUDA is not there: the error says why.
  error = ErrorOf([&] { session.Empty(ffi::Shape({1}), kF32, DLDevice{kDLCUDA, 0}); });
  EXPECT_EQ(error.rfind("RuntimeError: CUDA is not available on this server: ", 0), 0u) << error;
}

TEST(RemoteTensors, ACudaTensorStaysOnTheServerUntilItsLastReferenceOrSessionGoes) {
  auto server = ServerWithCudaDriver(TVMFFI_FAKE_CUDA_DRIVER);
  Session session = Connect(server->address());
  const uint64_t all = uint64_t{1} << 30;
  ASSERT_EQ(FreeCudaMemory(session), all);
  constexpr int64_t kBytes = 64 << 20;
  ffi::Tensor host = testing::HostTensor(ffi::Shape({kBytes}), kU8);
  // i * 13 % 251 at byte i: one period, then doubled by memcpy (a byte loop over 64 MiB took
  // seconds under TSan).
  auto* bytes = static_cast<uint8_t*>(host.data_ptr());
  for (int64_t i = 0; i < 251; ++i) bytes[i] = static_cast<uint8_t>(i * 13 % 251);
  for (int64_t filled = 251; filled < kBytes; filled *= 2) {
    std::memcpy(bytes + filled, bytes, static_cast<size_t>(std::min(filled, kBytes - filled)));
  }
  // Chunked through the stream both ways, and (same host) staged in shared memory.
  for (bool shared_memory : {false, true}) {
    SCOPED_TRACE(shared_memory ? "staged" : "stream");
    for (int i = 0; i < 500 && FreeCudaMemory(session) != all; ++i) {  // the last round's
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ConnectOptions options;
    options.shared_memory = shared_memory;
    options.data_channel = false;  // data_channel_test covers it
    Session copier = Connect(server->address(), options);
    ASSERT_EQ(copier.SharesMemory(), shared_memory);
    RemoteTensor t = copier.Empty(ffi::Shape({kBytes}), kU8, DLDevice{kDLCUDA, 0});
    EXPECT_EQ(t.device().device_type, kDLCUDA);
    EXPECT_EQ(FreeCudaMemory(session), all - kBytes);
    t.CopyFrom(host);
    // The result of a function on a CUDA tensor stays on the server.
    RemoteTensor echoed = copier.GetGlobalRequired("e2e.echo")(t).cast<RemoteTensor>();
    EXPECT_EQ(echoed.device().device_type, kDLCUDA);
    ffi::Tensor back = echoed.ToHost();
    EXPECT_EQ(std::memcmp(back.data_ptr(), host.data_ptr(), kBytes), 0);
  }
  // Both references gone: the server frees the device memory.
  uint64_t free = 0;
  for (int i = 0; i < 500 && (free = FreeCudaMemory(session)) != all; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(free, all);
  // A session that ends frees what it held.
  RemoteTensor kept = session.Empty(ffi::Shape({kBytes}), kU8, DLDevice{kDLCUDA, 0});
  session.Close();
  Session other = Connect(server->address());
  for (int i = 0; i < 500 && (free = FreeCudaMemory(other)) != all; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(free, all);
  // Bad requests are typed errors.
  EXPECT_EQ(ErrorOf([&] {
              other.Empty(ffi::Shape({1}), kU8, DLDevice{kDLCUDA, 1});
            }).rfind("ValueError: no device cuda:1 on this server", 0),
            0u);
  EXPECT_EQ(ErrorOf([&] {
              other.Empty(ffi::Shape({int64_t{2} << 30}), kU8, DLDevice{kDLCUDA, 0});
            }).rfind("MemoryError: ", 0),
            0u);
  EXPECT_EQ(ErrorOf([&] { kept.ToHost(); }).rfind("ConnectionError: ", 0), 0u);
}

// On one host a large CPU tensor on the server lives in shared memory that the client maps:
// CopyFrom and ToHost copy straight in and out, with no call (they finish while the server is
// stopped), and what either side writes, the other reads. Small tensors and sessions that do
// not share memory copy through calls.
TEST(RemoteTensors, OnOneHostALargeCpuTensorIsCopiedThroughItsOwnMemory) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  Session session = Connect(server->address());
  ASSERT_TRUE(session.SharesMemory());
  constexpr int64_t kBytes = 1 << 20;
  RemoteTensor t = session.Empty(ffi::Shape({kBytes}), kU8, DLDevice{kDLCPU, 0});
  ffi::Tensor host = testing::HostTensor(ffi::Shape({kBytes}), kU8);
  std::memset(host.data_ptr(), 5, kBytes);
  t.CopyFrom(host);  // the first asks where the bytes are
  for (int64_t i = 0; i < kBytes; ++i) static_cast<uint8_t*>(host.data_ptr())[i] = i * 7 % 253;
  // With the server stopped the copies finish on their own (bounded: a copy that needed the
  // server is let go after 10 s and fails the test rather than hanging it).
  ASSERT_EQ(::kill(server->pid(), SIGSTOP), 0);
  ffi::Tensor back;
  ffi::Tensor into = testing::HostTensor(ffi::Shape({kBytes}), kU8);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::thread copier([&back, t, host, into, finished] {
    t.CopyFrom(host);
    back = t.ToHost();
    t.CopyTo(into);
    finished->store(true);
  });
  for (int i = 0; i < 1000 && !finished->load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool without_server = finished->load();
  ASSERT_EQ(::kill(server->pid(), SIGCONT), 0);
  copier.join();
  EXPECT_TRUE(without_server);
  EXPECT_EQ(std::memcmp(back.data_ptr(), host.data_ptr(), kBytes), 0);
  EXPECT_EQ(std::memcmp(into.data_ptr(), host.data_ptr(), kBytes), 0);
  EXPECT_NE(back.data_ptr(), host.data_ptr());
  // The server's function sees what the client wrote, and the client what it wrote.
  RemoteTensor echoed = session.GetGlobalRequired("e2e.echo")(t).cast<RemoteTensor>();
  EXPECT_EQ(std::memcmp(echoed.ToHost().data_ptr(), host.data_ptr(), kBytes), 0);
  session.GetGlobalRequired("e2e.fill")(t, 9);
  back = t.ToHost();
  EXPECT_EQ(static_cast<uint8_t*>(back.data_ptr())[0], 9);
  EXPECT_EQ(static_cast<uint8_t*>(back.data_ptr())[kBytes - 1], 9);
  // The copy the client holds is its own: a later change on the server leaves it alone.
  session.GetGlobalRequired("e2e.fill")(t, 1);
  EXPECT_EQ(static_cast<uint8_t*>(back.data_ptr())[0], 9);

  // Without shared memory, and for a small tensor, copies need the server.
  ConnectOptions apart;
  apart.shared_memory = false;
  apart.data_channel = false;
  Session remote = Connect(server->address(), apart);
  RemoteTensor far = remote.Empty(ffi::Shape({kBytes}), kU8, DLDevice{kDLCPU, 0});
  RemoteTensor small = session.Empty(ffi::Shape({1024}), kU8, DLDevice{kDLCPU, 0});
  far.CopyFrom(host);
  small.CopyFrom(testing::HostTensor(ffi::Shape({1024}), kU8));
  ASSERT_EQ(::kill(server->pid(), SIGSTOP), 0);
  // Starts copy on a thread of its own; whether it was still waiting 300 ms later.
  auto stuck = [](std::function<void()> copy) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread copier([copy = std::move(copy), done] {
      copy();
      done->store(true);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    bool waited = !done->load();
    return std::make_pair(std::move(copier), waited);
  };
  auto [far_copier, far_waited] = stuck([&] { far.ToHost(); });
  auto [small_copier, small_waited] = stuck([&] { small.ToHost(); });
  ASSERT_EQ(::kill(server->pid(), SIGCONT), 0);
  far_copier.join();
  small_copier.join();
  EXPECT_TRUE(far_waited);
  EXPECT_TRUE(small_waited);
}

// Copies in and out of a tensor on the server, of every dtype and of the shapes that are edge
// cases (0-d, empty, larger than the 4 MiB chunk and staging sizes), from a strided source
// too (a transposed view, also as a bare DLTensor*), through the stream and staged.
TEST(RemoteTensors, CopiesOfEveryDtypeAndShapeRoundTrip) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  constexpr DLDevice kCpu{kDLCPU, 0};
  for (const char* mode : {"stream", "data channel", "staged"}) {
    SCOPED_TRACE(mode);
    ConnectOptions options;
    options.shared_memory = std::string(mode) == "staged";
    options.data_channel = std::string(mode) == "data channel";
    Session session = Connect(server->address(), options);
    RemoteTensor t =
        testing::ExpectEveryDtypeAndShapeRoundTrips(session, kCpu, {int64_t{5 << 20} + 3});
    float values[4] = {};
    int64_t shape[2] = {2, 2};
    // A device tensor is not a host source.
    DLTensor on_gpu{values, DLDevice{kDLCUDA, 0}, 2, kF32, shape, nullptr, 0};
    EXPECT_EQ(ErrorOf([&] { t.CopyFrom(&on_gpu); }),
              "ValueError: CopyFrom takes a tensor in host memory (this one is on cuda:0)");
    // Nor a destination; and CopyTo's destination must match before a byte moves.
    EXPECT_EQ(ErrorOf([&] { t.CopyTo(&on_gpu); }),
              "ValueError: CopyTo takes a tensor in host memory (this one is on cuda:0)");
    EXPECT_EQ(ErrorOf([&] {
                t.CopyTo(testing::HostTensor(ffi::Shape({64, 33}), kF32));
              }),
              "ValueError: cannot copy a tensor of float32[33, 64] into one of float32[64, 33]");
    EXPECT_EQ(ErrorOf([&] {
                t.CopyTo(testing::HostTensor(ffi::Shape({33, 64}), kU8));
              }),
              "ValueError: cannot copy a tensor of float32[33, 64] into one of uint8[33, 64]");
    EXPECT_EQ(ErrorOf([&] { t.CopyTo(static_cast<DLTensor*>(nullptr)); }),
              "ValueError: CopyTo into a null DLTensor*");
    // Once the session is closed, CopyTo is a ConnectionError, as ToHost is.
    ffi::Tensor into = testing::HostTensor(ffi::Shape({33, 64}), kF32);
    session.Close();
    EXPECT_EQ(ErrorOf([&] { t.CopyTo(into); }).rfind("ConnectionError: ", 0), 0u);
  }
}

// Each session's calls launch on a stream of its own on each CUDA device (TVMFFIEnvGetStream
// while the call runs): the same stream for every call of one session, another for another
// session, and under --isolate the worker's own.
TEST(RemoteTensors, EachSessionsCallsRunOnItsOwnCudaStream) {
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "isolate" : "in process");
    auto server = ServerWithCudaDriver(
        TVMFFI_FAKE_CUDA_DRIVER,
        isolate ? std::vector<std::string>{"--isolate"} : std::vector<std::string>{});
    Session one = Connect(server->address());
    Session two = Connect(server->address());
    RemoteTensor a = one.Empty(ffi::Shape({16}), kU8, DLDevice{kDLCUDA, 0});
    RemoteTensor b = two.Empty(ffi::Shape({16}), kU8, DLDevice{kDLCUDA, 0});
    ffi::Function stream_one = one.GetGlobalRequired("e2e.env_stream");
    ffi::Function stream_two = two.GetGlobalRequired("e2e.env_stream");
    int64_t first = stream_one(a).cast<int64_t>();
    EXPECT_NE(first, 0);  // not the default stream
    EXPECT_EQ(stream_one(a).cast<int64_t>(), first);
    if (!isolate) {
      EXPECT_NE(stream_two(b).cast<int64_t>(), first);  // another session, another stream
    } else {
      EXPECT_NE(stream_two(b).cast<int64_t>(), 0);  // the worker's stream, for both
    }
    // Copies are ordered on the same stream, and the bytes arrive.
    ffi::Tensor host = testing::HostTensor(ffi::Shape({16}), kU8);
    std::memset(host.data_ptr(), 5, 16);
    a.CopyFrom(host);
    EXPECT_EQ(static_cast<const uint8_t*>(a.ToHost().data_ptr())[15], 5);
    // The function writes the server's tensor itself (under --isolate, from its worker through
    // CUDA IPC), and a tensor it returns is the client's remote tensor again.
    one.GetGlobalRequired("e2e.cuda_fill")(a, 6);
    EXPECT_EQ(static_cast<const uint8_t*>(a.ToHost().data_ptr())[0], 6);
    RemoteTensor same = one.GetGlobalRequired("e2e.echo")(a).cast<RemoteTensor>();
    one.GetGlobalRequired("e2e.cuda_fill")(same, 8);
    EXPECT_EQ(static_cast<const uint8_t*>(a.ToHost().data_ptr())[15], 8);
  }
}

// Client and server on one host, both with CUDA: a client's CUDA tensor passed to a function
// crosses by CUDA IPC (the stand-in driver's, here): the function works on the client's memory
// in place, and gets it back as the client's own tensor. Without shared memory (as from another
// host) it goes by value, through host memory.
TEST(RemoteTensors, ASameHostServerUsesAClientsCudaTensorInPlace) {
  ::setenv("TVMFFI_CUDA_DRIVER", TVMFFI_FAKE_CUDA_DRIVER, 1);  // this process's CUDA too
  ASSERT_TRUE(device::CudaStatus().ok()) << device::CudaStatus();
  ::setenv("FAKE_CUDA_IPC_CLOSE_MS", "20", 1);  // the server's closes take a while
  auto server = ServerWithCudaDriver(TVMFFI_FAKE_CUDA_DRIVER);
  ::unsetenv("FAKE_CUDA_IPC_CLOSE_MS");
  Session session = Connect(server->address());
  ASSERT_TRUE(session.SharesMemory());
  constexpr int64_t kBytes = 1 << 20;
  absl::StatusOr<ffi::Tensor> local =
      device::NewDeviceTensor(ffi::ShapeView({kBytes}), kU8, DLDevice{kDLCUDA, 0});
  ASSERT_TRUE(local.ok()) << local.status();
  std::vector<uint8_t> bytes(kBytes, 1);
  ASSERT_TRUE(device::CopyIntoTensor(*local->GetDLTensorPtr(), bytes.data(), kBytes).ok());
  EXPECT_EQ(session.GetGlobalRequired("e2e.device_type")(*local).cast<int>(), kDLCUDA);
  for (int value : {3, 4, 5}) {  // each call maps the same allocation again, in place
    session.GetGlobalRequired("e2e.cuda_fill")(*local, value);
    ASSERT_TRUE(device::CopyFromTensor(*local->GetDLTensorPtr(), bytes.data(), kBytes).ok());
    EXPECT_EQ(bytes[0], value);
    EXPECT_EQ(bytes[kBytes - 1], value);
  }
  // Call after call: the server maps the allocation again as the last call's view of it goes.
  // An open could come between that view's end and the mapping's close (here a slow one), and
  // the driver refused it as already mapped: the tensor arrived as a remote tensor (seen once
  // in 6 runs under ASan without the slow close).
  ffi::Function device_type = session.GetGlobalRequired("e2e.device_type");
  for (int i = 0; i < 50; ++i) ASSERT_EQ(device_type(*local).cast<int>(), kDLCUDA) << i;
  ffi::Tensor back = session.GetGlobalRequired("e2e.echo")(*local).cast<ffi::Tensor>();
  EXPECT_EQ(back.data_ptr(), local->data_ptr());  // this process's own tensor again
  ConnectOptions by_value;
  by_value.shared_memory = false;
  Session far = Connect(server->address(), by_value);
  EXPECT_EQ(far.GetGlobalRequired("e2e.device_type")(*local).cast<int>(), kDLCPU);
}

// A client's own CUDA tensor passed by value: the client's device layer copies it to host
// memory and it arrives as a host tensor (it was a TypeError). This process uses the stand-in
// driver, chosen before its first CUDA use.
TEST(RemoteTensors, ALocalCudaTensorIsSentByValueThroughTheClientsDeviceLayer) {
  ::setenv("TVMFFI_CUDA_DRIVER", TVMFFI_FAKE_CUDA_DRIVER, 1);
  absl::StatusOr<ffi::Tensor> local =
      device::NewDeviceTensor(ffi::ShapeView({3 << 20}), kU8, DLDevice{kDLCUDA, 0});
  ::unsetenv("TVMFFI_CUDA_DRIVER");
  ASSERT_TRUE(local.ok()) << local.status();
  std::vector<uint8_t> bytes(3 << 20);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(device::CopyIntoTensor(*local->GetDLTensorPtr(), bytes.data(), bytes.size()).ok());
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  Session session = Connect(server->address());
  ffi::Tensor back = session.GetGlobalRequired("e2e.echo")(*local).cast<ffi::Tensor>();
  EXPECT_EQ(back.device().device_type, kDLCPU);
  ASSERT_EQ(back.GetDataSize(), bytes.size());
  EXPECT_EQ(std::memcmp(back.data_ptr(), bytes.data(), bytes.size()), 0);
}

TEST(RemoteTensors, ASessionsDeviceMemoryIsBoundedByMaxDeviceMemory) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--max-device-memory", "1"});
  Session session = Connect(server.address());
  constexpr DLDevice kCpu{kDLCPU, 0};
  auto first = std::make_unique<RemoteTensor>(session.Empty(ffi::Shape({512 << 10}), kU8, kCpu));
  std::string error = ErrorOf([&] { session.Empty(ffi::Shape({600 << 10}), kU8, kCpu); });
  EXPECT_EQ(error.rfind("MemoryError: ", 0), 0u) << error;
  EXPECT_NE(error.find("over its limit of 1048576 (--max-device-memory)"), std::string::npos)
      << error;
  // The bound is per session.
  Session other = Connect(server.address());
  EXPECT_EQ(other.Empty(ffi::Shape({600 << 10}), kU8, kCpu).shape()[0], 600 << 10);
  // Freed memory counts no more.
  first.reset();
  for (int i = 0; i < 500 && error != "(no error)"; ++i) {
    error = ErrorOf([&] { session.Empty(ffi::Shape({600 << 10}), kU8, kCpu); });
    if (error != "(no error)") std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(error, "(no error)");
}

TEST(RemoteTensors, EveryTensorResultStaysRemoteWhenTheClientAsks) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  Session by_value = Connect(server.address());
  ffi::Any host = by_value.GetGlobalRequired("e2e.make_bytes")(4096, 9);
  EXPECT_EQ(host.cast<ffi::Tensor>().device().device_type, kDLCPU);  // the default: by value
  ConnectOptions options;
  options.keep_tensor_results_remote = true;
  Session session = Connect(server.address(), options);
  RemoteTensor t = session.GetGlobalRequired("e2e.make_bytes")(4096, 9).cast<RemoteTensor>();
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{4096}));
  ffi::Tensor back = t.ToHost();
  EXPECT_EQ(static_cast<const uint8_t*>(back.data_ptr())[4095], 9);
  // Passed back, it is the server's tensor again.
  session.GetGlobalRequired("e2e.fill")(t, 4);
  EXPECT_EQ(static_cast<const uint8_t*>(t.ToHost().data_ptr())[0], 4);
}

}  // namespace
}  // namespace tvmffi::rpc
