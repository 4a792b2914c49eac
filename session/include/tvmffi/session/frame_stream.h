// The transport the session engine runs over: an ordered, reliable stream of Frames. A gRPC
// bidi stream, a unix-socket pipe and an in-memory pair all implement it.
#ifndef TVMFFI_SESSION_FRAME_STREAM_H_
#define TVMFFI_SESSION_FRAME_STREAM_H_

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "tvmffi/rpc/v1/ffi.pb.h"

namespace tvmffi::rpc {

class FrameStream {
 public:
  virtual ~FrameStream() = default;
  // Sends one frame. Safe to call from many threads at once (implementations serialise).
  // UNAVAILABLE once the stream is closed or broken.
  [[nodiscard]] virtual absl::Status Write(const v1::Frame& frame) = 0;
  // Blocks for the next frame. Called from one thread at a time. A non-OK status means the
  // stream has ended (OUT_OF_RANGE for an orderly end, UNAVAILABLE for a broken one).
  [[nodiscard]] virtual absl::Status Read(v1::Frame* frame) = 0;
  // Ends the stream in both directions; a blocked Read returns. Idempotent.
  virtual void Close() = 0;
};

// Two connected in-memory streams (for tests and in-process sessions).
std::pair<std::unique_ptr<FrameStream>, std::unique_ptr<FrameStream>> MakeMemoryStreamPair();

// A stream over a connected stream socket (e.g. one end of a unix socketpair), which it owns
// and closes. Frames travel length-prefixed; one larger than max_frame_bytes (at most 4 GiB - 1)
// fails to send, and one announced larger by the peer breaks the stream.
std::unique_ptr<FrameStream> MakeSocketFrameStream(int fd,
                                                   uint64_t max_frame_bytes = (2ull << 30) - 1);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_FRAME_STREAM_H_
