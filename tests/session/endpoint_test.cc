// The session engine over an in-memory stream pair: calls, errors with remote backtraces,
// callbacks nested three deep, returned functions and their release, objects going home,
// concurrency, timeouts and a vanished peer.
#include "tvmffi/session/endpoint.h"
#include "testing/endpoint_helpers.h"
#include "testing/host_tensor.h"

#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <tvm/ffi/container/tensor.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;

using testing::MapDispatcher;

std::pair<std::unique_ptr<FrameStream>, std::unique_ptr<FrameStream>> SocketPair() {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  return {MakeSocketFrameStream(sv[0]), MakeSocketFrameStream(sv[1])};
}

void ThrowValueError(int x) { TVM_FFI_THROW(ValueError) << "x must be non-negative, got " << x; }

// Every engine test runs over each transport: the in-memory pair and a unix socketpair.
class EndpointTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto server_functions = std::make_shared<MapDispatcher>();
    auto& fns = server_functions->functions;
    fns["add_one"] = ffi::Function::FromTyped([](int x) { return x + 1; });
    fns["echo"] = ffi::Function::FromTyped([](ffi::Any x) { return x; });
    fns["throws"] = ffi::Function::FromTyped(ThrowValueError);
    fns["apply"] = ffi::Function::FromTyped([](ffi::Function f, int x) { return f(x); });
    fns["make_adder"] = ffi::Function::FromTyped(
        [](int k) { return ffi::Function::FromTyped([k](int x) { return x + k; }); });
    fns["same"] =
        ffi::Function::FromTyped([](ffi::Function a, ffi::Function b) { return a.same_as(b); });
    fns["sleep_ms"] = ffi::Function::FromTyped([](int ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return ms;
    });
    // recurse(cb, n): 0 when n == 0, else cb(n), where the client's cb calls recurse(cb, n-1) + 1.
    fns["recurse"] = ffi::Function::FromTyped(
        [](ffi::Function cb, int n) { return n == 0 ? 0 : cb(n).cast<int>(); });
    auto [a, b] = GetParam() == "socket" ? SocketPair() : MakeMemoryStreamPair();
    EndpointOptions client_options;
    client_options.local_name = "test-client";
    EndpointOptions server_options;
    server_options.local_name = "test-server";
    client_ = Endpoint::Create(std::move(a), nullptr, client_options);
    server_ = Endpoint::Create(std::move(b), server_functions, server_options);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_TRUE(client_->Start().ok());
  }
  void TearDown() override {
    // A session ends when a side shuts it down (or its stream breaks).
    client_->Shutdown(absl::CancelledError("test over"));
    server_->Shutdown(absl::CancelledError("test over"));
  }

  ffi::Any Call(const std::string& name, std::vector<ffi::Any> args) {
    return testing::CallGlobal(*client_, name, std::move(args));
  }

  // Waits (bounded) for a condition that depends on asynchronous Release frames.
  static bool Eventually(const std::function<bool()>& cond) {
    for (int i = 0; i < 2000; ++i) {  // 10 s: ample on a loaded sanitizer run
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return cond();
  }

  std::shared_ptr<Endpoint> client_;
  std::shared_ptr<Endpoint> server_;
};

TEST_P(EndpointTest, CallsAGlobal) {
  EXPECT_EQ(Call("add_one", {ffi::Any(41)}).cast<int>(), 42);
  EXPECT_EQ(client_->peer_name(), "test-server");
}

TEST_P(EndpointTest, RemoteErrorKeepsKindMessageAndBacktrace) {
  try {
    Call("throws", {ffi::Any(-1)});
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "x must be non-negative, got -1");
    std::string bt = e.backtrace();
    // Remote frames first (the throw site), then the marker naming the peer, then ours.
    size_t remote = bt.find("ThrowValueError");
    size_t marker = bt.find("[remote call to test-server]");
    ASSERT_NE(remote, std::string::npos) << bt;
    ASSERT_NE(marker, std::string::npos) << bt;
    EXPECT_LT(remote, marker);
  }
}

TEST_P(EndpointTest, UnknownNamesAndBadArgumentsAreTypedErrors) {
  try {
    Call("nope", {});
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_NE(e.message().find("no function nope"), std::string::npos);
  }
  try {
    Call("add_one", {ffi::Any(ffi::String("x"))});
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(e.message().find("Mismatched type on argument #0"), std::string::npos);
  }
  try {
    Call("add_one", {});
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(e.message().find("Mismatched number of arguments"), std::string::npos);
  }
}

