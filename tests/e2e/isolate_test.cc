// --isolate end to end: modules run in worker processes behind a real tvmffi-server. The user
// document's examples still work; a module that segfaults, aborts, exits or hangs fails only
// its own calls with RemoteCrashError (signal and the worker's backtrace), and the next call
// gets a fresh worker.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/tvm_ffi.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "testing/host_tensor.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ServerProcess;
using testing::WaitForFile;

struct Caught {
  std::string kind, message, backtrace;
};

Caught CatchError(const std::function<void()>& f) {
  try {
    f();
  } catch (const ffi::Error& e) {
    return {e.kind(), e.message(), e.backtrace()};
  }
  return {"(no error)", "", ""};
}

class IsolateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ =
        new ServerProcess({"--isolate", "--worker-timeout", "2", "--load", TVMFFI_MY_EXT_MODULE,
                           "--load", TVMFFI_E2E_MODULE, "--load", TVMFFI_CRASH_MODULE});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Session Connect(const ConnectOptions& options = {}) {
    return rpc::Connect(server_->address(), options);
  }
  static ServerProcess* server_;
};
ServerProcess* IsolateTest::server_ = nullptr;

TEST_F(IsolateTest, DocExamplesRunInTheWorker) {
  Session session = Connect();
  EXPECT_TRUE(session.Info().isolate);
  EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(41).cast<int>(), 42);
  ffi::Module mod = session.LoadModule("my_ext");
  EXPECT_EQ(mod->GetFunction("add_two").value()(40).cast<int>(), 42);
  EXPECT_FALSE(mod->GetFunction("no_such").has_value());
  Caught err = CatchError([&] { session.GetGlobalRequired("my_ext.throw_error")(-1); });
  EXPECT_EQ(err.kind, "ValueError");
  EXPECT_EQ(err.message, "x must be non-negative, got -1");
  // Both hops show: the worker's frames, its marker, the front's marker.
  size_t frame = err.backtrace.find("my_ext.cc");
  size_t worker = err.backtrace.find("[remote call to worker my_ext (pid ");
  size_t front = err.backtrace.find("[remote call to tvmffi-server]");
  ASSERT_NE(frame, std::string::npos) << err.backtrace;
  ASSERT_NE(worker, std::string::npos) << err.backtrace;
  ASSERT_NE(front, std::string::npos) << err.backtrace;
  EXPECT_LT(frame, worker);
  EXPECT_LT(worker, front);
  std::vector<std::string> names = session.ListGlobalNames("my_ext.");
  EXPECT_EQ(names, (std::vector<std::string>{"my_ext.add_one", "my_ext.throw_error"}));
}

TEST_F(IsolateTest, SystemLibrarySymbolsOfAModuleAreServedFromItsWorker) {
  Session session = Connect();
  ffi::Module lib = session.SystemLib("my_prefix.");
  ffi::Function add_one = lib->GetFunction("add_one").value();  // registered in e2e's worker
  EXPECT_EQ(add_one(41).cast<int>(), 42);
  EXPECT_FALSE(lib->GetFunction("no_such_symbol").has_value());
  // A crash in another module's worker leaves it be: the same process serves the symbol.
  int before = session.GetGlobalRequired("crash.pid")().cast<int>();
  int e2e_before = session.GetGlobalRequired("e2e.pid")().cast<int>();
  (void)CatchError([&] { session.GetGlobalRequired("crash.abort")(); });
  EXPECT_NE(session.GetGlobalRequired("crash.pid")().cast<int>(), before);
  EXPECT_EQ(add_one(1).cast<int>(), 2);
  EXPECT_EQ(session.GetGlobalRequired("e2e.pid")().cast<int>(), e2e_before);
}

TEST_F(IsolateTest, FunctionsRunInAnotherProcess) {
  Session session = Connect();
  int pid = session.GetGlobalRequired("crash.pid")().cast<int>();
  EXPECT_NE(pid, server_->pid());
  EXPECT_EQ(session.LoadModule("crash_module")->GetFunction("pid").value()().cast<int>(), pid);
}

