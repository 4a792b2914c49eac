#include "tvmffi/session/chunk_wire.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace tvmffi::rpc {
namespace {

// Field numbers of v1::Frame.chunk and v1::TensorChunk (ffi.proto).
constexpr uint32_t kFrameChunkField = 6;
constexpr uint32_t kStreamIdField = 1;
constexpr uint32_t kOffsetField = 2;
constexpr uint32_t kDataField = 3;
constexpr uint32_t kLastField = 4;
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return field << 3 | wire_type; }

int VarintSize(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads within the frame's remaining bytes, so a malformed length never reads past it.
class Reader {
 public:
  Reader(ChunkSource& in, uint64_t size) : in_(in), left_(size) {}
  uint64_t left() const { return left_; }

  absl::Status Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      char byte;
      if (absl::Status st = Bytes(&byte, 1); !st.ok()) return st;
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(byte) & 0x7f) << shift;
      if ((static_cast<uint8_t>(byte) & 0x80) == 0) return absl::OkStatus();
    }
    return absl::InvalidArgumentError("malformed varint in a chunk frame");
  }
  absl::Status Bytes(char* dest, uint64_t n) {
    if (n > left_) return absl::InvalidArgumentError("chunk frame field runs past its frame");
    left_ -= n;
    return in_.Read(dest, n);
  }
  absl::Status Skip(uint64_t n) {
    if (n > left_) return absl::InvalidArgumentError("chunk frame field runs past its frame");
    left_ -= n;
    return in_.Skip(n);
  }
  // Consumes whatever is left of the frame, then reports `error`.
  absl::Status Fail(absl::Status error) {
    if (absl::Status st = in_.Skip(left_); !st.ok()) return st;
    left_ = 0;
    return error;
  }

 private:
  ChunkSource& in_;
  uint64_t left_;
};

}  // namespace

absl::Status NotAChunkError() {
  return absl::InvalidArgumentError("a tensor's chunks were interrupted by another frame");
}

absl::Status ChunkTooLongError(uint64_t size, uint64_t capacity) {
  return absl::InvalidArgumentError(absl::StrCat("tensor chunk of ", size,
                                                 " bytes is longer than the ", capacity,
                                                 " bytes left of its tensor"));
}

std::string EncodeChunkPrefix(const ChunkHeader& header, uint64_t size) {
  uint64_t body = 1 + VarintSize(header.stream_id) + 1 + VarintSize(header.offset) +
                  (header.last ? 2 : 0) + 1 + VarintSize(size) + size;
  std::string out;
  out.reserve(32);
  out.push_back(static_cast<char>(Tag(kFrameChunkField, kLengthDelimited)));
  PutVarint(body, &out);
  out.push_back(static_cast<char>(Tag(kStreamIdField, kVarint)));
  PutVarint(header.stream_id, &out);
  out.push_back(static_cast<char>(Tag(kOffsetField, kVarint)));
  PutVarint(header.offset, &out);
  if (header.last) {
    out.push_back(static_cast<char>(Tag(kLastField, kVarint)));
    out.push_back(1);
  }
  out.push_back(static_cast<char>(Tag(kDataField, kLengthDelimited)));
  PutVarint(size, &out);
  return out;
}

absl::Status ParseChunkFrame(ChunkSource& in, uint64_t frame_size, ChunkHeader* header, char* dest,
                             uint64_t capacity, uint64_t* size) {
  Reader r(in, frame_size);
  *header = ChunkHeader{};
  *size = 0;
  uint64_t tag = 0, body = 0;
  absl::Status st = r.Varint(&tag);
  if (st.ok() && tag != Tag(kFrameChunkField, kLengthDelimited)) {
    st = NotAChunkError();
  }
  if (st.ok()) st = r.Varint(&body);
  if (st.ok() && body != r.left()) {
    st = absl::InvalidArgumentError("chunk frame has trailing fields or a wrong length");
  }
  while (st.ok() && r.left() > 0) {
    uint64_t v = 0;
    if (st = r.Varint(&tag); !st.ok()) break;
    switch (tag) {
      case Tag(kStreamIdField, kVarint):
        st = r.Varint(&header->stream_id);
        break;
      case Tag(kOffsetField, kVarint):
        st = r.Varint(&header->offset);
        break;
      case Tag(kLastField, kVarint):
        st = r.Varint(&v);
        header->last = v != 0;
        break;
      case Tag(kDataField, kLengthDelimited):
        if (st = r.Varint(&v); !st.ok()) break;
        if (v > capacity) {
          st = ChunkTooLongError(v, capacity);
          break;
        }
        st = r.Bytes(dest, v);  // the one copy: transport buffers -> tensor
        *size = v;
        break;
      default:  // unknown fields are skipped, as protobuf would
        switch (tag & 7) {
          case kVarint:
            st = r.Varint(&v);
            break;
          case kFixed64:
            st = r.Skip(8);
            break;
          case kLengthDelimited:
            if (st = r.Varint(&v); st.ok()) st = r.Skip(v);
            break;
          case kFixed32:
            st = r.Skip(4);
            break;
          default:
            st = absl::InvalidArgumentError("malformed chunk frame");
        }
    }
  }
  if (absl::IsInvalidArgument(st)) return r.Fail(st);  // malformed: skip to the next frame
  return st;
}

}  // namespace tvmffi::rpc
