// End to end: a real tvmffi-server process on a free loopback port (or a unix socket), called
// through the real client. The user document's examples, every value kind, callbacks, threads,
// errors, limits, security defaults and failures of either side.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/tvm_ffi.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include "testing/error_of.h"
#include "testing/host_tensor.h"
#include "testing/server_process.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"

extern "C" {
extern FILE* g_doc_error_stream;
void HandleReturnCode(int rc);
int LookupAndCall(const char* global_function_name, const TVMFFIAny* args, int num_args,
                  TVMFFIAny* result);
}

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::RunCli;
using testing::ServerProcess;
using testing::WaitForFile;

std::vector<std::string> StandardModules() {
  return {"--load", TVMFFI_MY_EXT_MODULE, "--load", TVMFFI_E2E_MODULE};
}

using testing::ErrorOf;

class RemoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(StandardModules()); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Session Connect(ConnectOptions options = {}) { return rpc::Connect(server_->address(), options); }
  static ServerProcess* server_;
};
ServerProcess* RemoteTest::server_ = nullptr;

// --- The user document's examples, remotely ---

TEST_F(RemoteTest, DocRetrieveGlobalFunction) {
  Session session = Connect();
  ffi::Function func = session.GetGlobalRequired("my_ext.add_one");
  int result = func(41);  // -> 42
  EXPECT_EQ(result, 42);
}

TEST_F(RemoteTest, DocModuleFunction) {
  Session session = Connect();
  ffi::Module mod = session.LoadModule("my_ext");
  ffi::Function add_two = mod->GetFunction("add_two").value();
  EXPECT_EQ(add_two(40).cast<int>(), 42);
  EXPECT_FALSE(mod->GetFunction("no_such").has_value());
}

TEST_F(RemoteTest, DocSystemLibrary) {
  Session session = Connect();
  ffi::Module mod = session.SystemLib("my_prefix.");
  ffi::Function func = mod->GetFunction("add_one").value();
  EXPECT_EQ(func(10).cast<int>(), 11);
}

TEST_F(RemoteTest, DocTypedFunction) {
  Session session = Connect();
  ffi::TypedFunction<int(int)> add_one = session.GetGlobalRequired("my_ext.add_one");
  EXPECT_EQ(add_one(1), 2);
}

TEST_F(RemoteTest, DocThrowSurfacesAsRemoteValueError) {
  Session session = Connect();
  try {
    session.GetGlobalRequired("my_ext.throw_error")(-1);
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "x must be non-negative, got -1");
    std::string bt = e.backtrace();
    size_t remote = bt.find("my_ext.cc");
    size_t marker = bt.find("[remote call to tvmffi-server]");
    ASSERT_NE(remote, std::string::npos) << bt;
    ASSERT_NE(marker, std::string::npos) << bt;
    EXPECT_LT(remote, marker);  // the remote frames come first
    // The server's engine frames are trimmed.
    EXPECT_EQ(bt.find("Endpoint::ServeCall"), std::string::npos) << bt;
  }
}

TEST_F(RemoteTest, DocCLookupAndCallThroughImportedGlobals) {
  Session session = Connect();
  EXPECT_EQ(session.ImportGlobals("my_ext."), 2);
  // Unchanged C code: TVMFFIFunctionGetGlobal + TVMFFIFunctionCall, now remote.
  ffi::AnyView args[1] = {ffi::AnyView(41)};
  ffi::Any result;
  ASSERT_EQ(LookupAndCall("my_ext.add_one", reinterpret_cast<const TVMFFIAny*>(args), 1,
                          reinterpret_cast<TVMFFIAny*>(&result)),
            0);
  EXPECT_EQ(result.cast<int>(), 42);
  // A remote error arrives in TLS as -1; the C HandleReturnCode prints it.
  FILE* capture = std::tmpfile();
  g_doc_error_stream = capture;
  ffi::AnyView bad[1] = {ffi::AnyView(-3)};
  ffi::Any ignored;
  int rc = LookupAndCall("my_ext.throw_error", reinterpret_cast<const TVMFFIAny*>(bad), 1,
                         reinterpret_cast<TVMFFIAny*>(&ignored));
  EXPECT_EQ(rc, -1);
  HandleReturnCode(rc);
  g_doc_error_stream = nullptr;
  std::fflush(capture);
  std::rewind(capture);
  char buf[4096] = {0};
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, capture);
  std::fclose(capture);
  std::string printed(buf, n);
  EXPECT_EQ(printed.rfind("ValueError: x must be non-negative, got -3\n", 0), 0u) << printed;
  EXPECT_NE(printed.find("[remote call to tvmffi-server]"), std::string::npos) << printed;
  ffi::Function::RemoveGlobal("my_ext.add_one");
  ffi::Function::RemoveGlobal("my_ext.throw_error");
}

// --- Values, callbacks, concurrency ---