TEST_F(IsolateTest, CallbacksValuesAndTensorsCrossBothHops) {
  Session session = Connect();
  ffi::Function twice = ffi::Function::FromTyped([](int x) { return 2 * x; });
  EXPECT_EQ(session.GetGlobalRequired("e2e.apply")(twice, 21).cast<int>(), 42);
  ffi::Function adder = session.GetGlobalRequired("e2e.make_adder")(10).cast<ffi::Function>();
  EXPECT_EQ(adder(5).cast<int>(), 15);
  ffi::Array<ffi::Any> arr{ffi::Any(1), ffi::Any(ffi::String("two")), ffi::Any(3.5)};
  auto back = session.GetGlobalRequired("e2e.echo")(arr).cast<ffi::Array<ffi::Any>>();
  EXPECT_EQ(back[1].cast<std::string>(), "two");
  // 2 MiB: staged in shared memory on both hops (all on this host), and with the client's
  // shared memory off, chunked through the client's stream.
  ffi::Tensor t = testing::HostTensor(ffi::Shape({512, 1024}), DLDataType{kDLFloat, 32, 1});
  for (int64_t i = 0; i < 512 * 1024; ++i) static_cast<float*>(t.data_ptr())[i] = float(i % 97);
  auto echoed = session.GetGlobalRequired("e2e.echo")(t).cast<ffi::Tensor>();
  ASSERT_EQ(echoed.numel(), t.numel());
  EXPECT_EQ(std::memcmp(echoed.data_ptr(), t.data_ptr(), 2 << 20), 0);
  ConnectOptions no_shm;
  no_shm.shared_memory = false;
  Session streamed = Connect(no_shm);
  echoed = streamed.GetGlobalRequired("e2e.echo")(t).cast<ffi::Tensor>();
  ASSERT_EQ(echoed.numel(), t.numel());
  EXPECT_EQ(std::memcmp(echoed.data_ptr(), t.data_ptr(), 2 << 20), 0);
}

TEST_F(IsolateTest, SharedTensorsReachTheWorkerByReference) {
  Session session = Connect();
  ASSERT_TRUE(session.SharesMemory());
  ffi::Tensor t = NewSharedTensor(ffi::Shape({4 << 20}), DLDataType{kDLUInt, 8, 1});
  std::memset(t.data_ptr(), 0, 4 << 20);
  session.GetGlobalRequired("e2e.fill")(t, 3);  // client -> front -> worker, no copies
  EXPECT_EQ(static_cast<const unsigned char*>(t.data_ptr())[(4 << 20) - 1], 3);
  ffi::Tensor back = session.GetGlobalRequired("e2e.echo")(t).cast<ffi::Tensor>();
  EXPECT_EQ(back.data_ptr(), t.data_ptr());
}

// Tensors that live on the server (its CPU here) reach a module's function in its worker as
// themselves: the worker maps the front's bytes, so what it writes is what ToHost reads, and a
// tensor it returns is the client's remote tensor again. With the client's shared memory on or
// off (the workers share the front's memory either way).
TEST_F(IsolateTest, RemoteTensorsReachTheWorkerAsThemselves) {
  for (bool shared_memory : {true, false}) {
    SCOPED_TRACE(shared_memory ? "client shares memory" : "client does not share memory");
    ConnectOptions options;
    options.shared_memory = shared_memory;
    Session session = Connect(options);
    const int64_t n = 3 << 20;
    RemoteTensor t = session.Empty(ffi::Shape({n}), DLDataType{kDLUInt, 8, 1}, DLDevice{kDLCPU, 0});
    ffi::Tensor zeros = testing::HostTensor(ffi::Shape({n}), DLDataType{kDLUInt, 8, 1});
    std::memset(zeros.data_ptr(), 0, n);
    t.CopyFrom(zeros);
    int worker = session.GetGlobalRequired("e2e.pid")().cast<int>();
    EXPECT_NE(worker, server_->pid());  // the module runs in a worker
    session.GetGlobalRequired("e2e.fill")(t, 9);
    ffi::Tensor back = t.ToHost();
    const auto* bytes = static_cast<const uint8_t*>(back.data_ptr());
    EXPECT_EQ(bytes[0], 9);
    EXPECT_EQ(bytes[n - 1], 9);
    ffi::Any echoed = session.GetGlobalRequired("e2e.echo")(t);
    RemoteTensor same = echoed.cast<RemoteTensor>();  // still the server's tensor
    EXPECT_EQ(same.shape(), t.shape());
    session.GetGlobalRequired("e2e.fill")(same, 4);
    EXPECT_EQ(static_cast<const uint8_t*>(t.ToHost().data_ptr())[n / 2], 4);
  }
}

