// The data channel (see data_channel.h): sockets, the wire, and the server's connections.
#include "tvmffi/session/data_channel.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <tvm/ffi/container/tensor.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tvmffi/device/device_tensor.h"
#include "tvmffi/proto/secret.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/endpoint.h"

namespace tvmffi::rpc {
namespace ffi = tvm::ffi;

namespace {

constexpr char kMagic[8] = {'T', 'F', 'F', 'I', 'D', 'A', 'T', 'A'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kWrite = 1;
constexpr uint32_t kRead = 2;
constexpr size_t kHelloBytes = 16 + kDataTicketBytes;
constexpr size_t kRequestBytes = 24;
constexpr uint32_t kMaxKindBytes = 64;
constexpr uint32_t kMaxMessageBytes = 16 << 10;
// Device tensors go through host memory in pieces of this size.
constexpr uint64_t kBounceBytes = 8 << 20;

void Put32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void Put64(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t Get32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}
uint64_t Get64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

absl::Status SocketError(const char* what) {
  return ConnectionError(absl::StrCat("data channel: ", what, ": ", std::strerror(errno)));
}

// Sends every byte of the iovecs (modified as it goes).
absl::Status SendAll(int fd, iovec* parts, int count) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = static_cast<size_t>(std::min(count, 64));
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SocketError("send");
    }
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= parts->iov_len) {
      left -= parts->iov_len;
      ++parts;
      --count;
    }
    if (count > 0) {
      parts->iov_base = static_cast<char*>(parts->iov_base) + left;
      parts->iov_len -= left;
    }
  }
  return absl::OkStatus();
}

absl::Status SendAll(int fd, const void* data, uint64_t bytes) {
  iovec part{const_cast<void*>(data), bytes};
  return SendAll(fd, &part, 1);
}

void SetReceiveTimeout(int fd, absl::Duration timeout) {
  timeval tv{};
  if (timeout != absl::InfiniteDuration()) {
    int64_t us = std::max<int64_t>(absl::ToInt64Microseconds(timeout), 1);
    tv.tv_sec = us / 1000000;
    tv.tv_usec = us % 1000000;
  }
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

// Receives exactly `bytes`. With a deadline, the receive timeout is set to what is left of it
// before each receive, so a peer dripping a byte now and then cannot stretch the wait (the
// socket's own timeout starts again with each receive); without one, the socket's timeout
// (SetReceiveTimeout) applies to each receive.
absl::Status RecvAll(int fd, void* dest, uint64_t bytes,
                     absl::Time deadline = absl::InfiniteFuture()) {
  auto too_slow = [] {
    return WithErrorKind(absl::DeadlineExceededError("data channel: the peer was too slow"),
                         kind::kTimeoutError);
  };
  char* out = static_cast<char*>(dest);
  while (bytes > 0) {
    if (deadline != absl::InfiniteFuture()) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return too_slow();
      SetReceiveTimeout(fd, left);
    }
    // MSG_WAITALL: one wake-up per buffer rather than one per segment batch (64 MiB CopyFrom
    // over loopback: 34 ms -> 25 ms). A timeout, a signal or the end still return early.
    ssize_t n = ::recv(fd, out, bytes, MSG_WAITALL);
    if (n == 0) return ConnectionError("data channel: the peer closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return too_slow();
      return SocketError("receive");
    }
    out += n;
    bytes -= static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

void NoDelay(int fd) {
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// A request's head.
void PutRequest(uint32_t op, uint64_t handle, uint64_t bytes, char* head) {
  Put32(op, head);
  Put32(0, head + 4);
  Put64(handle, head + 8);
  Put64(bytes, head + 16);
}

// The reply for status: code, kind and message.
std::string EncodeReply(const absl::Status& status) {
  std::string kind = status.ok() ? "" : ErrorKindOf(status);
  std::string message(status.message().substr(0, kMaxMessageBytes));
  kind.resize(std::min<size_t>(kind.size(), kMaxKindBytes));
  std::string out(12, '\0');
  Put32(static_cast<uint32_t>(status.code()), out.data());
  Put32(static_cast<uint32_t>(kind.size()), out.data() + 4);
  Put32(static_cast<uint32_t>(message.size()), out.data() + 8);
  return out + kind + message;
}

// "ipv4:10.0.0.5:50051" / "ipv6:[::1]:50051" (or %5B..%5D) -> the host.
absl::StatusOr<std::string> PeerHost(const std::string& peer) {
  std::string s = absl::StrReplaceAll(peer, {{"%5B", "["}, {"%5D", "]"}, {"%25", "%"}});
  for (const char* prefix : {"ipv4:", "ipv6:"}) {
    if (s.rfind(prefix, 0) == 0) s = s.substr(5);
  }
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return ValueError(absl::StrCat("data channel: cannot tell the host of peer '", peer, "'"));
  }
  s = s.substr(0, colon);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  return s;
}

// The tensor a request names, compact and `bytes` long.
absl::StatusOr<ffi::Tensor> RequestedTensor(Endpoint& endpoint, uint64_t handle, uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::ObjectRef obj, endpoint.ExportedObject(handle));
  std::optional<ffi::Tensor> tensor = ffi::Any(obj).try_cast<ffi::Tensor>();
  if (!tensor.has_value()) return ValueError("data channel: the handle is not a tensor");
  if (!tensor->IsContiguous() || tensor->GetDataSize() != bytes) {
    return ValueError(absl::StrCat("data channel: the tensor holds ", tensor->GetDataSize(),
                                   " compact bytes, not ", bytes));
  }
  return *std::move(tensor);
}

bool HostReadable(const DLTensor& t) {
  return t.device.device_type == kDLCPU || t.device.device_type == kDLCUDAHost ||
         t.device.device_type == kDLROCMHost;
}

// The piece [offset, offset + size) of compact t, as a flat byte tensor.
DLTensor Piece(const DLTensor& t, uint64_t offset, int64_t* shape) {
  DLTensor piece = t;
  piece.ndim = 1;
  piece.shape = shape;
  piece.strides = nullptr;
  piece.dtype = DLDataType{kDLUInt, 8, 1};
  piece.byte_offset = t.byte_offset + offset;
  return piece;
}

}  // namespace