TEST_F(RemoteTest, EveryValueKindRoundTrips) {
  Session session = Connect();
  ffi::Function echo = session.GetGlobalRequired("e2e.echo");
  EXPECT_TRUE(echo(nullptr) == nullptr);
  EXPECT_EQ(echo(int64_t{-7}).cast<int64_t>(), -7);
  EXPECT_EQ(echo(true).type_index(), kTVMFFIBool);
  EXPECT_DOUBLE_EQ(echo(0.25).cast<double>(), 0.25);
  EXPECT_EQ(echo(DLDataType{kDLFloat, 16, 2}).cast<DLDataType>().lanes, 2);
  EXPECT_EQ(echo(DLDevice{kDLCUDA, 1}).cast<DLDevice>().device_id, 1);
  EXPECT_EQ(echo("small").cast<std::string>(), "small");
  std::string long_str(10000, 'x');
  EXPECT_EQ(echo(ffi::String(long_str)).cast<std::string>(), long_str);
  EXPECT_EQ(std::string(echo(ffi::Bytes("\0\1\2", 3)).cast<ffi::Bytes>()),
            std::string("\0\1\2", 3));
  EXPECT_EQ(echo(ffi::Shape({4, 5})).cast<ffi::Shape>().Product(), 20);
  ffi::Array<ffi::Any> arr{ffi::Any(1), ffi::Any(ffi::String("two")),
                           ffi::Any(ffi::Array<ffi::Any>{ffi::Any(3)})};
  auto arr_back = echo(arr).cast<ffi::Array<ffi::Any>>();
  EXPECT_EQ(arr_back[2].cast<ffi::Array<ffi::Any>>()[0].cast<int>(), 3);
  ffi::Map<ffi::String, ffi::Any> map{{"k", ffi::Any(1.5)}};
  using StrMap = ffi::Map<ffi::String, ffi::Any>;
  EXPECT_DOUBLE_EQ(echo(map).cast<StrMap>()["k"].cast<double>(), 1.5);
  ffi::Tensor t = testing::HostTensor(ffi::Shape({3, 4}), DLDataType{kDLFloat, 32, 1});
  for (int i = 0; i < 12; ++i) static_cast<float*>(t.data_ptr())[i] = i * 0.5f;
  ffi::Tensor tb = echo(t).cast<ffi::Tensor>();
  EXPECT_EQ(tb.shape()[1], 4);
  EXPECT_FLOAT_EQ(static_cast<float*>(tb.data_ptr())[11], 5.5f);
  ffi::Error err("IndexError", "as a value", "");
  EXPECT_EQ(echo(err).cast<ffi::Error>().kind(), "IndexError");
  // A function sent and echoed back is our own function again.
  ffi::Function local = ffi::Function::FromTyped([](int x) { return x; });
  EXPECT_TRUE(echo(local).cast<ffi::Function>().same_as(local));
}

TEST_F(RemoteTest, SixtyFourMiBTensorRoundTrip) {
  Session session = Connect();
  ffi::Tensor t = testing::HostTensor(ffi::Shape({16, 1024, 1024}), DLDataType{kDLFloat, 32, 1});
  auto* data = static_cast<float*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i) data[i] = static_cast<float>(i & 0xffff);
  ffi::Tensor back = session.GetGlobalRequired("e2e.echo")(t).cast<ffi::Tensor>();
  ASSERT_EQ(back.numel(), t.numel());
  EXPECT_EQ(std::memcmp(back.data_ptr(), t.data_ptr(), t.GetDataSize()), 0);
}

// A result the server made and drops as soon as its Return and chunks are written (an echo
// returns its argument, which outlives the call): every byte of it must arrive, through the
// stream (no shared memory) and through a staging slot (this host's default).
TEST_F(RemoteTest, AFreshTensorReturnedInChunksArrivesWhole) {
  for (bool shared_memory : {false, true}) {
    SCOPED_TRACE(shared_memory ? "staged" : "stream");
    ConnectOptions options;
    options.shared_memory = shared_memory;
    Session session = Connect(options);
    ASSERT_EQ(session.SharesMemory(), shared_memory);
    ffi::Function make_bytes = session.GetGlobalRequired("e2e.make_bytes");
    for (int value : {7, 9, 11}) {
      ffi::Tensor t = make_bytes(int64_t{24} << 20, value).cast<ffi::Tensor>();
      ASSERT_EQ(t.numel(), int64_t{24} << 20);
      // memcmp, not a loop over the bytes: a sanitizer checks it as one range (a byte loop took
      // half a minute under TSan).
      const std::string expected(static_cast<size_t>(t.numel()), static_cast<char>(value));
      EXPECT_EQ(std::memcmp(t.data_ptr(), expected.data(), expected.size()), 0) << value;
    }
  }
}