TEST_P(EndpointTest, LocalFunctionArgumentIsCalledBack) {
  // While the server calls back, the client's table holds the function it sent.
  size_t exported_during_call = 0;
  std::shared_ptr<Endpoint> client = client_;
  ffi::Function twice = ffi::Function::FromTyped([client, &exported_during_call](int x) {
    exported_during_call = client->num_exported();
    return 2 * x;
  });
  EXPECT_EQ(Call("apply", {ffi::Any(twice), ffi::Any(21)}).cast<int>(), 42);
  EXPECT_EQ(exported_during_call, 1u);
  // The server's proxy is released once the call is over.
  EXPECT_TRUE(Eventually([&] { return client_->num_exported() == 0; }));
}

TEST_P(EndpointTest, CallbacksNestThreeLevelsDeep) {
  std::shared_ptr<Endpoint> client = client_;
  ffi::Function cb;
  cb = ffi::Function::FromTyped([client, &cb](int n) {
    ffi::AnyView args[2] = {ffi::AnyView(cb), ffi::AnyView(n - 1)};
    absl::StatusOr<ffi::Any> rv = client->CallGlobal("recurse", args, 2);
    if (!rv.ok()) throw StatusToError(rv.status());
    return rv->cast<int>() + 1;
  });
  EXPECT_EQ(Call("recurse", {ffi::Any(cb), ffi::Any(3)}).cast<int>(), 3);
  EXPECT_EQ(Call("recurse", {ffi::Any(cb), ffi::Any(8)}).cast<int>(), 8);
  cb = ffi::Function(nullptr);
}

TEST_P(EndpointTest, ReturnedFunctionIsAProxyReleasedWhenDropped) {
  {
    ffi::Function add5 = Call("make_adder", {ffi::Any(5)}).cast<ffi::Function>();
    EXPECT_EQ(add5(10).cast<int>(), 15);
    EXPECT_EQ(server_->num_exported(), 1u);
    EXPECT_EQ(client_->num_imported(), 1u);
    // Sent back, it resolves to the server's own function, not a proxy of a proxy.
    EXPECT_TRUE(Call("same", {ffi::Any(add5), ffi::Any(add5)}).cast<bool>());
    EXPECT_EQ(server_->num_exported(), 1u);
  }
  EXPECT_TRUE(Eventually([&] { return server_->num_exported() == 0; }));
  EXPECT_EQ(client_->num_imported(), 0u);
}

TEST_P(EndpointTest, ManyThreadsShareOneSession) {
  constexpr int kThreads = 16;
  constexpr int kCalls = 100;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        ffi::AnyView arg = ffi::AnyView(t * 1000 + i);
        absl::StatusOr<ffi::Any> rv = client_->CallGlobal("add_one", &arg, 1);
        if (!rv.ok() || rv->cast<int>() != t * 1000 + i + 1) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(EndpointTest, TimeoutIsATimeoutError) {
  ffi::AnyView arg = ffi::AnyView(500);
  absl::StatusOr<ffi::Any> rv = client_->CallGlobal("sleep_ms", &arg, 1, absl::Milliseconds(50));
  ASSERT_FALSE(rv.ok());
  EXPECT_EQ(ErrorKindOf(rv.status()), "TimeoutError");
  // The session still works afterwards.
  EXPECT_EQ(Call("add_one", {ffi::Any(1)}).cast<int>(), 2);
}

TEST_P(EndpointTest, VanishedPeerFailsPendingCallsWithConnectionError) {
  std::thread killer([this] {
    // Once the call is running on the server, not before.
    EXPECT_TRUE(Eventually([&] { return server_->num_serving() == 1; }));
    server_->Shutdown(absl::CancelledError("test kills the server"));
  });
  ffi::AnyView arg = ffi::AnyView(2000);
  absl::StatusOr<ffi::Any> rv = client_->CallGlobal("sleep_ms", &arg, 1);
  killer.join();
  ASSERT_FALSE(rv.ok());
  EXPECT_EQ(ErrorKindOf(rv.status()), "ConnectionError");
  EXPECT_TRUE(client_->closed());
  // Later calls fail at once.
  rv = client_->CallGlobal("add_one", &arg, 1);
  EXPECT_EQ(ErrorKindOf(rv.status()), "ConnectionError");
}

TEST_P(EndpointTest, ProxyOutlivingTheSessionFailsCleanly) {
  ffi::Function add5 = Call("make_adder", {ffi::Any(5)}).cast<ffi::Function>();
  client_->Shutdown(absl::CancelledError("bye"));
  try {
    add5(1);
    FAIL();
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "ConnectionError");
  }
}

