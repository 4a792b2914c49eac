#include "tvmffi/grpc/grpc_stream.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <atomic>
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
  // gRPC's and absl's codes are the same numbers; the code's name and the peer stay in the
  // message, so an RPCError says what gRPC said and about whom.
  auto code = static_cast<absl::StatusCode>(status.error_code());
  return absl::Status(code, absl::StrCat(status.error_message(), " (gRPC ",
                                         absl::StatusCodeToString(code), " from ", peer, ")"));
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

// Either end of the Session stream: frames as byte buffers. gRPC allows one Write and one Read
// in flight at a time on a stream, so writers take turns. Stream is a gRPC reader-writer of
// ByteBuffers; Context (a client or server context) can cancel it.
template <typename Stream, typename Context>
class ByteBufferFrameStream : public FrameStream {
 public:
  absl::Status Write(const v1::Frame& frame) override {
    grpc::ByteBuffer buffer;
    bool own = false;
    if (!grpc::SerializationTraits<v1::Frame>::Serialize(frame, &buffer, &own).ok()) {
      return absl::InvalidArgumentError("cannot serialize a frame");
    }
    return WriteBuffer(buffer);
  }

  // The chunk header as a small slice, then the data as a slice of the tensor's own memory
  // that holds keepalive until gRPC lets go of it (after the bytes are on the socket).
  absl::Status WriteChunk(const ChunkHeader& header, const char* data, uint64_t size,
                          const std::shared_ptr<const void>& keepalive) override {
    std::string prefix = EncodeChunkPrefix(header, size);
    grpc::Slice parts[2] = {grpc::Slice(prefix),
                            keepalive == nullptr
                                ? grpc::Slice(data, size)
                                : grpc::Slice(const_cast<char*>(data), size, &ReleaseKeepAlive,
                                              new KeepAlive(keepalive))};
    grpc::ByteBuffer buffer(parts, 2);
    return WriteBuffer(buffer);
  }

  absl::Status Read(v1::Frame* frame) override {
    grpc::ByteBuffer buffer;
    if (!stream_->Read(&buffer)) return Ended();
    Count(&ByteCounters::received, buffer.Length());
    absl::Status parsed;
    {
      grpc::ProtoBufferReader reader(&buffer);
      parsed = ParseFrame(&reader, frame);
    }
    if (!parsed.ok()) {
      // The head may span slices (the network splits a message where it likes): gather it.
      std::vector<grpc::Slice> slices;
      if (buffer.Dump(&slices).ok()) {
        std::string head;
        for (const grpc::Slice& slice : slices) {
          size_t take = std::min(slice.size(), kFrameHeadBytes - head.size());
          head.append(reinterpret_cast<const char*>(slice.begin()), take);
          if (head.size() == kFrameHeadBytes) break;
        }
        ReadFrameHead(head, frame);
      }
    }
    return parsed;
  }

  absl::Status ReadChunk(ChunkHeader* header, char* dest, uint64_t capacity,
                         uint64_t* size) override {
    grpc::ByteBuffer buffer;
    if (!stream_->Read(&buffer)) return Ended();
    Count(&ByteCounters::received, buffer.Length());
    ByteBufferSource source(&buffer);
    return ParseChunkFrame(source, buffer.Length(), header, dest, capacity, size);
  }

  // Never waits for a writer: a Write blocked by flow control (a live peer that stopped reading)
  // holds write_mutex_, and the cancel is what makes it return.
  void Close() override {
    if (closed_.exchange(true)) return;
    context_->TryCancel();  // blocked Reads and Writes return
  }

 protected:
  ByteBufferFrameStream(Stream* stream, Context* context) : stream_(stream), context_(context) {}
  // The error for writing to a closed stream.
  virtual absl::Status ClosedError() const = 0;
  // Why the stream ended, once a Read found it over.
  virtual absl::Status Ended() = 0;

  Stream* const stream_;
  Context* const context_;
  ByteCounters* counters_ = nullptr;  // set: every frame's bytes are added
  std::mutex write_mutex_;  // one Write at a time, and none overlapping the client's Finish
  std::atomic<bool> closed_{false};

