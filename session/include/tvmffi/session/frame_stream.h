// The transport the session engine runs over: an ordered, reliable stream of Frames. A gRPC
// bidi stream, a unix-socket pipe and an in-memory pair all implement it.
#ifndef TVMFFI_SESSION_FRAME_STREAM_H_
#define TVMFFI_SESSION_FRAME_STREAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/rpc/v1/ffi.pb.h"

namespace google::protobuf {
class MessageLite;
namespace io {
class ZeroCopyInputStream;
}  // namespace io
}  // namespace google::protobuf

namespace tvmffi::rpc {

// A TensorChunk frame without its data: transports may send a tensor's bytes from where they
// lie and receive them where they belong, instead of copying them through a v1::Frame.
struct ChunkHeader {
  uint64_t stream_id = 0;
  uint64_t offset = 0;
  bool last = false;
};

// Bytes a transport moved, for the server's metrics: the transport adds, the owner reads.
struct ByteCounters {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> sent{0};
};

class FrameStream {
 public:
  virtual ~FrameStream() = default;
  // Sends one frame. Safe to call from many threads at once (implementations serialise).
  // UNAVAILABLE once the stream is closed or broken.
  [[nodiscard]] virtual absl::Status Write(const v1::Frame& frame) = 0;
  // Blocks for the next frame. Called from one thread at a time. INVALID_ARGUMENT: a frame
  // arrived whole but does not parse (see ParseFrame); the stream stays usable. Any other
  // non-OK status means the stream has ended (OUT_OF_RANGE for an orderly end, UNAVAILABLE for a
  // broken one).
  [[nodiscard]] virtual absl::Status Read(v1::Frame* frame) = 0;
  // Ends the stream in both directions; a blocked Read returns. Idempotent.
  virtual void Close() = 0;

  // Sends the chunk frame {header, data[0, size)}. A transport that still refers to data after
  // returning holds `keepalive` until it is done; with a null keepalive, data is only valid
  // during the call. The default copies the bytes into a Frame.
  [[nodiscard]] virtual absl::Status WriteChunk(const ChunkHeader& header, const char* data,
                                                uint64_t size,
                                                const std::shared_ptr<const void>& keepalive);
  // Reads the next frame, which must be a chunk of at most `capacity` bytes, into dest;
  // *size gets its length. INVALID_ARGUMENT: some other frame, or too long (the stream stays
  // usable); other errors as Read. The default reads a Frame and copies its data.
  [[nodiscard]] virtual absl::Status ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                                               uint64_t* size);
};

// Message nesting a frame may have: every value the codec accepts (CodecLimits::max_depth
// levels of arrays, maps or error causes, two protobuf levels each) parses, so one nested deeper
// reaches the codec and gets its typed error for that call alone.
inline constexpr int kFrameNestingLimit = 2 * CodecLimits{}.max_depth + 8;

// Parses a received frame with the nesting limit above; INVALID_ARGUMENT when it does not
// parse. The array form then leaves in *frame what the frame's first bytes tell (see
// ReadFrameHead), so the session can answer or fail that one call.
[[nodiscard]] absl::Status ParseFrame(google::protobuf::io::ZeroCopyInputStream* input,
                                      v1::Frame* frame);
// Any received message (e.g. a unary CallRequest) with the same nesting limit; false when it
// does not parse.
bool ParseWithNestingLimit(google::protobuf::io::ZeroCopyInputStream* input,
                           google::protobuf::MessageLite* message);
[[nodiscard]] absl::Status ParseFrame(const void* data, size_t size, v1::Frame* frame);
// For a frame that did not parse: *frame becomes a Call or a Return with only the id found in
// head (the frame's first bytes, kFrameHeadBytes are enough), or an empty frame.
inline constexpr size_t kFrameHeadBytes = 32;
void ReadFrameHead(std::string_view head, v1::Frame* frame);

// Two connected in-memory streams (for tests and in-process sessions).
std::pair<std::unique_ptr<FrameStream>, std::unique_ptr<FrameStream>> MakeMemoryStreamPair();

// A stream over a connected stream socket (e.g. one end of a unix socketpair), which it owns
// and closes. Frames travel length-prefixed; one larger than max_frame_bytes (at most 4 GiB - 1)
// fails to send, and one announced larger by the peer breaks the stream.
std::unique_ptr<FrameStream> MakeSocketFrameStream(int fd,
                                                   uint64_t max_frame_bytes = (2ull << 30) - 1);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_FRAME_STREAM_H_