TEST_P(EndpointTest, LargeTensorsTravelInChunks) {
  // 5 MiB: over the 1 MiB threshold, so its bytes follow the call (and the return) in chunks.
  ffi::Tensor t = testing::HostTensor(ffi::Shape({1280, 1024}), DLDataType{kDLFloat, 32, 1});
  auto* data = static_cast<float*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i) data[i] = static_cast<float>(i % 9973);
  ffi::Tensor back = Call("echo", {ffi::Any(t)}).cast<ffi::Tensor>();
  ASSERT_EQ(back.numel(), t.numel());
  EXPECT_NE(back.data_ptr(), t.data_ptr());
  EXPECT_EQ(std::memcmp(back.data_ptr(), t.data_ptr(), t.GetDataSize()), 0);
  // Two large tensors in one call, and small values around them, stay in order.
  ffi::Array<ffi::Any> mixed{ffi::Any(1), ffi::Any(t), ffi::Any(ffi::String("mid")), ffi::Any(t)};
  auto mixed_back = Call("echo", {ffi::Any(mixed)}).cast<ffi::Array<ffi::Any>>();
  EXPECT_EQ(mixed_back[2].cast<std::string>(), "mid");
  ffi::Tensor last = mixed_back[3].cast<ffi::Tensor>();
  EXPECT_EQ(std::memcmp(last.data_ptr(), t.data_ptr(), t.GetDataSize()), 0);
  // The session carries on with ordinary calls.
  EXPECT_EQ(Call("add_one", {ffi::Any(1)}).cast<int>(), 2);
}

INSTANTIATE_TEST_SUITE_P(Transports, EndpointTest, ::testing::Values("memory", "socket"),
                         [](const auto& info) { return info.param; });

// The socket stream on its own: frames in order, a bad length or a half frame breaks it.
TEST(SocketFrameStream, FramesArriveInOrderAndBadInputEndsTheStream) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto writer = MakeSocketFrameStream(sv[0], 1 << 20);
  int raw = sv[1];
  auto reader = MakeSocketFrameStream(::dup(raw), 1 << 20);
  for (int i = 0; i < 100; ++i) {
    v1::Frame f;
    f.mutable_cancel()->set_id(i);
    ASSERT_TRUE(writer->Write(f).ok());
  }
  for (int i = 0; i < 100; ++i) {
    v1::Frame f;
    ASSERT_TRUE(reader->Read(&f).ok());
    EXPECT_EQ(f.cancel().id(), static_cast<uint64_t>(i));
  }
  v1::Frame big;
  big.mutable_chunk()->set_data(std::string(2 << 20, 'x'));
  EXPECT_EQ(writer->Write(big).code(), absl::StatusCode::kInvalidArgument);  // over its limit
  // A peer announcing 16 MiB (over the reader's 1 MiB limit) breaks the stream.
  const unsigned char huge[4] = {0, 0, 0, 1};
  ASSERT_EQ(::write(sv[0], huge, 4), 4);
  v1::Frame f;
  EXPECT_EQ(reader->Read(&f).code(), absl::StatusCode::kUnavailable);
  ::close(raw);
}

TEST(SocketFrameStream, GarbageAndHalfFramesAreErrorsNotCrashes) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto reader = MakeSocketFrameStream(sv[1]);
  const unsigned char garbage[8] = {4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};  // not a Frame
  ASSERT_EQ(::write(sv[0], garbage, 8), 8);
  v1::Frame f;
  // A whole frame that does not parse: an error for that frame, and the stream reads on.
  EXPECT_EQ(reader->Read(&f).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.body_case(), v1::Frame::BODY_NOT_SET);
  // One whose head is a Call: its id is kept, so the session can fail that call alone.
  v1::Frame call;
  call.mutable_call()->set_id(77);
  call.mutable_call()->set_global_name("f");
  std::string bytes = call.SerializeAsString() + "\xff\xff\xff";
  unsigned char length[4] = {static_cast<unsigned char>(bytes.size()), 0, 0, 0};
  ASSERT_EQ(::write(sv[0], length, 4), 4);
  ASSERT_EQ(::write(sv[0], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(reader->Read(&f).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.call().id(), 77u);
  const unsigned char half[6] = {10, 0, 0, 0, 1, 2};  // 10 bytes announced, 2 sent, then EOF
  ASSERT_EQ(::write(sv[0], half, 6), 6);
  ::close(sv[0]);
  EXPECT_EQ(reader->Read(&f).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reader->Read(&f).code(), absl::StatusCode::kOutOfRange);  // then an orderly end
}

}  // namespace
}  // namespace tvmffi::rpc

