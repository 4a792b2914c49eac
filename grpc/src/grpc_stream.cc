#include "tvmffi/grpc/grpc_stream.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/chunk_wire.h"

namespace tvmffi::rpc {

absl::Status FromGrpcStatus(const grpc::Status& status, const std::string& peer) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(status.error_message(), " (peer ", peer, ")");
  switch (status.error_code()) {
    case grpc::StatusCode::CANCELLED:
      return absl::CancelledError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(message);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(message);
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::ALREADY_EXISTS:
      return absl::AlreadyExistsError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::ResourceExhaustedError(message);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::FailedPreconditionError(message);
    case grpc::StatusCode::ABORTED:
      return absl::AbortedError(message);
    case grpc::StatusCode::OUT_OF_RANGE:
      return absl::OutOfRangeError(message);
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnimplementedError(message);
    case grpc::StatusCode::INTERNAL:
      return absl::InternalError(message);
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(message);
    case grpc::StatusCode::DATA_LOSS:
      return absl::DataLossError(message);
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(message);
    default:
      return absl::UnknownError(message);
  }
}

namespace {

// A received byte buffer as a chunk source: its slices are copied out once, to their target.
class ByteBufferSource : public ChunkSource {
 public:
  explicit ByteBufferSource(grpc::ByteBuffer* buffer) {
    (void)buffer->Dump(&slices_);  // references, not copies
  }
  absl::Status Read(char* dest, uint64_t n) override { return Take(dest, n); }
  absl::Status Skip(uint64_t n) override { return Take(nullptr, n); }

 private:
  absl::Status Take(char* dest, uint64_t n) {
    while (n > 0) {
      if (index_ >= slices_.size()) return absl::InvalidArgumentError("chunk frame is truncated");
      const grpc::Slice& slice = slices_[index_];
      uint64_t step = std::min<uint64_t>(n, slice.size() - offset_);
      if (dest != nullptr) {
        std::memcpy(dest, slice.begin() + offset_, step);
        dest += step;
      }
      n -= step;
      offset_ += step;
      if (offset_ == slice.size()) {
        ++index_;
        offset_ = 0;
      }
    }
    return absl::OkStatus();
  }

  std::vector<grpc::Slice> slices_;
  size_t index_ = 0;
  size_t offset_ = 0;
};

// Frames <-> byte buffers, shared by both ends. Stream is a grpc reader-writer of ByteBuffers.
template <typename Stream>
class ByteBufferFrames {
 public:
  // The chunk header as a small slice, then the data as a slice of the tensor's own memory
  // that holds keepalive until gRPC lets go of it (after the bytes are on the socket).
  static grpc::ByteBuffer ChunkBuffer(const ChunkHeader& header, const char* data, uint64_t size,
                                      const std::shared_ptr<const void>& keepalive) {
    std::string prefix = EncodeChunkPrefix(header, size);
    grpc::Slice parts[2] = {grpc::Slice(prefix),
                            keepalive == nullptr
                                ? grpc::Slice(data, size)
                                : grpc::Slice(const_cast<char*>(data), size, &ReleaseKeepAlive,
                                              new KeepAlive(keepalive))};
    return grpc::ByteBuffer(parts, 2);
  }

  static bool WriteFrame(Stream* stream, const v1::Frame& frame) {
    grpc::ByteBuffer buffer;
    bool own = false;
    if (!grpc::SerializationTraits<v1::Frame>::Serialize(frame, &buffer, &own).ok()) return false;
    return stream->Write(buffer);
  }

  // False at the end of the stream; a malformed frame is UNAVAILABLE (the peer is broken).
  static absl::Status ReadFrame(Stream* stream, v1::Frame* frame, bool* ended) {
    grpc::ByteBuffer buffer;
    *ended = !stream->Read(&buffer);
    if (*ended) return absl::OkStatus();
    if (!grpc::SerializationTraits<v1::Frame>::Deserialize(&buffer, frame).ok()) {
      return absl::UnavailableError("peer sent a malformed frame");
    }
    return absl::OkStatus();
  }

  static absl::Status ReadChunkFrame(Stream* stream, ChunkHeader* header, char* dest,
                                     uint64_t capacity, uint64_t* size, bool* ended) {
    grpc::ByteBuffer buffer;
    *ended = !stream->Read(&buffer);
    if (*ended) return absl::OkStatus();
    ByteBufferSource source(&buffer);
    return ParseChunkFrame(source, buffer.Length(), header, dest, capacity, size);
  }

