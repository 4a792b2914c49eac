// A FrameStream over a connected stream socket (a unix socketpair to an isolated worker):
// each frame is a 4-byte little-endian length, then the serialized Frame. No gRPC, no HTTP/2,
// no extra threads: a call is one write and one read on each side.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/chunk_wire.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {
namespace {

class SocketFrameStream : public FrameStream {
 public:
  SocketFrameStream(int fd, uint64_t max_frame_bytes)
      : fd_(fd), max_frame_bytes_(max_frame_bytes) {}
  ~SocketFrameStream() override {
    Close();
    ::close(fd_);
  }

  absl::Status Write(const v1::Frame& frame) override {
    size_t size = frame.ByteSizeLong();
    TVMFFI_RPC_RETURN_IF_ERROR(CheckOutgoing(size));
    std::lock_guard<std::mutex> lock(write_mutex_);
    write_buffer_.resize(4 + size);
    uint8_t* out = write_buffer_.data();
    PutLength(size, out);
    frame.SerializeWithCachedSizesToArray(out + 4);
    absl::Status sent = SendAll(out, 4 + size);
    if (write_buffer_.capacity() > kKeepBuffer) std::vector<uint8_t>().swap(write_buffer_);
    return sent;
  }

  // The length prefix and the chunk header in one buffer, then the tensor's bytes from where
  // they lie: the kernel's copy is the only one.
  absl::Status WriteChunk(const ChunkHeader& header, const char* data, uint64_t size,
                          const std::shared_ptr<const void>& /*keepalive*/) override {
    std::string header_bytes = EncodeChunkPrefix(header, size);
    uint64_t frame_size = header_bytes.size() + size;
    TVMFFI_RPC_RETURN_IF_ERROR(CheckOutgoing(frame_size));
    uint8_t length[4];
    PutLength(frame_size, length);
    std::lock_guard<std::mutex> lock(write_mutex_);
    iovec parts[3] = {
        {length, 4}, {header_bytes.data(), header_bytes.size()}, {const_cast<char*>(data), size}};
    return SendAll(parts, 3);
  }

  absl::Status ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                         uint64_t* size) override {
    uint64_t frame_size = 0;
    if (absl::Status st = ReadLength(&frame_size); !st.ok()) return st;
    Source source(this);
    return ParseChunkFrame(source, frame_size, header, dest, capacity, size);
  }

  absl::Status Read(v1::Frame* frame) override {
    uint64_t size = 0;
    if (absl::Status st = ReadLength(&size); !st.ok()) return st;
    read_body_.resize(size);
    if (absl::Status st = ReadExact(read_body_.data(), size, false); !st.ok()) return st;
    absl::Status parsed = ParseFrame(read_body_.data(), size, frame);
    if (read_body_.capacity() > kKeepBuffer) std::vector<uint8_t>().swap(read_body_);
    return parsed;
  }

  void Close() override {
    std::call_once(closed_, [this] { ::shutdown(fd_, SHUT_RDWR); });  // wakes a blocked read
  }