namespace tvmffi::rpc {
namespace {

// Issue #10, item 18: a Hello of another protocol version (999) was accepted; the session now
// ends with a reason naming both versions.
TEST(EndpointHardening, AnotherProtocolVersionEndsTheSessionWithBothVersions) {
  auto [a, b] = MakeMemoryStreamPair();
  auto server = Endpoint::Create(std::move(b), std::make_shared<testing::MapDispatcher>(), {});
  ASSERT_TRUE(server->Start().ok());
  v1::Frame hello;
  hello.mutable_hello()->set_protocol_version(999);
  ASSERT_TRUE(a->Write(hello).ok());
  for (int i = 0; i < 500 && !server->closed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(server->closed());
  std::string why(server->close_reason().message());
  EXPECT_NE(why.find("protocol version 999"), std::string::npos) << why;
  EXPECT_NE(why.find("version 1"), std::string::npos) << why;
  server->Shutdown(absl::CancelledError("test over"));
}

// Issue #10, items 3 and 13: a session's calls past its bound get RESOURCE_EXHAUSTED (typed,
// named), instead of a thread each; the calls before it are unaffected.
// Issue #10, item 13: a fast caller got "too many concurrent calls" (644 refusals when
// pipelining 2,000 calls). The callee's Hello now tells its bound and the caller waits for room.
TEST(EndpointHardening, ACallerPastThePeersBoundWaitsInsteadOfBeingRefused) {
  auto [a, b] = MakeMemoryStreamPair();
  auto functions = std::make_shared<testing::MapDispatcher>();
  std::atomic<int> running{0}, most{0};
  functions->functions["slow"] = ffi::Function::FromTyped([&](int x) {
    int now = ++running;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --running;
    return x;
  });
  EndpointOptions server_options;
  server_options.max_calls_in_flight = 4;
  auto server = Endpoint::Create(std::move(b), functions, server_options);
  auto client = Endpoint::Create(std::move(a), nullptr, {});
  ASSERT_TRUE(server->Start().ok());
  ASSERT_TRUE(client->Start().ok());
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(16);
  for (int t = 0; t < 16; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        ffi::AnyView arg(i);
        absl::StatusOr<ffi::Any> rv = client->CallGlobal("slow", &arg, 1);
        if (rv.ok() && rv->cast<int>() == i) {
          ++ok;
        } else if (!rv.ok()) {
          errors[t] = std::string(rv.status().message());
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok.load(), 16 * 25);
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_LE(most.load(), 4);
  EXPECT_EQ(client->num_outstanding(), 0);
  client->Shutdown(absl::CancelledError("test over"));
  server->Shutdown(absl::CancelledError("test over"));
}

// A peer that ignores the flow limit (here: raw frames) still gets RESOURCE_EXHAUSTED, with the
// counts, past the callee's bound.
TEST(EndpointHardening, CallsPastTheSessionsBoundAreRefusedWithReason) {
  auto [a, b] = MakeMemoryStreamPair();
  auto functions = std::make_shared<testing::MapDispatcher>();
  std::atomic<bool> release{false};
  functions->functions["wait"] = ffi::Function::FromTyped([&release]() {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return 1;
  });
  EndpointOptions server_options;
  server_options.max_calls_in_flight = 2;
  auto server = Endpoint::Create(std::move(b), functions, server_options);
  ASSERT_TRUE(server->Start().ok());
  v1::Frame frame;
  ASSERT_TRUE(a->Read(&frame).ok());  // the server's Hello
  EXPECT_EQ(frame.hello().max_calls_in_flight(), 2u);
  frame.mutable_hello()->set_peer_name("raw");
  ASSERT_TRUE(a->Write(frame).ok());
  for (uint64_t id = 1; id <= 3; ++id) {
    v1::Frame call;
    call.mutable_call()->set_id(id);
    call.mutable_call()->set_global_name("wait");
    ASSERT_TRUE(a->Write(call).ok());
  }
  ASSERT_TRUE(a->Read(&frame).ok());  // the third is answered at once
  EXPECT_EQ(frame.ret().id(), 3u);
  EXPECT_EQ(frame.ret().error().kind(), "RPCError");
  EXPECT_NE(frame.ret().error().message().find("running or queued"), std::string::npos)
      << frame.ret().error().message();
  release = true;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(a->Read(&frame).ok());
    EXPECT_EQ(frame.ret().value().int_value(), 1);
  }
  server->Shutdown(absl::CancelledError("test over"));
}

}  // namespace
}  // namespace tvmffi::rpc