// ---- client ----

absl::StatusOr<std::unique_ptr<DataChannelClient>> DataChannelClient::Connect(
    const std::string& grpc_peer, int port, const std::string& ticket, absl::Duration timeout) {
  if (ticket.size() != kDataTicketBytes) return ValueError("data channel: malformed ticket");
  TVMFFI_RPC_ASSIGN_OR_RETURN(std::string host, PeerHost(grpc_peer));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return ConnectionError(absl::StrCat("data channel: ", host, ": ", ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return SocketError("socket");
  std::unique_ptr<DataChannelClient> client(new DataChannelClient(fd));
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return SocketError("connect");
    pollfd p{fd, POLLOUT, 0};
    int ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(timeout), 1 << 30));
    int ready = ::poll(&p, 1, ms);
    if (ready == 0) {
      return ConnectionError(absl::StrCat("data channel: no answer from ", host, ":", port));
    }
    int error = 0;
    socklen_t len = sizeof(error);
    (void)::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (ready < 0 || error != 0) {
      errno = error != 0 ? error : errno;
      return SocketError("connect");
    }
  }
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  NoDelay(fd);
  char hello[kHelloBytes];
  std::memcpy(hello, kMagic, 8);
  Put32(kVersion, hello + 8);
  Put32(0, hello + 12);
  std::memcpy(hello + 16, ticket.data(), kDataTicketBytes);
  SetReceiveTimeout(fd, timeout);
  TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, hello, sizeof(hello)));
  TVMFFI_RPC_RETURN_IF_ERROR(client->ReadReply());
  SetReceiveTimeout(fd, absl::InfiniteDuration());
  return client;
}

DataChannelClient::~DataChannelClient() { ::close(fd_); }

absl::Status DataChannelClient::Broken(absl::Status why) {
  broken_.store(true, std::memory_order_release);
  ::shutdown(fd_, SHUT_RDWR);
  return why;
}

absl::Status DataChannelClient::ReadReply() {
  char head[12];
  if (absl::Status st = RecvAll(fd_, head, sizeof(head)); !st.ok()) return Broken(st);
  uint32_t code = Get32(head);
  uint32_t kind_bytes = Get32(head + 4);
  uint32_t message_bytes = Get32(head + 8);
  if (code > 16 || kind_bytes > kMaxKindBytes || message_bytes > kMaxMessageBytes) {
    return Broken(ConnectionError("data channel: malformed reply"));
  }
  std::string text(kind_bytes + message_bytes, '\0');
  if (absl::Status st = RecvAll(fd_, text.data(), text.size()); !st.ok()) return Broken(st);
  if (code == 0) return absl::OkStatus();
  return WithErrorKind(absl::Status(static_cast<absl::StatusCode>(code), text.substr(kind_bytes)),
                       text.substr(0, kind_bytes));
}

absl::Status DataChannelClient::Write(uint64_t handle, const void* data, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (broken()) return ConnectionError("data channel: the connection failed before");
  char head[kRequestBytes];
  PutRequest(kWrite, handle, bytes, head);
  iovec parts[2] = {{head, sizeof(head)}, {const_cast<void*>(data), bytes}};
  if (absl::Status st = SendAll(fd_, parts, 2); !st.ok()) return Broken(st);
  return ReadReply();
}