TEST_F(RemoteTest, SharedTensorsCrossByReferenceOnThisHost) {
  Session session = Connect();
  ASSERT_TRUE(session.SharesMemory());
  ffi::Tensor t = NewSharedTensor(ffi::Shape({16, 1024, 1024}), DLDataType{kDLFloat, 32, 1});
  std::memset(t.data_ptr(), 0, t.GetDataSize());
  session.GetGlobalRequired("e2e.fill")(t, 5);  // the server process writes our pages
  const auto* bytes = static_cast<const unsigned char*>(t.data_ptr());
  EXPECT_EQ(bytes[0], 5);
  EXPECT_EQ(bytes[t.GetDataSize() - 1], 5);
  ffi::Tensor back = session.GetGlobalRequired("e2e.echo")(t).cast<ffi::Tensor>();
  EXPECT_EQ(back.data_ptr(), t.data_ptr());  // the server's view came home as ours
  // A plain tensor still goes by value: the server fills its own copy.
  ffi::Tensor plain = testing::HostTensor(ffi::Shape({1024}), DLDataType{kDLUInt, 8, 1});
  std::memset(plain.data_ptr(), 1, 1024);
  session.GetGlobalRequired("e2e.fill")(plain, 7);
  EXPECT_EQ(static_cast<const unsigned char*>(plain.data_ptr())[0], 1);
  EXPECT_NE(session.GetGlobalRequired("e2e.echo")(plain).cast<ffi::Tensor>().data_ptr(),
            plain.data_ptr());
  // A client that opts out sends shared ones by value too.
  ConnectOptions no_shm;
  no_shm.shared_memory = false;
  Session copying = Connect(no_shm);
  EXPECT_FALSE(copying.SharesMemory());
  copying.GetGlobalRequired("e2e.fill")(t, 9);
  EXPECT_EQ(bytes[0], 5);
}

TEST(RemoteServer, NoSharedMemoryFlagSendsBytes) {
  ServerProcess server({"--load", TVMFFI_E2E_MODULE, "--no-shared-memory"});
  Session session = Connect(server.address());
  EXPECT_FALSE(session.SharesMemory());
  ffi::Tensor t = NewSharedTensor(ffi::Shape({1024}), DLDataType{kDLUInt, 8, 1});
  std::memset(t.data_ptr(), 1, 1024);
  session.GetGlobalRequired("e2e.fill")(t, 2);
  EXPECT_EQ(static_cast<const unsigned char*>(t.data_ptr())[0], 1);  // it filled a copy
  ffi::Tensor back = session.GetGlobalRequired("e2e.echo")(t).cast<ffi::Tensor>();
  EXPECT_NE(back.data_ptr(), t.data_ptr());
  EXPECT_EQ(std::memcmp(back.data_ptr(), t.data_ptr(), 1024), 0);
}

TEST_F(RemoteTest, CallbacksThreeLevelsDeep) {
  Session session = Connect();
  ffi::Function recurse = session.GetGlobalRequired("e2e.recurse");
  ffi::Function cb;
  cb = ffi::Function::FromTyped(
      [&recurse, &cb](int n) { return recurse(cb, n - 1).cast<int>() + 1; });
  EXPECT_EQ(recurse(cb, 3).cast<int>(), 3);
  ffi::Function apply = session.GetGlobalRequired("e2e.apply");
  EXPECT_EQ(apply(ffi::Function::FromTyped([](int x) { return x * 2; }), 21).cast<int>(), 42);
  cb = ffi::Function(nullptr);
}

TEST_F(RemoteTest, ReturnedFunctionsAreProxies) {
  Session session = Connect();
  ffi::Function add5 = session.GetGlobalRequired("e2e.make_adder")(5).cast<ffi::Function>();
  EXPECT_EQ(add5(1).cast<int>(), 6);
}

TEST_F(RemoteTest, SixteenThreadsOnOneSession) {
  Session session = Connect();
  ffi::Function add = session.GetGlobalRequired("e2e.add");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (add(t, i).cast<int>() != t + i) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// --- Errors ---

TEST_F(RemoteTest, UnknownNamesArgumentsAndUnpublishedFunctions) {
  Session session = Connect();
  EXPECT_FALSE(session.GetGlobal("e2e.nope").has_value());
  EXPECT_EQ(ErrorOf([&] { session.GetGlobalRequired("e2e.nope"); }),
            "ValueError: Function e2e.nope not found");
  ffi::Function add = session.GetGlobalRequired("e2e.add");
  EXPECT_NE(ErrorOf([&] { add("a", 1); }).find("TypeError: Mismatched type on argument #0"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { add(1); }).find("TypeError: Mismatched number of arguments"),
            std::string::npos);
  // The runtime's own functions are never reachable.
  for (const char* name : {"ffi.ModuleLoadFromFile", "ffi.FunctionRemoveGlobal",
                           "ffi.FunctionFromExternC", "ffi.SystemLib"}) {
    EXPECT_EQ(
        ErrorOf([&] { session.GetGlobal(name); }),
        std::string("PermissionError: Function ") + name + " is not published by this server");
  }
  std::vector<std::string> names = session.ListGlobalNames();
  for (const std::string& n : names) EXPECT_NE(n.rfind("ffi.", 0), 0u) << n;
  EXPECT_EQ(ErrorOf([&] {
              session.GetGlobalRequired("e2e.raw_pointer")();
            }).rfind("TypeError: cannot send a raw pointer", 0),
            0u);
  try {
    session.GetGlobalRequired("e2e.throw_with_cause")();
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "RuntimeError");
    ASSERT_TRUE(e.cause_chain().has_value());
    EXPECT_EQ(e.cause_chain()->kind(), "KeyError");
  }
  // The session survives all of that.
  EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(1).cast<int>(), 2);
}

