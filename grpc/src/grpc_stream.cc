#include "tvmffi/grpc/grpc_stream.h"

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"

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

// gRPC allows one Write and one Read in flight at a time on a stream: writers take turns.
class ClientFrameStream : public FrameStream {
 public:
  ClientFrameStream(std::unique_ptr<grpc::ClientContext> context,
                    std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream,
                    std::string peer)
      : context_(std::move(context)), stream_(std::move(stream)), peer_(std::move(peer)) {}
  ~ClientFrameStream() override { Close(); }

  absl::Status Write(const v1::Frame& frame) override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !stream_->Write(frame)) {
      return WithErrorKind(absl::UnavailableError("connection to " + peer_ + " closed"),
                           "ConnectionError");
    }
    return absl::OkStatus();
  }

  absl::Status Read(v1::Frame* frame) override {
    if (stream_->Read(frame)) return absl::OkStatus();
    std::lock_guard<std::mutex> lock(write_mutex_);  // no Write may overlap Finish
    closed_ = true;
    grpc::Status status = stream_->Finish();
    if (status.ok()) return absl::OutOfRangeError("the server ended the session");
    return FromGrpcStatus(status, peer_);
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_) return;
    closed_ = true;
    context_->TryCancel();  // a blocked Read returns
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream_;
  std::string peer_;
  std::mutex write_mutex_;
  bool closed_ = false;
};

class ServerFrameStream : public FrameStream {
 public:
  ServerFrameStream(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<v1::Frame, v1::Frame>* stream)
      : context_(context), stream_(stream) {}

  absl::Status Write(const v1::Frame& frame) override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_ || !stream_->Write(frame)) {
      return WithErrorKind(absl::UnavailableError("client stream closed"), "ConnectionError");
    }
    return absl::OkStatus();
  }

  absl::Status Read(v1::Frame* frame) override {
    if (stream_->Read(frame)) return absl::OkStatus();
    return absl::OutOfRangeError("the client ended the session");
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (closed_) return;
    closed_ = true;
    context_->TryCancel();
  }

 private:
  grpc::ServerContext* context_;
  grpc::ServerReaderWriter<v1::Frame, v1::Frame>* stream_;
  std::mutex write_mutex_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<FrameStream> MakeClientFrameStream(
    std::unique_ptr<grpc::ClientContext> context,
    std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream, std::string peer) {
  return std::make_unique<ClientFrameStream>(std::move(context), std::move(stream),
                                             std::move(peer));
}

std::unique_ptr<FrameStream> MakeServerFrameStream(
    grpc::ServerContext* context, grpc::ServerReaderWriter<v1::Frame, v1::Frame>* stream) {
  return std::make_unique<ServerFrameStream>(context, stream);
}

}  // namespace tvmffi::rpc
