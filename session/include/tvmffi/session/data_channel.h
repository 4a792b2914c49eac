// The data channel: a plain TCP connection beside a session's gRPC stream that carries the
// bytes of RemoteTensor::CopyFrom and ToHost, so a bulk copy between hosts runs at the speed
// of a socket rather than of gRPC's HTTP/2 framing (about half of it here). The session
// stream stays the control path: it authenticates the client and hands out the ticket a data
// connection presents; the connection then only reaches the tensors its session holds.
//
// Wire (little-endian, fixed-size heads):
//   client hello  "TFFIDATA" | u32 version | u32 0 | ticket (32 bytes)   -> reply
//   request       u32 op | u32 0 | u64 handle | u64 bytes                -> reply
//                 kWrite: `bytes` bytes follow the head
//   reply         u32 status code | u32 kind length | u32 message length | kind | message
//                 kRead, OK: u64 bytes, then the bytes
// A connection that breaks the protocol is closed; the client then copies through the stream.
#ifndef TVMFFI_SESSION_DATA_CHANNEL_H_
#define TVMFFI_SESSION_DATA_CHANNEL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {

class Endpoint;

inline constexpr size_t kDataTicketBytes = 32;

// The client's end: one connection, one request at a time (callers take turns).
class DataChannelClient {
 public:
  // Connects to port on the host of grpc_peer (gRPC's peer string: "ipv4:10.0.0.5:50051",
  // "ipv6:[::1]:50051") within timeout and presents ticket.
  static absl::StatusOr<std::unique_ptr<DataChannelClient>> Connect(const std::string& grpc_peer,
                                                                    int port,
                                                                    const std::string& ticket,
                                                                    absl::Duration timeout);
  ~DataChannelClient();
  DataChannelClient(const DataChannelClient&) = delete;
  DataChannelClient& operator=(const DataChannelClient&) = delete;

  // Copies `bytes` bytes from data into the peer's tensor `handle` (compact, that long).
  absl::Status Write(uint64_t handle, const void* data, uint64_t bytes);
  // Copies the peer's tensor `handle` (compact, `bytes` long) into dest.
  absl::Status Read(uint64_t handle, void* dest, uint64_t bytes);
  // The connection failed (not a request): the caller goes through the stream instead.
  bool broken() const { return broken_.load(std::memory_order_acquire); }

 private:
  explicit DataChannelClient(int fd) : fd_(fd) {}
  absl::Status ReadReply();
  absl::Status Broken(absl::Status why);
  int fd_;
  std::mutex mutex_;
  std::atomic<bool> broken_{false};
};

// The server's end: a listening socket, a thread per connection (bounded), tickets by session.
class DataChannelServer {
 public:
  // Listens on host:port (port 0: a free one). At most max_connections connections at once,
  // those still presenting a ticket included; one that has not presented a valid ticket
  // within hello_timeout is closed.
  static absl::StatusOr<std::unique_ptr<DataChannelServer>> Listen(
      const std::string& host, int port, int max_connections,
      absl::Duration hello_timeout = absl::Seconds(5));
  ~DataChannelServer();  // closes every connection and joins their threads
  DataChannelServer(const DataChannelServer&) = delete;
  DataChannelServer& operator=(const DataChannelServer&) = delete;

  int port() const { return port_; }
  // Tensor bytes received (writes) and sent (reads) over all connections so far.
  const ByteCounters& bytes() const { return bytes_; }
  // The ticket of this session (the same each time it is asked): a connection presenting it
  // reaches the tensors the session holds, while the session lasts. One connection at a time
  // (the client opens one per session): a second while the first is open is refused, so no
  // session can take the connections other sessions need.
  absl::StatusOr<std::string> Offer(const std::shared_ptr<Endpoint>& endpoint);
  // The session ended: its ticket is void and its connections close.
  void Forget(const Endpoint* endpoint);
  // Connections open right now.
  int num_connections() const;

 private:
  struct Connection {
    int fd = -1;
    const Endpoint* session = nullptr;  // under mutex_; null until the ticket is presented
    std::thread thread;
    bool done = false;  // under mutex_
  };
  struct Ticket {
    std::string bytes;
    std::weak_ptr<Endpoint> endpoint;
  };
  DataChannelServer(int listen_fd, int port, int max_connections, absl::Duration hello_timeout)
      : listen_fd_(listen_fd),
        port_(port),
        max_connections_(max_connections),
        hello_timeout_(hello_timeout) {}
  void AcceptLoop();
  void Serve(Connection* connection);
  // The session whose ticket this is, now connection's; PermissionError when none is (or the
  // session ended), or when another connection holds the ticket.
  absl::StatusOr<std::shared_ptr<Endpoint>> Admit(const std::string& ticket,
                                                  Connection* connection);
  void ReapLocked(std::vector<std::thread>* finished);

  const int listen_fd_;
  const int port_;
  const int max_connections_;
  const absl::Duration hello_timeout_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> connections_;  // under mutex_
  std::map<const Endpoint*, Ticket> tickets_;             // under mutex_
  std::thread acceptor_;
  ByteCounters bytes_;
};

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_DATA_CHANNEL_H_