 private:
  using KeepAlive = std::shared_ptr<const void>;
  static void ReleaseKeepAlive(void* keepalive) { delete static_cast<KeepAlive*>(keepalive); }

  absl::Status WriteBuffer(const grpc::ByteBuffer& buffer) {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !stream_->Write(buffer)) return ClosedError();
    Count(&ByteCounters::sent, buffer.Length());
    return absl::OkStatus();
  }

  void Count(std::atomic<uint64_t> ByteCounters::*which, size_t bytes) {
    if (counters_ != nullptr) (counters_->*which).fetch_add(bytes, std::memory_order_relaxed);
  }
};

using ClientStream = grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;

class ClientFrameStream : public ByteBufferFrameStream<ClientStream, grpc::ClientContext> {
 public:
  ClientFrameStream(std::shared_ptr<grpc::ChannelInterface> channel,
                    std::unique_ptr<grpc::ClientContext> context,
                    std::unique_ptr<ClientStream> stream, std::string peer)
      : ByteBufferFrameStream(stream.get(), context.get()),
        channel_(std::move(channel)),
        owned_context_(std::move(context)),
        owned_stream_(std::move(stream)),
        peer_(std::move(peer)) {}
  ~ClientFrameStream() override { Close(); }

 private:
  absl::Status ClosedError() const override {
    return ConnectionError("connection to " + peer_ + " closed");
  }

  // Both Read and ReadChunk end up here, possibly more than once (a reader that failed in the
  // middle of a tensor reads on): Finish runs once and its verdict is kept. gRPC asserts (and
  // ends the process) on a second Finish.
  absl::Status Ended() override {
    std::lock_guard<std::mutex> lock(finish_mutex_);
    if (!finished_) {
      closed_.store(true);
      std::lock_guard<std::mutex> no_write(write_mutex_);  // no Write may overlap Finish
      grpc::Status status = stream_->Finish();
      ended_ = status.ok() ? absl::OutOfRangeError("the server ended the session")
                           : FromGrpcStatus(status, peer_);
      finished_ = true;
    }
    return ended_;
  }

  std::mutex finish_mutex_;
  bool finished_ = false;
  absl::Status ended_;
  std::shared_ptr<grpc::ChannelInterface> channel_;  // destroyed last
  std::unique_ptr<grpc::ClientContext> owned_context_;
  std::unique_ptr<ClientStream> owned_stream_;
  std::string peer_;
};

class ServerFrameStream
    : public ByteBufferFrameStream<RawSessionReaderWriter, grpc::ServerContext> {
 public:
  ServerFrameStream(grpc::ServerContext* context, RawSessionReaderWriter* stream,
                    ByteCounters* counters)
      : ByteBufferFrameStream(stream, context) {
    counters_ = counters;
  }

 private:
  absl::Status ClosedError() const override { return ConnectionError("client stream closed"); }
  absl::Status Ended() override { return absl::OutOfRangeError("the client ended the session"); }
};

}  // namespace

std::unique_ptr<FrameStream> OpenClientFrameStream(std::shared_ptr<grpc::ChannelInterface> channel,
                                                   std::unique_ptr<grpc::ClientContext> context,
                                                   std::string peer) {
  // The generated stub's Session, but typed on ByteBuffer (the same method and bytes).
  grpc::internal::RpcMethod method("/tvmffi.rpc.v1.FFI/Session",
                                   grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<ClientStream> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(), method, context.get()));
  if (stream == nullptr) return nullptr;
  return std::make_unique<ClientFrameStream>(std::move(channel), std::move(context),
                                             std::move(stream), std::move(peer));
}

std::unique_ptr<FrameStream> MakeServerFrameStream(grpc::ServerContext* context,
                                                   RawSessionReaderWriter* stream,
                                                   ByteCounters* counters) {
  return std::make_unique<ServerFrameStream>(context, stream, counters);
}

}  // namespace tvmffi::rpc