absl::Status DataChannelClient::Read(uint64_t handle, void* dest, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (broken()) return ConnectionError("data channel: the connection failed before");
  char head[kRequestBytes];
  PutRequest(kRead, handle, bytes, head);
  if (absl::Status st = SendAll(fd_, head, sizeof(head)); !st.ok()) return Broken(st);
  TVMFFI_RPC_RETURN_IF_ERROR(ReadReply());
  char size[8];
  if (absl::Status st = RecvAll(fd_, size, sizeof(size)); !st.ok()) return Broken(st);
  if (Get64(size) != bytes) return Broken(ConnectionError("data channel: malformed reply"));
  if (absl::Status st = RecvAll(fd_, dest, bytes); !st.ok()) return Broken(st);
  return absl::OkStatus();
}

// ---- server ----

absl::StatusOr<std::unique_ptr<DataChannelServer>> DataChannelServer::Listen(
    const std::string& host, int port, int max_connections, absl::Duration hello_timeout) {
  std::string bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc =
          ::getaddrinfo(bare.empty() ? nullptr : bare.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("data channel: cannot resolve '", host, "': ", ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket");
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    absl::Status st = absl::UnavailableError(absl::StrCat("data channel: cannot listen on ", host,
                                                          ":", port, ": ", std::strerror(errno)));
    ::close(fd);
    return st;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int bound_port = bound.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::unique_ptr<DataChannelServer> server(
      new DataChannelServer(fd, bound_port, max_connections, hello_timeout));
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

DataChannelServer::~DataChannelServer() {
  stopping_.store(true);
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& c : connections_) {
      if (!c->done) ::shutdown(c->fd, SHUT_RDWR);
      threads.push_back(std::move(c->thread));
    }
  }
  for (std::thread& t : threads) t.join();
  ::close(listen_fd_);
}

void DataChannelServer::ReapLocked(std::vector<std::thread>* finished) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done) {
      finished->push_back(std::move((*it)->thread));
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void DataChannelServer::AcceptLoop() {
  while (!stopping_.load()) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_.load()) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // out of descriptors
        continue;
      }
      return;
    }
    std::vector<std::thread> finished;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ReapLocked(&finished);
      if (static_cast<int>(connections_.size()) >= max_connections_ || stopping_.load()) {
        ::close(fd);
      } else {
        NoDelay(fd);
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        Connection* c = connection.get();
        connections_.push_back(std::move(connection));
        c->thread = std::thread([this, c] { Serve(c); });
      }
    }
    for (std::thread& t : finished) t.join();
  }
}

