// The gRPC transport: FrameStream adapters over the Session bidi stream (client and server
// side), and the one conversion between grpc::Status and absl::Status.
#ifndef TVMFFI_GRPC_GRPC_STREAM_H_
#define TVMFFI_GRPC_GRPC_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {

// grpc::Status -> absl::Status: the codes are numbered alike; peer names the other side.
absl::Status FromGrpcStatus(const grpc::Status& status, const std::string& peer);

// The client end of a Session stream. Owns the context and the stream.
std::unique_ptr<FrameStream> MakeClientFrameStream(
    std::unique_ptr<grpc::ClientContext> context,
    std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream, std::string peer);

// The server end, borrowed from a handler: valid until the handler returns.
std::unique_ptr<FrameStream> MakeServerFrameStream(
    grpc::ServerContext* context, grpc::ServerReaderWriter<v1::Frame, v1::Frame>* stream);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_GRPC_GRPC_STREAM_H_
