// Parsing received frames, and FrameStream's portable chunk methods: through a v1::Frame, for
// transports that cannot do better (the in-memory pair).
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "tvmffi/session/chunk_wire.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {

// Protobuf writes fields in number order, so a Call's or Return's id (field 1) comes first in
// its body.
void ReadFrameHead(std::string_view head, v1::Frame* frame) {
  frame->Clear();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(head.data()),
                                            static_cast<int>(head.size()));
  uint32_t tag = in.ReadTag();
  uint32_t field = tag >> 3;
  uint32_t length = 0;
  if ((tag & 7) != 2 ||
      (field != v1::Frame::kCallFieldNumber && field != v1::Frame::kRetFieldNumber) ||
      !in.ReadVarint32(&length)) {
    return;
  }
  uint64_t id = 0;
  if (in.ReadTag() != ((1u << 3) | 0) || !in.ReadVarint64(&id)) return;
  if (field == v1::Frame::kCallFieldNumber) {
    frame->mutable_call()->set_id(id);
  } else {
    frame->mutable_ret()->set_id(id);
  }
}

namespace {
absl::Status NotParsed(v1::Frame* frame) {
  frame->Clear();
  return absl::InvalidArgumentError(absl::StrCat(
      "the peer sent a frame that does not parse (malformed, or values nested deeper than ",
      CodecLimits{}.max_depth, " levels)"));
}
}  // namespace

bool ParseWithNestingLimit(google::protobuf::io::ZeroCopyInputStream* input,
                           google::protobuf::MessageLite* message) {
  google::protobuf::io::CodedInputStream in(input);
  in.SetRecursionLimit(kFrameNestingLimit);
  in.SetTotalBytesLimit(std::numeric_limits<int>::max());
  return message->ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

absl::Status ParseFrame(google::protobuf::io::ZeroCopyInputStream* input, v1::Frame* frame) {
  if (!ParseWithNestingLimit(input, frame)) return NotParsed(frame);
  return absl::OkStatus();
}

absl::Status ParseFrame(const void* data, size_t size, v1::Frame* frame) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    frame->Clear();
    return absl::InvalidArgumentError("the peer sent a frame of 2 GiB or more");
  }
  google::protobuf::io::ArrayInputStream input(data, static_cast<int>(size));
  absl::Status parsed = ParseFrame(&input, frame);
  if (!parsed.ok()) {
    ReadFrameHead(std::string_view(static_cast<const char*>(data), std::min(size, kFrameHeadBytes)),
                  frame);
  }
  return parsed;
}

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