 private:
  using KeepAlive = std::shared_ptr<const void>;
  static void ReleaseKeepAlive(void* keepalive) { delete static_cast<KeepAlive*>(keepalive); }
};

using ClientStream = grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;

// gRPC allows one Write and one Read in flight at a time on a stream: writers take turns.
class ClientFrameStream : public FrameStream {
 public:
  ClientFrameStream(std::unique_ptr<grpc::ClientContext> context,
                    std::unique_ptr<ClientStream> stream, std::string peer)
      : context_(std::move(context)), stream_(std::move(stream)), peer_(std::move(peer)) {}
  ~ClientFrameStream() override { Close(); }

  absl::Status Write(const v1::Frame& frame) override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !Frames::WriteFrame(stream_.get(), frame)) return Closed();
    return absl::OkStatus();
  }

  absl::Status WriteChunk(const ChunkHeader& header, const char* data, uint64_t size,
                          const std::shared_ptr<const void>& keepalive) override {
    grpc::ByteBuffer buffer = Frames::ChunkBuffer(header, data, size, keepalive);
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !stream_->Write(buffer)) return Closed();
    return absl::OkStatus();
  }

  absl::Status Read(v1::Frame* frame) override {
    bool ended = false;
    absl::Status st = Frames::ReadFrame(stream_.get(), frame, &ended);
    return ended ? Finish() : st;
  }

  absl::Status ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                         uint64_t* size) override {
    bool ended = false;
    absl::Status st = Frames::ReadChunkFrame(stream_.get(), header, dest, capacity, size, &ended);
    return ended ? Finish() : st;
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_) return;
    closed_ = true;
    context_->TryCancel();  // a blocked Read returns
  }

 private:
  using Frames = ByteBufferFrames<ClientStream>;

  absl::Status Closed() const {
    return WithErrorKind(absl::UnavailableError("connection to " + peer_ + " closed"),
                         "ConnectionError");
  }

  absl::Status Finish() {
    std::lock_guard<std::mutex> lock(write_mutex_);  // no Write may overlap Finish
    closed_ = true;
    grpc::Status status = stream_->Finish();
    if (status.ok()) return absl::OutOfRangeError("the server ended the session");
    return FromGrpcStatus(status, peer_);
  }

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<ClientStream> stream_;
  std::string peer_;
  std::mutex write_mutex_;
  bool closed_ = false;
};

class ServerFrameStream : public FrameStream {
 public:
  ServerFrameStream(grpc::ServerContext* context, RawSessionReaderWriter* stream)
      : context_(context), stream_(stream) {}

  absl::Status Write(const v1::Frame& frame) override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !Frames::WriteFrame(stream_, frame)) return Closed();
    return absl::OkStatus();
  }

  absl::Status WriteChunk(const ChunkHeader& header, const char* data, uint64_t size,
                          const std::shared_ptr<const void>& keepalive) override {
    grpc::ByteBuffer buffer = Frames::ChunkBuffer(header, data, size, keepalive);
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !stream_->Write(buffer)) return Closed();
    return absl::OkStatus();
  }

  absl::Status Read(v1::Frame* frame) override {
    bool ended = false;
    absl::Status st = Frames::ReadFrame(stream_, frame, &ended);
    return ended ? Ended() : st;
  }

  absl::Status ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                         uint64_t* size) override {
    bool ended = false;
    absl::Status st = Frames::ReadChunkFrame(stream_, header, dest, capacity, size, &ended);
    return ended ? Ended() : st;
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_) return;
    closed_ = true;
    context_->TryCancel();
  }

 private:
  using Frames = ByteBufferFrames<RawSessionReaderWriter>;

  static absl::Status Closed() {
    return WithErrorKind(absl::UnavailableError("client stream closed"), "ConnectionError");
  }
  static absl::Status Ended() { return absl::OutOfRangeError("the client ended the session"); }

  grpc::ServerContext* context_;
  RawSessionReaderWriter* stream_;
  std::mutex write_mutex_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<FrameStream> OpenClientFrameStream(grpc::ChannelInterface* channel,
                                                   std::unique_ptr<grpc::ClientContext> context,
                                                   std::string peer) {
  // The generated stub's Session, but typed on ByteBuffer (the same method and bytes).
  grpc::internal::RpcMethod method("/tvmffi.rpc.v1.FFI/Session",
                                   grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<ClientStream> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel, method, context.get()));
  if (stream == nullptr) return nullptr;
  return std::make_unique<ClientFrameStream>(std::move(context), std::move(stream),
                                             std::move(peer));
}

std::unique_ptr<FrameStream> MakeServerFrameStream(grpc::ServerContext* context,
                                                   RawSessionReaderWriter* stream) {
  return std::make_unique<ServerFrameStream>(context, stream);
}

}  // namespace tvmffi::rpc
