// Session::TimeEvaluator (issue #11): a function timed on the server, device synchronized
// around each repeat, the network not in the figure.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <chrono>
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

constexpr DLDevice kCpu{kDLCPU, 0};

TEST(TimeEvaluator, ReturnsTheFunctionsOwnTimePerCallForEachRepeat) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  Session session = Connect(server.address());
  TimeEvaluatorOptions options;
  options.number = 2;
  options.repeat = 3;
  ffi::Function timer =
      session.TimeEvaluator(session.GetGlobalRequired("e2e.sleep_ms"), kCpu, options);
  auto seconds = timer(5).cast<ffi::Array<double>>();
  ASSERT_EQ(seconds.size(), 3u);
  for (double s : seconds) {
    EXPECT_GE(s, 0.005);  // each call sleeps 5 ms at least
    EXPECT_LT(s, 1.0);
  }
}

TEST(TimeEvaluator, GrowsTheCallsPerRepeatToTheMinimumRepeatTime) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  Session session = Connect(server.address());
  ffi::Function count = session.GetGlobalRequired("e2e.count");
  TimeEvaluatorOptions options;
  options.repeat = 2;
  options.min_repeat_ms = 5;
  auto seconds = session.TimeEvaluator(count, kCpu, options)().cast<ffi::Array<double>>();
  ASSERT_EQ(seconds.size(), 2u);
  // A warm-up and two repeats of one call would be 3; 5 ms of calls are many more.
  EXPECT_GT(count().cast<int64_t>(), 100);
}

TEST(TimeEvaluator, TimesFunctionsOnRemoteTensors) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  Session session = Connect(server.address());
  RemoteTensor t = session.Empty(ffi::Shape({1 << 20}), DLDataType{kDLUInt, 8, 1}, kCpu);
  auto seconds = session.TimeEvaluator(session.GetGlobalRequired("e2e.fill"), kCpu)(t, 3)
                     .cast<ffi::Array<double>>();
  EXPECT_EQ(seconds.size(), 3u);
  EXPECT_EQ(static_cast<const uint8_t*>(t.ToHost().data_ptr())[(1 << 20) - 1], 3);
}

TEST(TimeEvaluator, BadOptionsMissingDevicesAndAbandonedTimingsAreErrors) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  // The checks of bad options get the default timeout (a slow sanitizer build can take more
  // than 0.5 s to answer them); only the abandoned timing runs on an impatient session.
  Session session = Connect(server.address());
  ffi::Function add = session.GetGlobalRequired("e2e.add");
  TimeEvaluatorOptions none;
  none.number = 0;
  EXPECT_EQ(ErrorOf([&] { session.TimeEvaluator(add, kCpu, none); }).rfind("ValueError: ", 0), 0u);
  EXPECT_EQ(ErrorOf([&] {
              session.TimeEvaluator(add, DLDevice{kDLCPU, 3});
            }).rfind("ValueError: ", 0),
            0u);
  // Ten minutes a repeat, but the caller gives up after 2 s: the server stops timing. The
  // timed function counts its calls, so the count must come to rest (only our own reads move
  // it, one each) rather than grow for ten minutes.
  ConnectOptions patient_once;
  patient_once.call_timeout_s = 2;  // the lookup below must fit in it, under TSan too
  Session impatient = Connect(server.address(), patient_once);
  ffi::Function timed = impatient.GetGlobalRequired("e2e.count");
  ffi::Function count = session.GetGlobalRequired("e2e.count");
  TimeEvaluatorOptions endless;
  endless.min_repeat_ms = 600000;
  std::string error = ErrorOf([&] { impatient.TimeEvaluator(timed, kCpu, endless)(); });
  EXPECT_EQ(error.rfind("TimeoutError: ", 0), 0u) << error;
  bool at_rest = false;
  for (int i = 0; i < 100 && !at_rest; ++i) {
    int64_t before = count().cast<int64_t>();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    at_rest = count().cast<int64_t>() == before + 1;
  }
  EXPECT_TRUE(at_rest) << "the server went on timing after its caller gave up";
  EXPECT_EQ(add(1, 2).cast<int>(), 3);
}

}  // namespace
}  // namespace tvmffi::rpc

namespace tvmffi::rpc {
namespace {

// On a CUDA device the session has a stream on, the figure comes from the device's own clock
// (CUDA events around the repeat on that stream). The stand-in driver here reports every
// event interval as 250 ms, which no host clock would give for a call of microseconds.
TEST(TimeEvaluator, OnACudaDeviceTheDevicesOwnClockTimesTheRepeat) {
  ::setenv("TVMFFI_CUDA_DRIVER", TVMFFI_FAKE_CUDA_DRIVER, 1);
  ::setenv("FAKE_CUDA_EVENT_MS", "250", 1);
  ServerProcess server({"--load", TVMFFI_E2E_MODULE});
  ::unsetenv("TVMFFI_CUDA_DRIVER");
  ::unsetenv("FAKE_CUDA_EVENT_MS");
  Session session = Connect(server.address());
  const DLDevice gpu{kDLCUDA, 0};
  RemoteTensor t = session.Empty(ffi::Shape({16}), DLDataType{kDLUInt, 8, 1}, gpu);
  TimeEvaluatorOptions options;
  options.number = 5;
  options.repeat = 2;
  auto seconds = session.TimeEvaluator(session.GetGlobalRequired("e2e.env_stream"), gpu, options)(t)
                     .cast<ffi::Array<double>>();
  ASSERT_EQ(seconds.size(), 2u);
  for (double s : seconds) EXPECT_DOUBLE_EQ(s, 0.25 / 5);
  // The CPU has no clock of its own: the host's, around the calls.
  auto on_cpu = session.TimeEvaluator(session.GetGlobalRequired("e2e.sleep_ms"), kCpu, options)(1)
                    .cast<ffi::Array<double>>();
  for (double s : on_cpu) {
    EXPECT_GE(s, 0.001);
    EXPECT_LT(s, 0.2);
  }
}

}  // namespace
}  // namespace tvmffi::rpc