TEST_F(RemoteTest, ModuleDirIsOffByDefault) {
  Session session = Connect();
  EXPECT_EQ(ErrorOf([&] { session.LoadModule("my_ext_copy"); }).rfind("PermissionError", 0), 0u);
  EXPECT_EQ(ErrorOf([&] {
              session.LoadModule("../etc/passwd");
            }).rfind("ValueError: invalid module name", 0),
            0u);
  EXPECT_EQ(ErrorOf([&] {
              session.LoadModule("/etc/passwd");
            }).rfind("ValueError: invalid module name", 0),
            0u);
}

TEST_F(RemoteTest, UploadIsOffByDefault) {
  Session session = Connect();
  EXPECT_FALSE(session.Info().upload_enabled);
  EXPECT_EQ(ErrorOf([&] {
              session.UploadModule(TVMFFI_E2E_MODULE, "uploaded");
            }).rfind("PermissionError: this server does not accept uploaded modules", 0),
            0u);
}

TEST(RemoteServer, AllowUploadLoadsAClientsModuleBytes) {
  ServerProcess server({"--allow-upload"});
  Session session = Connect(server.address());
  EXPECT_TRUE(session.Info().upload_enabled);
  EXPECT_FALSE(session.GetGlobal("e2e.add").has_value());
  ffi::Module mod = session.UploadModule(TVMFFI_E2E_MODULE, "mine");
  EXPECT_EQ(mod->GetFunction("add_two").value()(40).cast<int>(), 42);
  // Its static init ran in the server: its globals are published like a --load module's.
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(2, 3).cast<int>(), 5);
  EXPECT_EQ(session.LoadModule("mine")->GetFunction("add_two").value()(1).cast<int>(), 3);
  // A taken name, a path for a name, and bytes that are no library are typed errors.
  EXPECT_EQ(ErrorOf([&] {
              session.UploadModule(TVMFFI_E2E_MODULE, "mine");
            }).rfind("ValueError: a module named `mine` is already loaded", 0),
            0u);
  EXPECT_EQ(ErrorOf([&] {
              session.UploadModule(TVMFFI_E2E_MODULE, "../mine");
            }).rfind("ValueError: invalid module name", 0),
            0u);
  // The same library again under another name: its globals are taken. The server says so and
  // keeps serving (the registration error would otherwise escape a static constructor).
  EXPECT_EQ(ErrorOf([&] { session.UploadModule(TVMFFI_E2E_MODULE, "again"); })
                .rfind("ValueError: the uploaded module `again` cannot be loaded: RuntimeError: "
                       "Library ",
                       0),
            0u);
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(2, 3).cast<int>(), 5);
  std::string junk = testing::TempDir() + "/junk.so";
  std::ofstream(junk) << "not an ELF file";
  std::string error = ErrorOf([&] { session.UploadModule(junk); });
  EXPECT_NE(error.find("junk"), std::string::npos) << error;
  EXPECT_EQ(error.find("(no error)"), std::string::npos);
  // The failed name is free again, and the command line uploads too.
  testing::CommandResult cli =
      RunCli({"upload", "--server", server.address(), TVMFFI_MY_EXT_MODULE, "junk"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out, "junk\n");
  cli = RunCli({"call", "--server", server.address(), "--module", "junk", "add_two", "40"});
  EXPECT_EQ(cli.out, "42\n") << cli.err;
  cli = RunCli({"info", "--server", server.address()});
  EXPECT_NE(cli.out.find("module upload: enabled"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("shared memory: yes"), std::string::npos) << cli.out;
}

TEST_F(RemoteTest, DeadlineExceededIsTimeoutError) {
  ConnectOptions options;
  options.call_timeout_s = 1;  // the lookup and the quick call must fit in it, under TSan too
  Session session = Connect(options);
  ffi::Function sleep_ms = session.GetGlobalRequired("e2e.sleep_ms");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ErrorOf([&] { sleep_ms(4000); }).rfind("TimeoutError", 0), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(sleep_ms(1).cast<int>(), 1);
}

TEST_F(RemoteTest, CommandLine) {
  const std::string addr = server_->address();
  auto r = RunCli({"call", "--server", addr, "my_ext.add_one", "41"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "42\n");
  r = RunCli({"call", "--server", addr, "--module", "my_ext", "add_two", "40"});
  EXPECT_EQ(r.out, "42\n");
  r = RunCli({"call", "--server", addr, "e2e.echo", "[1, 2.5, true, null, \"text\"]"});
  EXPECT_EQ(r.out, "[1, 2.5, true, null, \"text\"]\n");
  r = RunCli({"call", "--server", addr, "my_ext.throw_error", "-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ValueError: x must be non-negative, got -1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Traceback"), std::string::npos);
  r = RunCli({"call", "--server", addr, "e2e.add", "1", "not-json"});
  EXPECT_EQ(r.exit_code, 2);
  // ls: each function with its signature and docstring (the docstrings were never sent).
  r = RunCli({"ls", "--server", addr, "my_ext."});
  EXPECT_EQ(r.out,
            "my_ext.add_one(int) -> int\n    Add one to the input\n"
            "my_ext.throw_error(int) -> None\n    Raise ValueError for a negative input\n");
  r = RunCli({"ping", "--server", addr});
  EXPECT_EQ(r.exit_code, 0);
  r = RunCli({"ping", "--server", "127.0.0.1:1", "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ConnectionError"), std::string::npos);
  // An error of this side is its message alone: no trace through the command's own code.
  EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("session.cc"), std::string::npos) << r.err;
  r = RunCli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: tvmffi"), std::string::npos);
  for (const char* command : {"call FUNC", "ls [PREFIX]", "upload FILE", "info", "ping"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
  r = RunCli({"upload", "--server", addr});
  EXPECT_EQ(r.exit_code, 2);  // a usage error, before connecting
  EXPECT_NE(r.err.find("upload needs a FILE"), std::string::npos) << r.err;
}

TEST_F(RemoteTest, ClientKilledMidCallLeavesServerServing) {
  std::string marker = testing::TempDir() + "/in_flight";
  int pid = testing::StartCli(
      {"call", "--server", server_->address(), "e2e.until_cancelled", "\"" + marker + "\"", "60"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForFile(marker));  // the server runs the call
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  // The dead client's session ended on the server: its running call was cancelled.
  EXPECT_TRUE(WaitForFile(marker + ".stopped"));
  Session session = Connect();
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(2, 3).cast<int>(), 5);
  EXPECT_TRUE(server_->Alive());
}

// --- Servers of their own ---

TEST(RemoteServer, KilledMidCallGivesConnectionErrorWithoutHanging) {
  ServerProcess server(StandardModules());
  Session session = Connect(server.address());
  ffi::Function runs = session.GetGlobalRequired("e2e.until_cancelled");
  std::string marker = testing::TempDir() + "/in_flight";
  std::thread killer([&] {
    ASSERT_TRUE(WaitForFile(marker));  // the call is under way
    server.Stop(SIGKILL);
  });
  // The call (60 s unless cancelled) fails as soon as the server is gone.
  std::string error = ErrorOf([&] { runs(marker, 60.0); });
  killer.join();
  EXPECT_EQ(error.rfind("ConnectionError", 0), 0u) << error;
  EXPECT_EQ(ErrorOf([&] { runs(marker, 0.0); }).rfind("ConnectionError", 0), 0u);
}

TEST(RemoteServer, SigtermDrainsAndExitsZero) {
  ServerProcess server(StandardModules());
  Session session = Connect(server.address());
  ffi::Function runs = session.GetGlobalRequired("e2e.until_cancelled");
  std::string marker = testing::TempDir() + "/in_flight";
  std::thread stopper([&] {
    ASSERT_TRUE(WaitForFile(marker));  // SIGTERM comes while the call runs
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  });
  // The call in flight (1.5 s unless cancelled) finishes, uncancelled, before the server goes.
  int result = 0;
  std::string error = ErrorOf([&] { result = runs(marker, 1.5).cast<int>(); });
  stopper.join();
  EXPECT_EQ(error, "(no error)");
  EXPECT_EQ(result, -1);
}

TEST(RemoteServer, TokenIsRequiredWhenSet) {
  std::string dir = testing::TempDir();
  std::ofstream(dir + "/token") << "s3cret-token\n";
  ServerProcess server({"--token-file", dir + "/token", "--load", TVMFFI_MY_EXT_MODULE});
  std::string err = ErrorOf([&] { Connect(server.address()); });
  EXPECT_EQ(err.rfind("PermissionError", 0), 0u) << err;
  ConnectOptions wrong;
  wrong.token = "guess";
  err = ErrorOf([&] { Connect(server.address(), wrong); });
  EXPECT_EQ(err.rfind("PermissionError", 0), 0u) << err;
  ConnectOptions right;
  right.token = "s3cret-token";
  Session session = Connect(server.address(), right);
  EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(1).cast<int>(), 2);
  auto r = RunCli({"call", "--server", server.address(), "my_ext.add_one", "1"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunCli({"call", "--server", server.address(), "--token-file", dir + "/token",
              "my_ext.add_one", "1"});
  EXPECT_EQ(r.out, "2\n");
}

TEST(RemoteServer, ModuleDirLoadsByNameOnly) {
  std::string dir = testing::TempDir();
  std::string modules = dir + "/modules";
  mkdir(modules.c_str(), 0755);
  std::string copy = "cp " + std::string(TVMFFI_MY_EXT_MODULE) + " " + modules + "/ops.so";
  ASSERT_EQ(std::system(copy.c_str()), 0);
  std::string outside = "cp " + std::string(TVMFFI_MY_EXT_MODULE) + " " + dir + "/outside.so";
  ASSERT_EQ(std::system(outside.c_str()), 0);
  ASSERT_EQ(symlink((dir + "/outside.so").c_str(), (modules + "/link.so").c_str()), 0);
  ServerProcess server({"--module-dir", modules});
  Session session = Connect(server.address());
  EXPECT_EQ(session.LoadModule("ops")->GetFunction("add_two").value()(40).cast<int>(), 42);
  EXPECT_EQ(session.LoadModule("ops.so")->GetFunction("add_two").value()(1).cast<int>(), 3);
  EXPECT_EQ(ErrorOf([&] { session.LoadModule("../outside.so"); }).rfind("ValueError", 0), 0u);
  EXPECT_EQ(ErrorOf([&] { session.LoadModule("link"); }).rfind("PermissionError", 0), 0u);
  EXPECT_EQ(ErrorOf([&] { session.LoadModule("missing"); }).rfind("ValueError: no module", 0), 0u);
}

TEST(RemoteServer, UnixSocket) {
  std::string path = testing::TempDir() + "/server.sock";
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE}, "unix:" + path);
  Session session = Connect(server.address());
  EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(41).cast<int>(), 42);
}

}  // namespace
}  // namespace tvmffi::rpc

