// A TensorChunk frame's wire form, written and read in pieces: transports send the header
// bytes and then the tensor's own memory, and parse a received chunk straight into the tensor.
// The bytes are exactly a serialized v1::Frame, so any protobuf peer reads and writes them.
#ifndef TVMFFI_SESSION_CHUNK_WIRE_H_
#define TVMFFI_SESSION_CHUNK_WIRE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {

// The serialized Frame{chunk{header, data of `size` bytes}} up to the data's first byte.
std::string EncodeChunkPrefix(const ChunkHeader& header, uint64_t size);

// The two protocol errors of a chunk read (INVALID_ARGUMENT), shared by every transport.
absl::Status NotAChunkError();
absl::Status ChunkTooLongError(uint64_t size, uint64_t capacity);

// Where a received frame's bytes come from, in order.
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  virtual absl::Status Read(char* dest, uint64_t n) = 0;
  virtual absl::Status Skip(uint64_t n) = 0;
};

// Parses one serialized Frame of frame_size bytes from `in`, which must be a chunk whose data
// (at most capacity bytes) is copied to dest once. INVALID_ARGUMENT (after consuming the whole
// frame, so the stream stays in step) when it is another frame, malformed or too long; the
// source's own errors as they come.
absl::Status ParseChunkFrame(ChunkSource& in, uint64_t frame_size, ChunkHeader* header, char* dest,
                             uint64_t capacity, uint64_t* size);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_CHUNK_WIRE_H_
