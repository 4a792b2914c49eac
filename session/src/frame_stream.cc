// FrameStream's portable chunk methods: through a v1::Frame, for transports that cannot do
// better (the in-memory pair).
#include <cstring>

#include "tvmffi/session/chunk_wire.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {

absl::Status FrameStream::WriteChunk(const ChunkHeader& header, const char* data, uint64_t size,
                                     const std::shared_ptr<const void>& /*keepalive*/) {
  v1::Frame frame;
  v1::TensorChunk* chunk = frame.mutable_chunk();
  chunk->set_stream_id(header.stream_id);
  chunk->set_offset(header.offset);
  chunk->set_data(data, size);
  chunk->set_last(header.last);
  return Write(frame);
}

absl::Status FrameStream::ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                                    uint64_t* size) {
  v1::Frame frame;
  if (absl::Status st = Read(&frame); !st.ok()) return st;
  if (frame.body_case() != v1::Frame::kChunk) return NotAChunkError();
  const v1::TensorChunk& chunk = frame.chunk();
  if (chunk.data().size() > capacity) return ChunkTooLongError(chunk.data().size(), capacity);
  *header = ChunkHeader{chunk.stream_id(), chunk.offset(), chunk.last()};
  std::memcpy(dest, chunk.data().data(), chunk.data().size());
  *size = chunk.data().size();
  return absl::OkStatus();
}

}  // namespace tvmffi::rpc