TEST_F(IsolateTest, SegfaultIsRemoteCrashErrorAndTheNextCallGetsAFreshWorker) {
  Session session = Connect();
  ffi::Function pid = session.GetGlobalRequired("crash.pid");
  int before = pid().cast<int>();
  int e2e_before = session.GetGlobalRequired("e2e.pid")().cast<int>();
  Caught err = CatchError([&] { session.GetGlobalRequired("crash.segfault")(1); });
  EXPECT_EQ(err.kind, "RemoteCrashError");
  EXPECT_NE(err.message.find("worker of module `crash_module` (pid " + std::to_string(before)),
            std::string::npos)
      << err.message;
  EXPECT_NE(err.message.find("crashed with signal 11 (SIGSEGV"), std::string::npos) << err.message;
  // The worker's own backtrace, taken in its signal handler, comes first, down to the module.
#if defined(__SANITIZE_THREAD__)
  // Under TSan the handler cannot finish the symbolized walk: glibc's raw frames come instead.
  size_t frame = err.backtrace.find("crash_module.so");
#else
  size_t frame = err.backtrace.find("WriteThroughNull");
#endif
  size_t marker = err.backtrace.find("[remote call to worker crash_module");
  ASSERT_NE(frame, std::string::npos) << err.backtrace;
  ASSERT_NE(marker, std::string::npos) << err.backtrace;
  EXPECT_LT(frame, marker);
#if !defined(__SANITIZE_THREAD__)
  EXPECT_EQ(err.backtrace.find("OnCrash"), std::string::npos) << err.backtrace;
  EXPECT_EQ(err.backtrace.find("Endpoint::ServeCall"), std::string::npos) << err.backtrace;
#endif
  int after = pid().cast<int>();  // the same proxy: the module's name outlives its worker
  EXPECT_NE(after, before);
  EXPECT_NE(after, server_->pid());
  // Other modules' workers were not touched: the same process still serves them.
  EXPECT_EQ(session.GetGlobalRequired("e2e.pid")().cast<int>(), e2e_before);
  EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(1).cast<int>(), 2);
}

TEST_F(IsolateTest, AbortAndExitAreRemoteCrashErrors) {
  Session session = Connect();
  ffi::Function pid = session.GetGlobalRequired("crash.pid");
  int first = pid().cast<int>();
  Caught aborted = CatchError([&] { session.GetGlobalRequired("crash.abort")(); });
  EXPECT_EQ(aborted.kind, "RemoteCrashError");
  EXPECT_NE(aborted.message.find("SIGABRT"), std::string::npos) << aborted.message;
  int second = pid().cast<int>();  // a fresh worker after each
  EXPECT_NE(second, first);
  Caught exited = CatchError([&] { session.GetGlobalRequired("crash.exit")(3); });
  EXPECT_EQ(exited.kind, "RemoteCrashError");
  EXPECT_NE(exited.message.find("exited with status 3"), std::string::npos) << exited.message;
  int third = pid().cast<int>();
  EXPECT_NE(third, second);
  EXPECT_NE(third, first);
}

TEST_F(IsolateTest, HangIsKilledAfterTheWorkerTimeout) {
  Session session = Connect();
  int before = session.GetGlobalRequired("crash.pid")().cast<int>();
  Caught err = CatchError([&] { session.GetGlobalRequired("crash.hang")(); });
  EXPECT_EQ(err.kind, "RemoteCrashError");
  EXPECT_NE(err.message.find("ran longer than --worker-timeout (2s)"), std::string::npos)
      << err.message;
  EXPECT_NE(session.GetGlobalRequired("crash.pid")().cast<int>(), before);
}

TEST_F(IsolateTest, ACrashFailsEveryCallInFlightOnItsWorkerOnly) {
  Session session = Connect();
  std::string dir = testing::TempDir();
  ffi::Function runs_a_while = session.GetGlobalRequired("e2e.until_cancelled");
  ffi::Function hang = session.GetGlobalRequired("crash.hang_marked");
  // In flight on e2e's worker (returns -1 after 1 s) and on crash's worker (never returns).
  std::thread other([&] { EXPECT_EQ(runs_a_while(dir + "/other", 1.0).cast<int>(), -1); });
  Caught hung;
  std::thread same([&] { hung = CatchError([&] { hang(dir + "/same"); }); });
  ASSERT_TRUE(WaitForFile(dir + "/other"));
  ASSERT_TRUE(WaitForFile(dir + "/same"));
  Caught err = CatchError([&] { session.GetGlobalRequired("crash.segfault")(2); });
  other.join();
  same.join();
  EXPECT_EQ(err.kind, "RemoteCrashError");
  // The hanging call ended with the segfault's report, not with the 2 s worker timeout.
  EXPECT_EQ(hung.kind, "RemoteCrashError");
  EXPECT_NE(hung.message.find("signal 11"), std::string::npos) << hung.message;
}