namespace tvmffi::rpc {
namespace {

// Makes a CA, a server certificate for localhost/127.0.0.1 and a client certificate.
bool MakeCertificates(const std::string& dir) {
  std::string script =
      "cd " + dir + " && " +
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
      "-subj /CN=tvmffi-test-ca >/dev/null 2>&1 && "
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.cnf && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
      "-subj /CN=localhost >/dev/null 2>&1 && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 1 -extfile san.cnf >/dev/null 2>&1 && "
      "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
      "-subj /CN=tvmffi-test-client >/dev/null 2>&1 && "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out client.pem -days 1 >/dev/null 2>&1";
  return std::system(script.c_str()) == 0;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(RemoteServer, TlsAndMutualTls) {
  std::string dir = testing::TempDir();
  ASSERT_TRUE(MakeCertificates(dir)) << "openssl could not make test certificates";
  {
    ServerProcess server({"--tls-cert", dir + "/server.pem", "--tls-key", dir + "/server.key",
                          "--load", TVMFFI_MY_EXT_MODULE});
    ConnectOptions tls;
    tls.tls = true;
    tls.tls_root_certs_pem = ReadAll(dir + "/ca.pem");
    tls.connect_timeout_s = 5;
    Session session = Connect(server.address(), tls);
    EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(41).cast<int>(), 42);
    // Plaintext against a TLS server fails cleanly.
    ConnectOptions plain;
    plain.connect_timeout_s = 2;
    EXPECT_EQ(ErrorOf([&] { Connect(server.address(), plain); }).rfind("ConnectionError", 0), 0u);
    auto r = RunCli(
        {"call", "--server", server.address(), "--tls-ca", dir + "/ca.pem", "my_ext.add_one", "1"});
    EXPECT_EQ(r.out, "2\n") << r.err;
  }
  {
    ServerProcess server({"--tls-cert", dir + "/server.pem", "--tls-key", dir + "/server.key",
                          "--tls-client-ca", dir + "/ca.pem", "--load", TVMFFI_MY_EXT_MODULE});
    ConnectOptions with_cert;
    with_cert.tls = true;
    with_cert.tls_root_certs_pem = ReadAll(dir + "/ca.pem");
    with_cert.tls_client_cert_pem = ReadAll(dir + "/client.pem");
    with_cert.tls_client_key_pem = ReadAll(dir + "/client.key");
    with_cert.connect_timeout_s = 5;
    Session session = Connect(server.address(), with_cert);
    EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(1).cast<int>(), 2);
    ConnectOptions without_cert = with_cert;
    without_cert.tls_client_cert_pem.clear();
    without_cert.tls_client_key_pem.clear();
    without_cert.connect_timeout_s = 2;
    std::string err = ErrorOf([&] { Connect(server.address(), without_cert); });
    EXPECT_TRUE(err.rfind("ConnectionError", 0) == 0 || err.rfind("PermissionError", 0) == 0)
        << err;
    // The command line presents its certificate too (issue #13), and refuses half of a pair.
    auto r =
        RunCli({"call", "--server", server.address(), "--tls-ca", dir + "/ca.pem", "--tls-cert",
                dir + "/client.pem", "--tls-key", dir + "/client.key", "my_ext.add_one", "1"});
    EXPECT_EQ(r.out, "2\n") << r.err;
    r = RunCli({"call", "--server", server.address(), "--tls-ca", dir + "/ca.pem", "--timeout", "2",
                "my_ext.add_one", "1"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    r = RunCli({"ping", "--tls-cert", dir + "/client.pem"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--tls-cert and --tls-key go together"), std::string::npos) << r.err;
  }
}

// Issue #10, item 19: a TLS mismatch, a wrong CA or a refused connection waited the whole
// connect timeout, then said only "cannot connect ... within N s". Now the first failed attempt
// ends Connect, with gRPC's reason.
TEST(RemoteServer, ConnectionFailuresAreFastAndSayWhy) {
  std::string dir = testing::TempDir();
  ASSERT_TRUE(MakeCertificates(dir)) << "openssl could not make test certificates";
  ServerProcess tls_server({"--tls-cert", dir + "/server.pem", "--tls-key", dir + "/server.key",
                            "--load", TVMFFI_MY_EXT_MODULE});
  ServerProcess plain_server({"--load", TVMFFI_MY_EXT_MODULE});
  ConnectOptions plain;
  plain.connect_timeout_s = 600;  // a wait for the timeout would fail the test by its own
  ConnectOptions tls = plain;
  tls.tls = true;
  tls.tls_root_certs_pem = ReadAll(dir + "/ca.pem");
  ConnectOptions wrong_ca = tls;
  wrong_ca.tls_root_certs_pem = ReadAll(dir + "/client.pem");  // not the server's CA
  struct Case {
    const char* what;
    std::string target;
    ConnectOptions options;
  };
  std::vector<Case> cases = {
      {"plaintext to a TLS server", tls_server.address(), plain},
      {"TLS to a plaintext server", plain_server.address(), tls},
      {"a CA that did not sign the server's certificate", tls_server.address(), wrong_ca},
      {"a closed port", "127.0.0.1:1", plain},
      {"a name that does not resolve", "no-such-host.invalid:50051", plain},
  };
  for (const Case& c : cases) {
    std::string err = ErrorOf([&] { Connect(c.target, c.options); });
    EXPECT_EQ(err.rfind("ConnectionError: cannot connect to " + c.target + ": ", 0), 0u)
        << c.what << ": " << err;
    EXPECT_EQ(err.find(" within "), std::string::npos) << c.what << ": " << err;
  }
}

TEST(RemoteServer, MaxSessionsRefusesExtraSessions) {
  ServerProcess server({"--max-sessions", "1", "--load", TVMFFI_MY_EXT_MODULE});
  Session first = Connect(server.address());
  std::string err = ErrorOf([&] { Connect(server.address()); });
  EXPECT_EQ(err.rfind("RPCError", 0), 0u) << err;
  EXPECT_NE(err.find("--max-sessions"), std::string::npos) << err;
  EXPECT_EQ(first.GetGlobalRequired("my_ext.add_one")(1).cast<int>(), 2);
  first.Close();
}

TEST(RemoteServer, OversizedPayloadIsAnErrorAndTheServerKeepsServing) {
  ServerProcess server({"--max-message-mb", "1", "--load", TVMFFI_E2E_MODULE});
  Session session = Connect(server.address());
  ffi::Function echo = session.GetGlobalRequired("e2e.echo");
  std::string big(2 << 20, 'x');
  std::string err = ErrorOf([&] { echo(ffi::String(big)); });
  EXPECT_EQ(err.rfind("ValueError: the call is", 0), 0u) << err;
  EXPECT_NE(err.find("message limit"), std::string::npos) << err;
  // The same session keeps working, and so does the server.
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(1, 2).cast<int>(), 3);
  // A tensor larger than the message limit travels in chunks (half the limit each).
  ffi::Tensor t = testing::HostTensor(ffi::Shape({4 << 20}), DLDataType{kDLUInt, 8, 1});
  for (int64_t i = 0; i < t.numel(); ++i) static_cast<uint8_t*>(t.data_ptr())[i] = i * 7;
  ffi::Tensor back = echo(t).cast<ffi::Tensor>();
  EXPECT_EQ(std::memcmp(back.data_ptr(), t.data_ptr(), t.GetDataSize()), 0);
  Session again = Connect(server.address());
  EXPECT_EQ(again.GetGlobalRequired("e2e.add")(1, 2).cast<int>(), 3);
}

TEST(RemoteServer, HelpTellsTheTruth) {
  std::string dir = testing::TempDir();
  std::string cmd = std::string(TVMFFI_SERVER_BINARY) + " --help > " + dir + "/help.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string help = ReadAll(dir + "/help.txt");
  for (const char* flag : {"--listen",
                           "--port-file",
                           "--load",
                           "--module-dir",
                           "--token-file",
                           "--tls-cert",
                           "--tls-key",
                           "--tls-client-ca",
                           "--max-message-mb",
                           "--max-sessions",
                           "--call-timeout",
                           "--log-level",
                           "--expose",
                           "--hide",
                           "--isolate",
                           "--worker-timeout",
                           "--allow-upload",
                           "--no-shared-memory",
                           "--max-threads",
                           "--drain-timeout",
                           "--name",
                           "--max-sessions-per-peer",
                           "--session-idle-timeout",
                           "--max-device-memory"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  // Values a flag cannot take are refused at start, naming the flag.
  for (const char* bad : {"--max-sessions-per-peer 0", "--session-idle-timeout -1",
                          "--max-device-memory 0", "--max-threads 0", "--drain-timeout x"}) {
    cmd = std::string(TVMFFI_SERVER_BINARY) + " " + bad + " 2> " + dir + "/bad.txt";
    EXPECT_NE(std::system(cmd.c_str()), 0) << bad;
    std::string flag(bad, std::string(bad).find(' '));
    EXPECT_NE(ReadAll(dir + "/bad.txt").find(flag), std::string::npos) << bad;
  }
  cmd = std::string(TVMFFI_SERVER_BINARY) + " --bogus > /dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  // --worker-timeout only means something with --isolate: refused alone, with a reason.
  cmd = std::string(TVMFFI_SERVER_BINARY) + " --worker-timeout 5 2> " + dir + "/err.txt";
  int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
  EXPECT_NE(ReadAll(dir + "/err.txt").find("--worker-timeout needs --isolate"), std::string::npos);
}

}  // namespace
}  // namespace tvmffi::rpc

namespace tvmffi::rpc {
namespace {

// The bytes of a generic call's message.
std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

TEST(RemoteServer, UnaryRpcsHealthAndReflection) {
  ServerProcess server(StandardModules());
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::FFI::NewStub(channel);
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };
  // A stateless Call of `name` (in `module` when set) with one argument.
  auto call = [&](const std::string& name, const std::string& module, v1::Value arg) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::CallRequest req;
    req.set_name(name);
    req.set_module(module);
    *req.add_args() = std::move(arg);
    v1::CallResponse resp;
    EXPECT_TRUE(stub->Call(&ctx, req, &resp).ok()) << name;
    return resp;
  };
  auto int_value = [](int64_t x) {
    v1::Value v;
    v.set_int_value(x);
    return v;
  };
  v1::CallResponse resp = call("my_ext.add_one", "", int_value(41));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp.value().int_value(), 42);
  EXPECT_EQ(call("add_two", "my_ext", int_value(40)).value().int_value(), 42);
  v1::Value path;
  path.set_str("/etc/passwd");
  resp = call("ffi.ModuleLoadFromFile", "", path);
  ASSERT_TRUE(resp.has_error());
  EXPECT_EQ(resp.error().kind(), "PermissionError");
  resp = call("my_ext.throw_error", "", int_value(-1));
  ASSERT_TRUE(resp.has_error());
  EXPECT_EQ(resp.error().kind(), "ValueError");
  EXPECT_NE(resp.error().backtrace().find("my_ext.cc"), std::string::npos);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::ListFunctionsRequest req;
    v1::ListFunctionsResponse resp;
    req.set_prefix("my_ext.");
    ASSERT_TRUE(stub->ListFunctions(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.functions_size(), 2);
    EXPECT_EQ(resp.functions(0).name(), "my_ext.add_one");
    EXPECT_NE(resp.functions(0).metadata().find("type_schema"), std::string::npos);
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::ServerInfo info;
    ASSERT_TRUE(stub->GetServerInfo(&ctx, v1::GetServerInfoRequest(), &info).ok());
    EXPECT_EQ(info.ffi_version(), "0.1.14");
    EXPECT_EQ(info.protocol_version(), 1u);
  }
  {
    // grpc.health.v1.Health/Check with an empty request (the whole server): a generic stub
    // keeps the test free of the health proto; 0x08 0x01 encodes `status: SERVING`.
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    grpc::GenericStub generic(channel);
    grpc::ByteBuffer request(nullptr, 0), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                      &response, [&](grpc::Status status) { done.set_value(status); });
    ASSERT_TRUE(done.get_future().get().ok());
    std::string bytes = BytesOf(response);
    EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  }
  {
    // grpc.reflection.v1alpha ServerReflectionInfo (a bidi stream) asked to list services;
    // 0x3a 0x00 encodes `list_services: ""`. The answer names our service and health.
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    grpc::CompletionQueue cq;
    grpc::GenericStub generic(channel);
    auto call = generic.PrepareCall(
        &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    auto step = [&cq](auto&& start) {
      start();
      void* tag = nullptr;
      bool ok = false;
      return cq.Next(&tag, &ok) && ok;
    };
    grpc::Slice list_services(std::string("\x3a\x00", 2));
    grpc::ByteBuffer request(&list_services, 1), response;
    grpc::Status status;
    ASSERT_TRUE(step([&] { call->StartCall(reinterpret_cast<void*>(1)); }));
    ASSERT_TRUE(step([&] { call->Write(request, reinterpret_cast<void*>(2)); }));
    ASSERT_TRUE(step([&] { call->WritesDone(reinterpret_cast<void*>(3)); }));
    ASSERT_TRUE(step([&] { call->Read(&response, reinterpret_cast<void*>(4)); }));
    ASSERT_TRUE(step([&] { call->Finish(&status, reinterpret_cast<void*>(5)); }));
    EXPECT_TRUE(status.ok()) << status.error_message();
    cq.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
    }
    std::string bytes = BytesOf(response);
    EXPECT_NE(bytes.find("tvmffi.rpc.v1.FFI"), std::string::npos);
    EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
  }
}

}  // namespace
}  // namespace tvmffi::rpc
