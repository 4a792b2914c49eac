// Issue #10: what a careless user or an attacker did to tvmffi-server and the client, each
// pinned by a test that failed before its fix. Real server processes, the real client and CLI.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "testing/error_of.h"
#include "testing/host_tensor.h"
#include "testing/raw_session.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::CallFrame;
using testing::RawSession;
using testing::RunCli;
using testing::ServerProcess;
using testing::StartCli;
using testing::WaitForFile;

std::vector<std::string> Args(std::vector<std::string> extra, bool isolate) {
  std::vector<std::string> args = {"--load", TVMFFI_E2E_MODULE, "--load", TVMFFI_MY_EXT_MODULE};
  if (isolate) args.push_back("--isolate");
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

using testing::ErrorOf;

void KillAndReap(int pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// The server answers a fresh session's call.
void ExpectServing(const std::string& address) {
  Session session = Connect(address);
  EXPECT_EQ(session.GetGlobalRequired("my_ext.add_one")(41).cast<int>(), 42);
}

class InProcessAndIsolated : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(Modes, InProcessAndIsolated, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "isolate" : "in_process"; });

// 1. `__tvm_ffi_<name>` symbols that are data were called as functions (SIGSEGV).
TEST_P(InProcessAndIsolated, DataSymbolsAreNoSuchFunction) {
  ServerProcess server(Args({}, GetParam()));
  {
    Session session = Connect(server.address());
    ffi::Module mod = session.LoadModule("e2e_module");
    EXPECT_FALSE(mod->GetFunction("_library_ctx").has_value());  // the loader's own variable
    EXPECT_FALSE(mod->GetFunction("table").has_value());         // a const table
    EXPECT_EQ(mod->GetFunction("add_two").value()(40).cast<int>(), 42);
  }
  // The stateless Call, through the CLI.
  for (const char* name : {"_library_ctx", "table"}) {
    auto r = RunCli({"--server", server.address(), "call", "--module", "e2e_module", name});
    EXPECT_NE(r.exit_code, 0) << name;
    EXPECT_NE(r.err.find("has no function"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(server.Alive());
  ExpectServing(server.address());
}

// 1. Modules bound lazily: a missing symbol ended the process at the first call.
TEST(Hardening, AModuleNeedingAMissingSymbolFailsToLoadAndNamesIt) {
  std::string dir = testing::TempDir();
  std::filesystem::copy_file(TVMFFI_UNRESOLVED_MODULE, dir + "/unresolved.so");
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE, "--module-dir", dir});
  Session session = Connect(server.address());
  std::string error = ErrorOf([&] { session.LoadModule("unresolved"); });
  EXPECT_NE(error.find("tvmffi_test_symbol_nobody_defines"), std::string::npos) << error;
  EXPECT_TRUE(server.Alive());
  ExpectServing(server.address());
}

// 5. `throw 42` in a published function ended the server (std::terminate).
TEST_P(InProcessAndIsolated, AnythingThrownIsAnInternalError) {
  ServerProcess server(Args({}, GetParam()));
  Session session = Connect(server.address());
  std::string error = ErrorOf([&] { session.GetGlobalRequired("e2e.throw_int")(); });
  EXPECT_EQ(error, "InternalError: a C++ exception not derived from std::exception");
  EXPECT_TRUE(server.Alive());
  ExpectServing(server.address());
  // The stateless Call as well.
  auto r = RunCli({"--server", server.address(), "call", "e2e.throw_int"});
  EXPECT_NE(r.err.find("not derived from std::exception"), std::string::npos) << r.err;
  ExpectServing(server.address());
}

// 6. A hung call pinned its session: the client was gone, but the server's reader joined the
// worker still running the call, so with --max-sessions 1 nobody could connect again.
TEST_P(InProcessAndIsolated, AHungCallDoesNotPinItsSession) {
  ServerProcess server(Args({"--max-sessions", "1"}, GetParam()));
  std::string marker = testing::TempDir() + "/running";
  int cli = StartCli({"--server", server.address(), "call", "e2e.block", "\"" + marker + "\""});
  ASSERT_TRUE(WaitForFile(marker)) << "the call never started";
  KillAndReap(cli);
  // The slot comes free once the server sees the client gone (its stream cancelled).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = ErrorOf([&] { ExpectServing(server.address()); });
    if (last == "(no error)") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(last, "(no error)");
}

// 7. SIGTERM never exited while a call hung: the drain deadline holds whatever a module does.
TEST_P(InProcessAndIsolated, SigtermExitsAtTheDrainTimeoutWhileACallHangs) {
  ServerProcess server(Args({"--drain-timeout", "1"}, GetParam()));
  std::string marker = testing::TempDir() + "/running";
  int cli = StartCli({"--server", server.address(), "call", "e2e.block", "\"" + marker + "\""});
  ASSERT_TRUE(WaitForFile(marker)) << "the call never started";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(SIGTERM, 15), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  KillAndReap(cli);
}

// 9. Close waited behind a write blocked by flow control: a client that stopped reading (here:
// stopped by SIGSTOP) while the server sent it 256 MiB could not be cut off, so the drain never
// finished and the server never exited. (gRPC 1.51's sync Write stays blocked even after the
// stream is cancelled, so the server leaves that thread behind at the drain deadline.)
TEST(Hardening, AClientThatStopsReadingCannotHoldTheServer) {
  // Without shared memory, so the result goes through the stream (on one host it would be
  // staged in shared memory, and no write would block).
  ServerProcess server(
      Args({"--drain-timeout", "1", "--max-message-mb", "512", "--no-shared-memory"}, false));
  std::string marker = testing::TempDir() + "/running";
  int cli = StartCli({"--server", server.address(), "call", "e2e.big_after_marker",
                      "\"" + marker + "\"", std::to_string(256 << 20)});
  ASSERT_TRUE(WaitForFile(marker)) << "the call never started";
  kill(cli, SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the write fills the window
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(SIGTERM, 15), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  KillAndReap(cli);
}

// 4. The client aborted (gRPC's "too many operations" assertion: Finish called twice) when the
// server vanished in the middle of a tensor of 1 MiB or more.
TEST(Hardening, TheClientSurvivesAServerKilledMidTensor) {
  ffi::Tensor t = testing::HostTensor(ffi::Shape({4 << 20}), DLDataType{kDLFloat, 32, 1});
  for (int round = 0; round < 6; ++round) {
    ServerProcess server(Args({"--max-message-mb", "128"}, false));
    ConnectOptions options;
    options.shared_memory = false;  // the bytes must travel
    Session session = Connect(server.address(), options);
    ffi::Function echo = session.GetGlobalRequired("e2e.echo");
    std::atomic<bool> failed{false};
    std::thread caller([&] {
      for (int i = 0; i < 1000 && !failed; ++i) {
        try {
          echo(t);
        } catch (const ffi::Error& e) {
          EXPECT_EQ(e.kind(), "ConnectionError") << e.message();
          failed = true;
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 37 * round));
    server.Stop(SIGKILL);
    caller.join();
    EXPECT_TRUE(failed);
  }
}

// 3. The server aborted when it could not create a thread (256 per session, without a bound per
// process). Now workers are bounded per process and calls past the bound queue: 300 calls in
// flight on one session with 8 workers all succeed (before: "too many concurrent calls" past
// 256 in flight).
TEST(Hardening, CallsPastTheThreadBoundQueue) {
  ServerProcess server(Args({"--max-threads", "8"}, false));
  Session session = Connect(server.address());
  ffi::Function sleep_ms = session.GetGlobalRequired("e2e.sleep_ms");
  std::atomic<int> ok{0};
  std::vector<std::string> errors(300);
  std::vector<std::thread> callers;
  for (int i = 0; i < 300; ++i) {
    callers.emplace_back([&, i] {
      errors[i] = ErrorOf([&] {
        if (sleep_ms(20).cast<int>() == 20) ++ok;
      });
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(ok.load(), 300) << errors[0];
  ExpectServing(server.address());
}

// 15. --tls-client-ca without a certificate served plaintext with no client authentication.
TEST(Hardening, TlsFlagsThatCannotWorkRefuseToStart) {
  std::string dir = testing::TempDir();
  std::ofstream(dir + "/ca.pem")
      << "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  std::ofstream(dir + "/junk.pem") << "not a certificate\n";
  auto run = [](std::vector<std::string> args) {
    std::string d = testing::TempDir();
    std::string command = std::string(TVMFFI_SERVER_BINARY) + " --listen 127.0.0.1:0";
    for (const auto& a : args) command += " " + a;
    command += " >" + d + "/out 2>" + d + "/err";
    int rc = std::system(command.c_str());
    std::ifstream in(d + "/err");
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(WEXITSTATUS(rc), err);
  };
  auto [rc, err] = run({"--tls-client-ca", dir + "/ca.pem"});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("--tls-client-ca needs --tls-cert"), std::string::npos) << err;
  std::tie(rc, err) = run({"--tls-cert", dir + "/junk.pem", "--tls-key", dir + "/junk.pem"});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find(dir + "/junk.pem holds no PEM CERTIFICATE"), std::string::npos) << err;
}

// 11. `$system_lib(prefix)` cached a module per distinct prefix forever (+424 MiB for 200
// prefixes of 1 MiB); names of any length were looked up. Names over 4 KiB are a ValueError,
// and made-up prefixes are no longer cached (the server's memory stays flat over 3,000).
TEST_P(InProcessAndIsolated, ClientChosenNamesAreBoundedAndNotCached) {
  ServerProcess server(Args({}, GetParam()));
  Session session = Connect(server.address());
  std::string huge(1 << 20, 'p');
  EXPECT_NE(ErrorOf([&] { session.SystemLib(huge); }).find("ValueError: a system-library prefix"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { session.GetGlobal(huge); }).find("ValueError: a function name"),
            std::string::npos);
  ffi::Module mod = session.LoadModule("e2e_module");
  EXPECT_NE(ErrorOf([&] { mod->GetFunction(huge); }).find("ValueError"), std::string::npos);
  auto lookups = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      std::string prefix = std::to_string(i) + std::string(4000, 'q');
      EXPECT_FALSE(session.SystemLib(prefix)->GetFunction("add_one").has_value());
    }
  };
  lookups(0, 300);  // warm up allocators
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Under ASan the freed allocations sit in its quarantine (256 MiB), and TSan's shadow memory
  // grows with every page touched, so RSS says nothing there: the lookups above are the test.
#else
  auto rss_kib = [&] {
    std::ifstream in("/proc/" + std::to_string(server.pid()) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0L;
  };
  long before = rss_kib();
  lookups(300, 3300);  // ~12 MB of prefixes, twice that if modules and names were kept
  long grown = rss_kib() - before;
  EXPECT_LT(grown, 6 * 1024) << "the server grew by " << grown << " KiB";
#endif
  ExpectServing(server.address());
}

// 20. A lower-case `bearer` scheme was refused (RFC 7235: case-insensitive); module names with
// a newline were accepted.
TEST(Hardening, BearerIsCaseInsensitiveAndModuleNamesHaveNoControlCharacters) {
  std::string dir = testing::TempDir();
  std::ofstream(dir + "/token") << "s3cret\n";
  ServerProcess server(
      {"--load", TVMFFI_MY_EXT_MODULE, "--token-file", dir + "/token", "--module-dir", dir});
  ConnectOptions options;
  options.token = "s3cret";
  Session session = Connect(server.address(), options);
  EXPECT_NE(ErrorOf([&] { session.LoadModule("my\next"); }).find("no control characters"),
            std::string::npos);
  // The raw metadata, lower-case scheme, through the CLI's transport: a unary GetServerInfo.
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  for (const char* scheme : {"bearer ", "BEARER ", "Bearer "}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string(scheme) + "s3cret");
    v1::ServerInfo info;
    grpc::Status status =
        v1::FFI::NewStub(channel)->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
    EXPECT_TRUE(status.ok()) << scheme << ": " << status.error_message();
  }
  grpc::ClientContext wrong;
  wrong.AddMetadata("authorization", "bearer S3CRET");
  v1::ServerInfo info;
  EXPECT_EQ(v1::FFI::NewStub(channel)
                ->GetServerInfo(&wrong, v1::GetServerInfoRequest(), &info)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

v1::Value Int(int64_t v) {
  v1::Value value;
  value.set_int_value(v);
  return value;
}

// An array nested `depth` levels deep around an int.
v1::Value Nested(int depth) {
  v1::Value value = Int(1);
  for (int i = 0; i < depth; ++i) {
    v1::Value outer;
    *outer.mutable_array()->add_values() = std::move(value);
    value = std::move(outer);
  }
  return value;
}

// The session answers 41 + 1 on call `id`.
void ExpectAddOne(RawSession& raw, uint64_t id) {
  v1::Frame reply;
  ASSERT_TRUE(raw.Exchange(CallFrame(id, "my_ext.add_one", {Int(41)}), &reply));
  ASSERT_TRUE(reply.has_ret());
  EXPECT_EQ(reply.ret().id(), id);
  EXPECT_EQ(reply.ret().value().int_value(), 42) << reply.ret().error().message();
}

// Issue #11, CUDA IPC: a peer names device memory only through a handle the driver opens. A
// handle claiming to come from the server's own process is never opened (the driver would
// refuse, and a peer could otherwise point the server at another session's memory), and a
// forged one the driver refuses: either way the function gets no tensor, only a remote
// tensor it cannot use, and the server serves on.
TEST(Hardening, ForgedCudaIpcHandlesGiveNoTensor) {
  ::setenv("TVMFFI_CUDA_DRIVER", TVMFFI_FAKE_CUDA_DRIVER, 1);
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE, "--load", TVMFFI_E2E_MODULE});
  ::unsetenv("TVMFFI_CUDA_DRIVER");
  RawSession raw(server.address(), SharedMemoryHostId());
  uint64_t id = 1;
  for (int64_t pid : {static_cast<int64_t>(server.pid()), static_cast<int64_t>(::getpid())}) {
    v1::Value arg;
    v1::RemoteRef* ref = arg.mutable_ref();
    ref->set_owner(v1::RemoteRef::SENDER);
    ref->set_handle(7);
    ref->set_type_key("ffi.Tensor");
    ref->mutable_tensor()->mutable_dtype()->set_code(kDLUInt);
    ref->mutable_tensor()->mutable_dtype()->set_bits(8);
    ref->mutable_tensor()->mutable_dtype()->set_lanes(1);
    ref->mutable_tensor()->add_shape(16);
    ref->mutable_tensor()->mutable_device()->set_device_type(kDLCUDA);
    ref->mutable_cuda_ipc()->set_handle(std::string(64, '\x01'));
    ref->mutable_cuda_ipc()->set_device_uuid(std::string(16, '\0'));
    ref->mutable_cuda_ipc()->set_pid(pid);
    v1::Frame reply;
    ASSERT_TRUE(raw.Exchange(CallFrame(id, "e2e.device_type", {arg}), &reply));
    ASSERT_TRUE(reply.has_ret());
    EXPECT_EQ(reply.ret().error().kind(), "TypeError") << reply.ret().error().message();
    EXPECT_NE(reply.ret().error().message().find("tvmffi.rpc.RemoteTensor"), std::string::npos)
        << reply.ret().error().message();
    ++id;
  }
  ExpectAddOne(raw, id);
}

// ...and the server never hands a client a CUDA IPC handle of its own memory, even to a client
// whose Hello says it would open one: a handle maps the whole allocation, not only the tensor.
TEST(Hardening, TheServerOffersNoCudaIpcHandleToAClient) {
  ::setenv("TVMFFI_CUDA_DRIVER", TVMFFI_FAKE_CUDA_DRIVER, 1);
  ServerProcess server({"--load", TVMFFI_MY_EXT_MODULE});
  ::unsetenv("TVMFFI_CUDA_DRIVER");
  RawSession raw(server.address(), SharedMemoryHostId(), /*cuda_ipc=*/true);
  v1::Value shape, dtype, device;
  shape.mutable_shape()->add_dims(16);
  dtype.mutable_dtype()->set_code(kDLUInt);
  dtype.mutable_dtype()->set_bits(8);
  dtype.mutable_dtype()->set_lanes(1);
  device.mutable_device()->set_device_type(kDLCUDA);
  v1::Frame reply;
  ASSERT_TRUE(raw.Exchange(CallFrame(1, "$tensor.empty", {shape, dtype, device}), &reply));
  ASSERT_TRUE(reply.has_ret());
  ASSERT_TRUE(reply.ret().value().has_ref()) << reply.ret().error().message();
  EXPECT_EQ(reply.ret().value().ref().tensor().device().device_type(), kDLCUDA);
  EXPECT_FALSE(reply.ret().value().ref().has_cuda_ipc());
  ExpectAddOne(raw, 2);
}

// 18. A call's timeout_ms was never read and Cancel was ignored: a call its caller gave up on
// ran on. Now the callee sees both through TVMFFIEnvCheckSignals, and under --isolate the
// front's call into the worker is cancelled in turn.
TEST_P(InProcessAndIsolated, ACallItsCallerGaveUpOnIsCancelled) {
  ServerProcess server(Args({}, GetParam()));
  std::string dir = testing::TempDir();
  {
    // The bound covers the lookup as well, and under TSan a lookup alone has taken 0.3 s.
    ConnectOptions options;
    options.call_timeout_s = 2;
    Session session = Connect(server.address(), options);
    auto until = session.GetGlobalRequired("e2e.until_cancelled");
    std::string error = ErrorOf([&] { until(dir + "/timed_out", 120.0); });
    EXPECT_NE(error.find("TimeoutError"), std::string::npos) << error;
    EXPECT_TRUE(WaitForFile(dir + "/timed_out.stopped")) << "the call ran on past its timeout";
  }
  // The caller goes away in the middle: its calls are cancelled with the session.
  std::string marker = dir + "/abandoned";
  int cli = StartCli(
      {"--server", server.address(), "call", "e2e.until_cancelled", "\"" + marker + "\"", "120"});
  ASSERT_TRUE(WaitForFile(marker));
  KillAndReap(cli);
  EXPECT_TRUE(WaitForFile(marker + ".stopped")) << "the call outlived its session";
  ExpectServing(server.address());
}

// 8. Idle sessions were kept forever: 64 streams that only said Hello locked out every other
// session client. Now one address holds at most --max-sessions-per-peer sessions, a session
// that receives nothing for --session-idle-timeout is closed, and the client's heartbeat keeps
// its quiet sessions open.
TEST(Hardening, IdleSessionsAreClosedAndOneAddressCannotHoldEverySession) {
  ServerProcess server(
      Args({"--max-sessions", "3", "--max-sessions-per-peer", "2", "--session-idle-timeout", "1"},
           false));
  ConnectOptions chatty;
  chatty.heartbeat_s = 0.2;
  Session kept = Connect(server.address(), chatty);
  RawSession silent(server.address());  // says Hello, then nothing
  std::string refused = ErrorOf([&] { Connect(server.address()); });
  EXPECT_NE(refused.find("--max-sessions-per-peer"), std::string::npos) << refused;
  // 21. A transport error keeps gRPC's code and the peer.
  EXPECT_EQ(refused.rfind("RPCError: ", 0), 0u) << refused;
  EXPECT_NE(refused.find("RESOURCE_EXHAUSTED"), std::string::npos) << refused;
  EXPECT_NE(refused.find(server.address()), std::string::npos) << refused;
  EXPECT_TRUE(silent.Ended()) << "the silent session was kept";
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // well past the idle timeout
  EXPECT_EQ(kept.GetGlobalRequired("my_ext.add_one")(1).cast<int>(), 2);
  ExpectServing(server.address());  // the silent session's slot is free again
}

// 20. A non-library upload was a RuntimeError (the docs say ValueError), and under --isolate
// the loader's reason was lost ("exited with status 3").
TEST_P(InProcessAndIsolated, AnUploadThatIsNoLibraryIsAValueErrorWithTheLoadersReason) {
  ServerProcess server(Args({"--allow-upload"}, GetParam()));
  Session session = Connect(server.address());
  std::string junk = testing::TempDir() + "/junk.so";
  std::ofstream(junk) << std::string(4096, 'x');
  std::string error = ErrorOf([&] { session.UploadModule(junk); });
  EXPECT_EQ(
      error.rfind("ValueError: the uploaded module `junk` cannot be loaded: RuntimeError: ", 0), 0u)
      << error;
  EXPECT_NE(error.find("invalid ELF header"), std::string::npos) << error;  // dlopen's words
  EXPECT_EQ(error.find("exited with status"), std::string::npos) << error;
  ExpectServing(server.address());
}

// 10. After the server died, the client's teardown sometimes blocked ~10 s in grpc_shutdown
// (gRPC waits that long for connection objects still alive at exit).
TEST(Hardening, AClientWhoseServerDiedMidTensorExitsPromptly) {
  for (int i = 0; i < 4; ++i) {
    // The result through the stream, not a staging slot: the client dies mid-receive.
    ServerProcess server(Args({"--max-message-mb", "2000", "--no-shared-memory"}, false));
    std::string marker = testing::TempDir() + "/sending";
    int cli = StartCli({"--server", server.address(), "call", "e2e.big_after_marker",
                        "\"" + marker + "\"", "200000000"});
    if (!WaitForFile(marker, 90)) {  // a loaded sanitizer run can take long to get there
      KillAndReap(cli);
      ADD_FAILURE() << "the call never started on the server";
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40 * i));  // at varied points
    server.Stop(SIGKILL);
    // The client reports the lost connection and exits: seconds, not grpc_shutdown's ten.
    int status = 0;
    pid_t done = 0;
    for (int waited_ms = 0; waited_ms < 5000 && done == 0; waited_ms += 10) {
      done = waitpid(cli, &status, WNOHANG);
      if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (done == 0) KillAndReap(cli);
    ASSERT_EQ(done, cli) << "the client was still tearing down 5 s after its server died";
    EXPECT_TRUE(WIFEXITED(status));
  }
}

// 2. A client of the server's own user that truncated a shared region it passed made the
// server die of SIGBUS. The fault is now contained: the call fails, the server serves on.
TEST(Hardening, ASharedTensorTruncatedDuringItsCallFailsTheCallNotTheServer) {
  ServerProcess server(Args({}, false));
  Session session = Connect(server.address());
  ffi::Tensor t = NewSharedTensor(ffi::Shape({1 << 20}), DLDataType{kDLUInt, 8, 1});
  std::shared_ptr<SharedRegion> region = SharedRegion::Find(t.data_ptr(), t.GetDataSize());
  ASSERT_NE(region, nullptr);
  std::string marker = testing::TempDir() + "/filling";
  std::string error;
  std::thread call(
      [&] { error = ErrorOf([&] { session.GetGlobalRequired("e2e.fill_when")(marker, t, 7); }); });
  ASSERT_TRUE(WaitForFile(marker));
  int fd = ::shm_open(region->name().c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 0), 0);
  ::close(fd);
  std::ofstream(marker + ".go") << "go\n";
  call.join();
  EXPECT_EQ(error.rfind("ValueError: shared memory " + region->name() + " was truncated", 0), 0u)
      << error;
  ExpectServing(server.address());
}

// 14. Under --isolate a module loaded later (from --module-dir, or uploaded) silently took over
// the globals another module had registered; in-process the same load was refused. Refused in
// both now, and the first module keeps its globals.
TEST_P(InProcessAndIsolated, AModuleCannotTakeOverAnotherModulesGlobals) {
  std::string dir = testing::TempDir();
  std::filesystem::copy_file(TVMFFI_E2E_MODULE, dir + "/other.so");
  ServerProcess server(Args({"--module-dir", dir, "--allow-upload"}, GetParam()));
  Session session = Connect(server.address());
  std::string error = ErrorOf([&] { session.LoadModule("other"); });
  EXPECT_NE(error.find("registers global functions that are already registered"), std::string::npos)
      << error;
  EXPECT_NE(error.find("e2e.add"), std::string::npos) << error;
  error = ErrorOf([&] { session.UploadModule(TVMFFI_E2E_MODULE, "uploaded"); });
  EXPECT_EQ(error.rfind("ValueError: the uploaded module `uploaded` cannot be loaded: ", 0), 0u)
      << error;
  EXPECT_NE(error.find("already registered"), std::string::npos) << error;
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(2, 3).cast<int>(), 5);
  ExpectServing(server.address());
}

// 16. Values nested 50-64 deep (the codec allows 64) hit protobuf's parse limit first, and a
// frame that did not parse ended the session with no reason. Now every depth the codec accepts
// parses, and a frame that does not parse fails its own call only.
TEST(Hardening, DeepValuesAndUnparsableFramesFailOnlyTheirCall) {
  ServerProcess server(Args({}, false));
  RawSession raw(server.address());
  v1::Frame reply;
  // 64 levels: parsed and decoded; add_one's TypeError is about the argument, not the frame.
  ASSERT_TRUE(raw.Exchange(CallFrame(5, "my_ext.add_one", {Nested(64)}), &reply));
  EXPECT_EQ(reply.ret().id(), 5u);
  EXPECT_EQ(reply.ret().error().kind(), "TypeError") << reply.ret().error().message();
  // 65: parsed, refused by the codec's depth check.
  ASSERT_TRUE(raw.Exchange(CallFrame(6, "my_ext.add_one", {Nested(65)}), &reply));
  EXPECT_EQ(reply.ret().id(), 6u);
  EXPECT_EQ(reply.ret().error().kind(), "ValueError");
  // 1000: does not parse at all; the call still gets its answer.
  auto first_malformed = std::chrono::steady_clock::now();
  ASSERT_TRUE(raw.Exchange(CallFrame(7, "my_ext.add_one", {Nested(1000)}), &reply));
  EXPECT_EQ(reply.ret().id(), 7u);
  EXPECT_EQ(reply.ret().error().kind(), "ValueError");
  EXPECT_NE(reply.ret().error().message().find("does not parse"), std::string::npos);
  ExpectAddOne(raw, 8);
  // The unary Call: a reason, not INTERNAL with an empty message.
  v1::CallRequest request;
  request.set_name("my_ext.add_one");
  *request.add_args() = Nested(1000);
  grpc::ClientContext context;
  v1::CallResponse response;
  grpc::Status status = raw.stub().Call(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("does not parse"), std::string::npos);
  ExpectServing(server.address());
  // A flood of them is counted, and logged at most once a second (#13): no log flood.
  for (uint64_t id = 100; id < 300; ++id) {
    ASSERT_TRUE(raw.Exchange(CallFrame(id, "my_ext.add_one", {Nested(1000)}), &reply))
        << "frame " << id << "; server: " << server.Stderr();
  }
  // at most one line for each second the 202 frames took (a slow sanitizer build takes several)
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  first_malformed)
                     .count();
  std::string stats = Client(server.address()).Stats();
  EXPECT_NE(stats.find("\ntvmffi_malformed_frames_total 202\n"), std::string::npos) << stats;
  std::string log = server.Stderr();
  size_t lines = 0;
  for (size_t at = 0; (at = log.find("frame.malformed", at)) != std::string::npos; ++at) ++lines;
  EXPECT_GE(lines, 1u) << log;
  EXPECT_LE(lines, static_cast<size_t>(seconds) + 2)
      << "throttled to one line a second over " << seconds << " s:\n"
      << log;
}

// 17. Invalid UTF-8 in a name failed the whole frame's parse: the session was cancelled with no
// reason and the unary Call answered INTERNAL with an empty message.
TEST(Hardening, NamesThatAreNotUtf8AreUnknownNames) {
  ServerProcess server(Args({}, false));
  RawSession raw(server.address());
  v1::Frame reply;
  ASSERT_TRUE(raw.Exchange(CallFrame(3, "my_ext.\xff\xfe", {Int(1)}), &reply));
  EXPECT_EQ(reply.ret().id(), 3u);
  EXPECT_EQ(reply.ret().error().kind(), "ValueError");
  ExpectAddOne(raw, 4);
  v1::CallRequest request;
  request.set_name("\xc3\x28");
  grpc::ClientContext context;
  v1::CallResponse response;
  grpc::Status status = raw.stub().Call(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.error().kind(), "ValueError");
  request.set_module("\xa0\xa1");  // no module of that name (and none loadable): refused
  grpc::ClientContext module_context;
  status = raw.stub().Call(&module_context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.error().kind().empty());
  std::string log = server.Stderr();
  EXPECT_EQ(log.find("UTF-8"), std::string::npos) << log;
}

}  // namespace
}  // namespace tvmffi::rpc