absl::StatusOr<std::string> DataChannelServer::Offer(const std::shared_ptr<Endpoint>& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = tickets_.find(endpoint.get());
  if (found != tickets_.end()) return found->second.bytes;
  std::string ticket(kDataTicketBytes, '\0');
  size_t got = 0;
  while (got < ticket.size()) {
    ssize_t n = ::getrandom(ticket.data() + got, ticket.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SocketError("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  tickets_[endpoint.get()] = Ticket{ticket, endpoint};
  return ticket;
}

void DataChannelServer::Forget(const Endpoint* endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  tickets_.erase(endpoint);
  for (auto& c : connections_) {
    if (c->session == endpoint && !c->done) ::shutdown(c->fd, SHUT_RDWR);
  }
}

int DataChannelServer::num_connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (const auto& c : connections_) n += c->done ? 0 : 1;
  return n;
}

absl::StatusOr<std::shared_ptr<Endpoint>> DataChannelServer::Admit(const std::string& ticket,
                                                                   Connection* connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [session, entry] : tickets_) {
    if (!SameSecret(entry.bytes, ticket)) continue;
    std::shared_ptr<Endpoint> endpoint = entry.endpoint.lock();
    if (endpoint == nullptr || endpoint->closed()) break;
    for (const auto& other : connections_) {
      if (other->session == session && !other->done) {
        return PermissionError("data channel: the ticket is in use by another connection");
      }
    }
    connection->session = session;
    return endpoint;
  }
  return PermissionError("data channel: unknown or expired ticket");
}

void DataChannelServer::Serve(Connection* c) {
  const int fd = c->fd;
  const absl::Time hello_deadline = absl::Now() + hello_timeout_;  // the whole hello, not a byte
  std::weak_ptr<Endpoint> weak;
  absl::Status ended = [&]() -> absl::Status {
    char hello[kHelloBytes];
    TVMFFI_RPC_RETURN_IF_ERROR(RecvAll(fd, hello, sizeof(hello), hello_deadline));
    if (std::memcmp(hello, kMagic, 8) != 0 || Get32(hello + 8) != kVersion) {
      return ValueError("data channel: not a data channel hello");
    }
    absl::StatusOr<std::shared_ptr<Endpoint>> endpoint =
        Admit(std::string(hello + 16, kDataTicketBytes), c);
    if (!endpoint.ok()) {
      std::string reply = EncodeReply(endpoint.status());
      (void)SendAll(fd, reply.data(), reply.size());
      return endpoint.status();
    }
    weak = *endpoint;
    endpoint->reset();
    SetReceiveTimeout(fd, absl::InfiniteDuration());
    std::string ok = EncodeReply(absl::OkStatus());
    TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, ok.data(), ok.size()));
    std::unique_ptr<char[]> bounce;
    for (;;) {
      char head[kRequestBytes];
      TVMFFI_RPC_RETURN_IF_ERROR(RecvAll(fd, head, sizeof(head)));
      uint32_t op = Get32(head);
      uint64_t handle = Get64(head + 8);
      uint64_t bytes = Get64(head + 16);
      if (op != kWrite && op != kRead) return ValueError("data channel: unknown request");
      std::shared_ptr<Endpoint> session = weak.lock();
      if (session == nullptr || session->closed()) {
        return ConnectionError("data channel: the session ended");
      }
      absl::StatusOr<ffi::Tensor> tensor = RequestedTensor(*session, handle, bytes);
      if (!tensor.ok()) {
        std::string reply = EncodeReply(tensor.status());
        TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, reply.data(), reply.size()));
        // A write's bytes are on their way and there is no telling how many: the connection
        // ends (the client goes on through the stream).
        if (op == kWrite) return tensor.status();
        continue;
      }
      const DLTensor& t = *tensor->GetDLTensorPtr();
      char* host = HostReadable(t) ? static_cast<char*>(t.data) + t.byte_offset : nullptr;
      if (host == nullptr && bounce == nullptr && bytes > 0) {
        bounce.reset(new char[kBounceBytes]);
      }
      absl::Status done;
      if (op == kWrite) {
        if (host != nullptr) {
          TVMFFI_RPC_RETURN_IF_ERROR(RecvAll(fd, host, bytes));
        } else {
          for (uint64_t offset = 0; offset < bytes && done.ok(); offset += kBounceBytes) {
            int64_t n = static_cast<int64_t>(std::min(kBounceBytes, bytes - offset));
            TVMFFI_RPC_RETURN_IF_ERROR(RecvAll(fd, bounce.get(), static_cast<uint64_t>(n)));
            DLTensor piece = Piece(t, offset, &n);
            done = session->WithSessionStreams({ffi::Any(*tensor)}, [&] {
              return device::CopyIntoTensor(piece, bounce.get(), static_cast<uint64_t>(n));
            });
          }
          // Bytes still on their way after a failed copy: the connection ends.
          if (!done.ok()) {
            std::string reply = EncodeReply(done);
            (void)SendAll(fd, reply.data(), reply.size());
            return done;
          }
        }
        std::string reply = EncodeReply(done);
        TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, reply.data(), reply.size()));
        bytes_.received.fetch_add(bytes, std::memory_order_relaxed);
        continue;
      }
      // kRead: the reply, the size, then the bytes (a failed device copy ends the connection
      // once the reply is out, since the size promised more).
      if (host != nullptr) {
        std::string reply = EncodeReply(absl::OkStatus());
        char size[8];
        Put64(bytes, size);
        iovec parts[3] = {{reply.data(), reply.size()}, {size, 8}, {host, bytes}};
        TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, parts, 3));
        bytes_.sent.fetch_add(bytes, std::memory_order_relaxed);
        continue;
      }
      bool started = false;
      for (uint64_t offset = 0; offset < bytes || !started; offset += kBounceBytes) {
        int64_t n = static_cast<int64_t>(std::min(kBounceBytes, bytes - offset));
        DLTensor piece = Piece(t, offset, &n);
        if (n > 0) {
          done = session->WithSessionStreams({ffi::Any(*tensor)}, [&] {
            return device::CopyFromTensor(piece, bounce.get(), static_cast<uint64_t>(n));
          });
        }
        if (!started) {
          std::string reply = EncodeReply(done);
          char size[8];
          Put64(bytes, size);
          iovec parts[2] = {{reply.data(), reply.size()}, {size, 8}};
          TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, parts, done.ok() ? 2 : 1));
          if (!done.ok()) break;
          started = true;
        }
        TVMFFI_RPC_RETURN_IF_ERROR(done);
        TVMFFI_RPC_RETURN_IF_ERROR(SendAll(fd, bounce.get(), static_cast<uint64_t>(n)));
        bytes_.sent.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        if (bytes == 0) break;
      }
    }
  }();
  (void)ended;
  std::lock_guard<std::mutex> lock(mutex_);
  ::close(fd);
  c->done = true;
}

}  // namespace tvmffi::rpc
