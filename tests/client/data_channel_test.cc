// The data channel (session/data_channel.h): RemoteTensor copies between hosts go over a plain
// TCP connection beside the session, authorized by the session's ticket. Here "another host" is
// a session that shares no memory (ConnectOptions::shared_memory = false). Also what a stranger
// on the data port gets: nothing, and the server keeps serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/error_of.h"
#include "testing/host_tensor.h"
#include "testing/raw_session.h"
#include "testing/remote_copies.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

constexpr DLDataType kF32{kDLFloat, 32, 1};

using testing::ServerWithCudaDriver;

ConnectOptions FromAnotherHost() {
  ConnectOptions options;
  options.shared_memory = false;
  return options;
}

int64_t DataPort(const Session& session) {
  for (const auto& [name, value] : session.Info().limits) {
    if (name == "data_port") return value;
  }
  return -1;
}

TEST(DataChannel, CopiesBetweenHostsGoOverItOnEveryDevice) {
  auto server = ServerWithCudaDriver(TVMFFI_FAKE_CUDA_DRIVER);
  Session session = Connect(server->address(), FromAnotherHost());
  EXPECT_GT(DataPort(session), 0);
  // The CPU device (bytes straight into the tensor) and the stand-in CUDA driver, whose memory
  // the host cannot touch (through the device layer, in 8 MiB pieces).
  for (DLDevice device : {DLDevice{kDLCPU, 0}, DLDevice{kDLCUDA, 0}}) {
    SCOPED_TRACE(device.device_type);
    testing::ExpectEveryDtypeAndShapeRoundTrips(session, device,
                                                {int64_t{5 << 20} + 3, int64_t{17 << 20} + 1});
  }
  EXPECT_TRUE(session.UsesDataChannel());
  // A copy between tensors that differ is refused before a byte moves, as through the stream.
  RemoteTensor t = session.Empty(ffi::Shape({2, 3}), kF32, DLDevice{kDLCPU, 0});
  EXPECT_EQ(ErrorOf([&] {
              t.CopyFrom(testing::HostTensor(ffi::Shape({3, 2}), kF32));
            }),
            "ValueError: cannot copy a tensor of float32[3, 2] into one of float32[2, 3]");
  // The channel still works after the refusal, and the session too.
  ffi::Tensor host = testing::HostTensor(ffi::Shape({2, 3}), kF32);
  for (int i = 0; i < 6; ++i) static_cast<float*>(host.data_ptr())[i] = i + 0.5f;
  t.CopyFrom(host);
  EXPECT_EQ(static_cast<float*>(t.ToHost().data_ptr())[5], 5.5f);
  EXPECT_TRUE(session.UsesDataChannel());
  EXPECT_EQ(session.GetGlobalRequired("e2e.add")(1, 2).cast<int>(), 3);
  // Once the session is closed, a copy is a ConnectionError, not a hang.
  session.Close();
  EXPECT_EQ(ErrorOf([&] { t.ToHost(); }).rfind("ConnectionError: ", 0), 0u);
}

TEST(DataChannel, SameHostSessionsTlsAndTheOperatorCanDoWithoutIt) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  Session same_host = Connect(server->address());  // shared memory is faster
  RemoteTensor t = same_host.Empty(ffi::Shape({4}), kF32, DLDevice{kDLCPU, 0});
  t.CopyFrom(testing::HostTensor(ffi::Shape({4}), kF32));
  EXPECT_FALSE(same_host.UsesDataChannel());
  ConnectOptions no_channel = FromAnotherHost();
  no_channel.data_channel = false;
  EXPECT_FALSE(Connect(server->address(), no_channel).UsesDataChannel());

  auto without = ServerWithCudaDriver("/nonexistent/libcuda.so.1", {"--no-data-channel"});
  Session session = Connect(without->address(), FromAnotherHost());
  EXPECT_EQ(DataPort(session), 0);
  testing::ExpectRoundTrip(session, DLDevice{kDLCPU, 0},
                           testing::HostTensor(ffi::Shape({1 << 20}), kF32), "through the stream");
  EXPECT_FALSE(session.UsesDataChannel());
}

// Everything the server sends until it closes the connection (or `wait` passes: "TIMEOUT").
std::string ReadUntilClosed(int fd, std::chrono::milliseconds wait) {
  std::string got;
  auto end = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      return got + "TIMEOUT";
    }
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return got;
    got.append(buf, static_cast<size_t>(n));
  }
}

// Sends a hello with `ticket` on a new connection to port; the reply's status code (0: let in,
// 7: PERMISSION_DENIED) and text. *fd is the connection, left open.
std::pair<int, std::string> PresentTicket(int port, const std::string& ticket, int* fd) {
  *fd = testing::DialLoopback(port);
  if (*fd < 0) return {-1, "cannot dial"};
  char hello[48] = {'T', 'F', 'F', 'I', 'D', 'A', 'T', 'A', 1};
  std::memcpy(hello + 16, ticket.data(), std::min<size_t>(ticket.size(), 32));
  if (::send(*fd, hello, sizeof(hello), MSG_NOSIGNAL) != 48) return {-1, "cannot send"};
  char head[12];
  if (::recv(*fd, head, sizeof(head), MSG_WAITALL) != 12) return {-1, "no reply"};
  std::string text(static_cast<uint8_t>(head[4]) + static_cast<uint8_t>(head[8]), '\0');
  if (!text.empty() && ::recv(*fd, text.data(), text.size(), MSG_WAITALL) <= 0) return {-1, ""};
  return {static_cast<uint8_t>(head[0]), text};
}