 private:
  // The 4-byte little-endian length in front of every frame.
  static void PutLength(uint64_t size, uint8_t* out) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(size >> (8 * i));
  }

  absl::Status CheckOutgoing(uint64_t frame_size) const {
    if (frame_size <= max_frame_bytes_) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", frame_size, " bytes is over the limit of ", max_frame_bytes_));
  }

  // A received frame's body, read in place: large data goes straight from the socket to dest.
  class Source : public ChunkSource {
   public:
    explicit Source(SocketFrameStream* stream) : stream_(stream) {}
    absl::Status Read(char* dest, uint64_t n) override {
      return stream_->ReadExact(reinterpret_cast<uint8_t*>(dest), n, false);
    }
    absl::Status Skip(uint64_t n) override {
      uint8_t scratch[4096];
      while (n > 0) {
        uint64_t step = std::min<uint64_t>(n, sizeof(scratch));
        if (absl::Status st = stream_->ReadExact(scratch, step, false); !st.ok()) return st;
        n -= step;
      }
      return absl::OkStatus();
    }

   private:
    SocketFrameStream* stream_;
  };

  absl::Status ReadLength(uint64_t* size) {
    uint8_t header[4];
    if (absl::Status st = ReadExact(header, 4, /*at_frame_start=*/true); !st.ok()) return st;
    *size = 0;
    for (int i = 0; i < 4; ++i) *size |= static_cast<uint64_t>(header[i]) << (8 * i);
    if (*size > max_frame_bytes_) {
      return absl::UnavailableError(absl::StrCat("peer sent a frame of ", *size,
                                                 " bytes, over the limit of ", max_frame_bytes_));
    }
    return absl::OkStatus();
  }

  static constexpr size_t kKeepBuffer = 4 << 20;  // larger buffers are not kept between frames
  static constexpr size_t kReadAhead = 64 << 10;

  absl::Status SendAll(const uint8_t* data, size_t size) {
    iovec part{const_cast<uint8_t*>(data), size};
    return SendAll(&part, 1);
  }

  // Sends every byte of parts (consumed as it goes), resuming after partial writes.
  absl::Status SendAll(iovec* parts, int count) {
    while (count > 0) {
      if (parts[0].iov_len == 0) {
        ++parts;
        --count;
        continue;
      }
      msghdr msg{};
      msg.msg_iov = parts;
      msg.msg_iovlen = static_cast<size_t>(count);
      ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::UnavailableError(absl::StrCat("socket write failed: ", std::strerror(errno)));
      }
      for (size_t left = static_cast<size_t>(n); left > 0;) {
        size_t step = std::min(left, parts[0].iov_len);
        parts[0].iov_base = static_cast<char*>(parts[0].iov_base) + step;
        parts[0].iov_len -= step;
        left -= step;
        if (parts[0].iov_len == 0) {
          ++parts;
          --count;
        }
      }
    }
    return absl::OkStatus();
  }

  // Fills dest from the read-ahead buffer and the socket. Small frames cost one recv for
  // several; a large body goes straight into dest.
  absl::Status ReadExact(uint8_t* dest, size_t size, bool at_frame_start) {
    size_t got = 0;
    while (got < size) {
      if (ahead_begin_ < ahead_end_) {
        size_t n = std::min(size - got, ahead_end_ - ahead_begin_);
        std::memcpy(dest + got, ahead_.data() + ahead_begin_, n);
        ahead_begin_ += n;
        got += n;
        continue;
      }
      bool direct = size - got >= kReadAhead;
      if (!direct && ahead_.empty()) ahead_.resize(kReadAhead);
      ssize_t n = direct ? ::recv(fd_, dest + got, size - got, 0)
                         : ::recv(fd_, ahead_.data(), ahead_.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        if (at_frame_start && got == 0) return absl::OutOfRangeError("peer closed the stream");
        return absl::UnavailableError("peer closed the stream in the middle of a frame");
      }
      if (n < 0) {
        return absl::UnavailableError(absl::StrCat("socket read failed: ", std::strerror(errno)));
      }
      if (direct) {
        got += static_cast<size_t>(n);
      } else {
        ahead_begin_ = 0;
        ahead_end_ = static_cast<size_t>(n);
      }
    }
    return absl::OkStatus();
  }

  const int fd_;
  const uint64_t max_frame_bytes_;
  std::once_flag closed_;
  std::mutex write_mutex_;
  std::vector<uint8_t> write_buffer_;
  std::vector<uint8_t> read_body_;
  std::vector<uint8_t> ahead_;  // read-ahead: [ahead_begin_, ahead_end_) not yet consumed
  size_t ahead_begin_ = 0, ahead_end_ = 0;
};

}  // namespace

std::unique_ptr<FrameStream> MakeSocketFrameStream(int fd, uint64_t max_frame_bytes) {
  return std::make_unique<SocketFrameStream>(fd, max_frame_bytes);
}

}  // namespace tvmffi::rpc
