// Tensor chunks read and written in pieces: the bytes are a plain serialized v1::Frame both
// ways, a received chunk lands in its destination, and bad input is a typed error that leaves
// the stream at the next frame (the socket transport relies on that).
#include "tvmffi/session/chunk_wire.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace tvmffi::rpc {
namespace {

class StringSource : public ChunkSource {
 public:
  explicit StringSource(std::string bytes) : bytes_(std::move(bytes)) {}
  absl::Status Read(char* dest, uint64_t n) override {
    if (n > bytes_.size() - pos_) return absl::UnavailableError("source exhausted");
    std::memcpy(dest, bytes_.data() + pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override {
    if (n > bytes_.size() - pos_) return absl::UnavailableError("source exhausted");
    pos_ += n;
    return absl::OkStatus();
  }
  size_t pos() const { return pos_; }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

TEST(ChunkWire, PrefixAndDataParseAsAProtobufFrame) {
  std::string data(3000, 'q');
  for (bool last : {false, true}) {
    ChunkHeader header{7, 1ull << 40, last};
    std::string wire = EncodeChunkPrefix(header, data.size()) + data;
    v1::Frame frame;
    ASSERT_TRUE(frame.ParseFromString(wire));
    ASSERT_EQ(frame.body_case(), v1::Frame::kChunk);
    EXPECT_EQ(frame.chunk().stream_id(), 7u);
    EXPECT_EQ(frame.chunk().offset(), 1ull << 40);
    EXPECT_EQ(frame.chunk().last(), last);
    EXPECT_EQ(frame.chunk().data(), data);
  }
}

TEST(ChunkWire, ParsesWhatProtobufSerializesIncludingFieldsAfterTheData) {
  v1::Frame frame;
  frame.mutable_chunk()->set_stream_id(3);
  frame.mutable_chunk()->set_offset(4096);
  frame.mutable_chunk()->set_data(std::string(100, 'z'));
  frame.mutable_chunk()->set_last(true);  // field 4: serialized after the data
  std::string wire = frame.SerializeAsString();
  StringSource source(wire);
  std::vector<char> dest(100);
  ChunkHeader header;
  uint64_t size = 0;
  ASSERT_TRUE(ParseChunkFrame(source, wire.size(), &header, dest.data(), dest.size(), &size).ok());
  EXPECT_EQ(header.stream_id, 3u);
  EXPECT_EQ(header.offset, 4096u);
  EXPECT_TRUE(header.last);
  EXPECT_EQ(std::string(dest.data(), size), std::string(100, 'z'));
}

TEST(ChunkWire, OtherFramesAndOverlongChunksAreConsumedAndRefused) {
  v1::Frame call;
  call.mutable_call()->set_id(9);
  call.mutable_call()->set_global_name("f");
  std::string wire = call.SerializeAsString();
  std::string next = "NEXT";
  StringSource source(wire + next);
  char dest[8];
  ChunkHeader header;
  uint64_t size = 0;
  absl::Status st = ParseChunkFrame(source, wire.size(), &header, dest, sizeof(dest), &size);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(source.pos(), wire.size());  // the stream is at the next frame

  std::string chunk = EncodeChunkPrefix({1, 0, true}, 16) + std::string(16, 'x');
  StringSource too_long(chunk);
  st = ParseChunkFrame(too_long, chunk.size(), &header, dest, sizeof(dest), &size);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("longer than"), std::string::npos);
  EXPECT_EQ(too_long.pos(), chunk.size());
}

TEST(ChunkWire, RandomBytesNeverCrashOrReadPastTheFrame) {
  std::mt19937_64 rng(5);
  std::string valid = EncodeChunkPrefix({2, 64, false}, 32) + std::string(32, 'v');
  std::vector<char> dest(64);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = valid;
    if (i % 2 == 0) {
      bytes.resize(rng() % (valid.size() + 1));  // truncated: the frame claims fewer bytes
    }
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0 && !bytes.empty(); --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    StringSource source(bytes + "tail");
    ChunkHeader header;
    uint64_t size = 0;
    absl::Status st =
        ParseChunkFrame(source, bytes.size(), &header, dest.data(), dest.size(), &size);
    ASSERT_TRUE(st.ok() || absl::IsInvalidArgument(st)) << st;
    ASSERT_EQ(source.pos(), bytes.size());
    ASSERT_LE(size, dest.size());
  }
}

TEST(ChunkWire, SocketStreamSendsFromTheTensorAndReceivesIntoIt) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto writer = MakeSocketFrameStream(sv[0]);
  auto reader = MakeSocketFrameStream(sv[1]);
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  std::thread send([&] {
    ASSERT_TRUE(writer->WriteChunk({5, 0, true}, data.data(), data.size(), nullptr).ok());
    v1::Frame after;
    after.mutable_release()->add_handles(1);
    ASSERT_TRUE(writer->Write(after).ok());
  });
  std::vector<char> dest(data.size());
  ChunkHeader header;
  uint64_t size = 0;
  ASSERT_TRUE(reader->ReadChunk(&header, dest.data(), dest.size(), &size).ok());
  EXPECT_EQ(header.stream_id, 5u);
  EXPECT_TRUE(header.last);
  EXPECT_EQ(size, data.size());
  EXPECT_EQ(std::memcmp(dest.data(), data.data(), data.size()), 0);
  v1::Frame after;
  ASSERT_TRUE(reader->Read(&after).ok());  // the next frame is intact
  EXPECT_EQ(after.body_case(), v1::Frame::kRelease);
  send.join();
}

}  // namespace
}  // namespace tvmffi::rpc