// A session's ticket lets in one connection at a time (its client opens one): a session could
// otherwise hold every connection the port allows, and other sessions would get none.
TEST(DataChannel, ATicketOpensOneConnectionAtATime) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  testing::RawSession raw(server->address());  // no shared memory: "another host"
  v1::Frame reply;
  ASSERT_TRUE(raw.Exchange(testing::CallFrame(1, "$session.data_channel", {}), &reply));
  ASSERT_TRUE(reply.has_ret()) << reply.DebugString();
  const v1::ValueList& offer = reply.ret().value().array();
  ASSERT_EQ(offer.values_size(), 2) << reply.DebugString();
  const int port = static_cast<int>(offer.values(0).int_value());
  const std::string ticket = offer.values(1).bytes_value();
  ASSERT_EQ(ticket.size(), 32u);

  int first = -1;
  EXPECT_EQ(PresentTicket(port, ticket, &first).first, 0);
  for (int i = 0; i < 3; ++i) {
    int again = -1;
    auto [code, text] = PresentTicket(port, ticket, &again);
    EXPECT_EQ(code, 7) << text;
    EXPECT_NE(text.find("the ticket is in use by another connection"), std::string::npos) << text;
    ::close(again);
  }
  // Once the first is closed, the ticket opens a connection again.
  ::close(first);
  int code = -1;
  for (int i = 0; i < 100 && code != 0; ++i) {
    int next = -1;
    code = PresentTicket(port, ticket, &next).first;
    ::close(next);
    if (code != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(code, 0);
}

// The 5 s for a hello are for the whole hello: a stranger dripping a byte every half second
// was given 5 s more with each byte (a receive timeout), so 48 bytes held a connection for
// 24 s, and a few such strangers could hold every connection the port allows.
TEST(DataChannel, AHelloDrippedAByteAtATimeIsCutOffAfterFiveSeconds) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1");
  Session session = Connect(server->address(), FromAnotherHost());
  const int port = static_cast<int>(DataPort(session));
  ASSERT_GT(port, 0);
  int fd = testing::DialLoopback(port);
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  const char hello[48] = {'T', 'F', 'F', 'I', 'D', 'A', 'T', 'A', 1};
  bool closed = false;
  for (size_t i = 0; i < sizeof(hello) && !closed; ++i) {
    if (::send(fd, hello + i, 1, MSG_NOSIGNAL) != 1) break;  // reset: closed
    closed = ReadUntilClosed(fd, std::chrono::milliseconds(500)) != "TIMEOUT";
  }
  const double lasted_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  EXPECT_LT(lasted_s, 9.0) << "the dripped hello held its connection";
  EXPECT_TRUE(server->Alive());
}

TEST(DataChannel, AStrangerOnTheDataPortGetsNothingAndTheServerKeepsServing) {
  auto server = ServerWithCudaDriver("/nonexistent/libcuda.so.1", {"--max-sessions", "2"});
  Session session = Connect(server->address(), FromAnotherHost());
  const int port = static_cast<int>(DataPort(session));
  ASSERT_GT(port, 0);
  RemoteTensor t = session.Empty(ffi::Shape({1024}), kF32, DLDevice{kDLCPU, 0});
  t.CopyFrom(testing::HostTensor(ffi::Shape({1024}), kF32));  // the session's own is open
  ASSERT_TRUE(session.UsesDataChannel());

  // A well-formed hello with a guessed ticket: refused (PERMISSION_DENIED, 7), then closed.
  int fd = testing::DialLoopback(port);
  ASSERT_GE(fd, 0);
  char hello[48] = {'T', 'F', 'F', 'I', 'D', 'A', 'T', 'A', 1};
  std::memset(hello + 16, 0x5a, 32);
  ASSERT_EQ(::send(fd, hello, sizeof(hello), MSG_NOSIGNAL), 48);
  std::string reply = ReadUntilClosed(fd, std::chrono::seconds(10));
  ASSERT_GE(reply.size(), 12u) << reply;
  EXPECT_EQ(reply[0], 7);
  EXPECT_NE(reply.find("unknown or expired ticket"), std::string::npos);
  ::close(fd);
  // Not a hello at all: closed without a word.
  fd = testing::DialLoopback(port);
  ASSERT_GE(fd, 0);
  std::string junk(64, 'x');
  ASSERT_EQ(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), 64);
  EXPECT_EQ(ReadUntilClosed(fd, std::chrono::seconds(10)), "");
  ::close(fd);
  // Connections past the bound (2 * --max-sessions + 8 = 12, one the session's) are closed at
  // once; silent ones are closed after the 5 s hello timeout.
  std::vector<int> silent;
  for (int i = 0; i < 14; ++i) silent.push_back(testing::DialLoopback(port));
  int closed_at_once = 0;
  for (int s : silent) {
    ASSERT_GE(s, 0);
    closed_at_once += ReadUntilClosed(s, std::chrono::milliseconds(300)) == "" ? 1 : 0;
  }
  EXPECT_EQ(closed_at_once, 3);
  int closed_later = 0;
  for (int s : silent) {
    closed_later += ReadUntilClosed(s, std::chrono::seconds(15)) == "" ? 1 : 0;
    ::close(s);
  }
  EXPECT_EQ(closed_later, 14);
  // The session and its channel never noticed.
  ffi::Tensor host = testing::HostTensor(ffi::Shape({1024}), kF32);
  static_cast<float*>(host.data_ptr())[1023] = 7.f;
  t.CopyFrom(host);
  EXPECT_EQ(static_cast<float*>(t.ToHost().data_ptr())[1023], 7.f);
  EXPECT_TRUE(session.UsesDataChannel());
  EXPECT_TRUE(server->Alive());
}

}  // namespace
}  // namespace tvmffi::rpc
