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

// The Session stream carries frames as raw byte buffers (the bytes are still a serialized
// v1::Frame): a tensor chunk then goes out from the tensor's own memory and comes in straight
// to its destination, instead of being copied through a protobuf message on each side.
using RawSessionReaderWriter = grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;

// Opens the client end of a Session stream on channel. Owns the context, and holds the channel
// until the stream is destroyed: nothing of the connection outlives the session, and nothing
// the session uses goes before it.
std::unique_ptr<FrameStream> OpenClientFrameStream(std::shared_ptr<grpc::ChannelInterface> channel,
                                                   std::unique_ptr<grpc::ClientContext> context,
                                                   std::string peer);

// The server end, borrowed from a handler: valid until the handler returns. The service serves
// Session over byte buffers by replacing its handler (grpc::Service::MarkMethodStreamed with a
// BidiStreamingHandler<Service, ByteBuffer, ByteBuffer>).
// counters (may be null, else outliving the stream) add up the bytes of every frame.
std::unique_ptr<FrameStream> MakeServerFrameStream(grpc::ServerContext* context,
                                                   RawSessionReaderWriter* stream,
                                                   ByteCounters* counters = nullptr);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_GRPC_GRPC_STREAM_H_