TEST(IsolateServer, AModuleThatDoesNotLoadStopsTheServerWithItsReason) {
  std::string dir = testing::TempDir();
  std::string bogus = dir + "/bogus.so";
  ASSERT_EQ(std::system(("echo 'not a library' > " + bogus).c_str()), 0);
  std::string out = dir + "/stderr";
  int rc = std::system((std::string(TVMFFI_SERVER_BINARY) +
                        " --isolate --listen 127.0.0.1:0 --load " + bogus + " 2> " + out)
                           .c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("cannot load --load " + bogus), std::string::npos) << text;
  // The loader's own reason, not the worker's exit status.
  EXPECT_NE(text.find("file too short"), std::string::npos) << text;
  EXPECT_EQ(text.find("exited with status"), std::string::npos) << text;
}

TEST(IsolateServer, ModuleDirModulesRunInWorkers) {
  std::string dir = testing::TempDir();
  ASSERT_EQ(mkdir((dir + "/modules").c_str(), 0755), 0);
  ASSERT_EQ(
      std::system(("cp " + std::string(TVMFFI_CRASH_MODULE) + " " + dir + "/modules/c.so").c_str()),
      0);
  ServerProcess server({"--isolate", "--module-dir", dir + "/modules"});
  Session session = rpc::Connect(server.address());
  ffi::Module mod = session.LoadModule("c");
  int pid = mod->GetFunction("pid").value()().cast<int>();
  EXPECT_NE(pid, server.pid());
  EXPECT_EQ(session.GetGlobalRequired("crash.pid")().cast<int>(), pid);  // its globals too
}

TEST(IsolateServer, UploadedModulesRunInWorkersThatRestart) {
  ServerProcess server({"--isolate", "--allow-upload"});
  Session session = rpc::Connect(server.address());
  ffi::Module mod = session.UploadModule(TVMFFI_CRASH_MODULE, "up");
  int pid = mod->GetFunction("pid").value()().cast<int>();
  EXPECT_NE(pid, server.pid());
  EXPECT_EQ(CatchError([&] { session.GetGlobalRequired("crash.abort")(); }).kind,
            "RemoteCrashError");
  // The replacement worker loads the uploaded file again.
  int again = mod->GetFunction("pid").value()().cast<int>();
  EXPECT_NE(again, pid);
  EXPECT_NE(again, server.pid());
}

// A process that has exited (gone, or a zombie left to an init that does not reap).
bool Exited(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  size_t paren = text.rfind(')');
  return text.empty() ||
         (paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z');
}

bool EventuallyExited(int pid) {
  for (int i = 0; i < 250 && !Exited(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Exited(pid);
}

TEST(IsolateServer, WorkersEndWithTheServer) {
  ServerProcess server({"--isolate", "--load", TVMFFI_CRASH_MODULE});
  int worker = rpc::Connect(server.address()).GetGlobalRequired("crash.pid")().cast<int>();
  EXPECT_FALSE(Exited(worker));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_TRUE(EventuallyExited(worker));
}

TEST(IsolateServer, AHungWorkerDiesWithAKilledServer) {
  ServerProcess server({"--isolate", "--load", TVMFFI_CRASH_MODULE});
  Session session = rpc::Connect(server.address());
  int worker = session.GetGlobalRequired("crash.pid")().cast<int>();
  ffi::Function hang = session.GetGlobalRequired("crash.hang_marked");
  std::string marker = testing::TempDir() + "/hanging";
  std::thread caller([&] {
    EXPECT_EQ(CatchError([&] { hang(marker); }).kind, "ConnectionError");  // no hang here either
  });
  ASSERT_TRUE(WaitForFile(marker));
  server.Stop(SIGKILL);  // no chance to clean up: the kernel ends the worker (PDEATHSIG)
  caller.join();
  EXPECT_TRUE(EventuallyExited(worker));
}

}  // namespace
}  // namespace tvmffi::rpc
