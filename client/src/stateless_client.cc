// tvmffi::rpc::Client: stateless calls over one channel, spread by gRPC's load balancing.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "channel.h"
#include "tvmffi/grpc/grpc_stream.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"

namespace tvmffi::rpc {
namespace ffi = tvm::ffi;

struct Client::State {
  ConnectOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::FFI::Stub> stub;
  std::once_flag connected_once;
  absl::Status connected;  // the first call's wait for a server
};

Client::Client(const std::string& target, const ConnectOptions& options)
    : state_(std::make_shared<State>()), target_(target) {
  state_->options = options;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = internal::MakeChannel(target, options);
  if (!channel.ok()) throw StatusToError(channel.status());
  state_->channel = *std::move(channel);
  state_->stub = v1::FFI::NewStub(state_->channel);
}

void Client::WaitConnected() const {
  State& s = *state_;
  std::call_once(s.connected_once, [&] {
    s.connected = internal::WaitUntilConnected(*s.channel, target_, s.options.connect_timeout_s);
  });
  if (!s.connected.ok()) throw StatusToError(s.connected);
}

namespace {
std::optional<std::chrono::system_clock::time_point> Deadline(double timeout_s) {
  if (timeout_s <= 0) return std::nullopt;
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
}

// A call's context: the token, and the deadline when there is one.
void Prepare(grpc::ClientContext* context, const ConnectOptions& options,
             std::optional<std::chrono::system_clock::time_point> deadline) {
  if (!options.token.empty()) context->AddMetadata("authorization", "Bearer " + options.token);
  if (deadline.has_value()) context->set_deadline(*deadline);
}

// The context of a short service RPC (stats, health): call_timeout_s, else 30 s.
void PrepareServiceCall(grpc::ClientContext* context, const ConnectOptions& options) {
  Prepare(context, options, Deadline(options.call_timeout_s > 0 ? options.call_timeout_s : 30));
}
}  // namespace

std::string Client::Stats() const {
  State& s = *state_;
  WaitConnected();
  grpc::ClientContext context;
  PrepareServiceCall(&context, s.options);
  v1::GetStatsRequest request;
  v1::Stats response;
  grpc::Status status = s.stub->GetStats(&context, request, &response);
  if (!status.ok()) throw StatusToError(FromGrpcStatus(status, target_));
  return response.text();
}

std::string Client::Health(const std::string& service) const {
  State& s = *state_;
  WaitConnected();
  grpc::ClientContext context;
  PrepareServiceCall(&context, s.options);
  // grpc.health.v1.HealthCheckRequest { string service = 1; }, written by hand: its one field.
  std::string request_bytes;
  {
    google::protobuf::io::StringOutputStream out(&request_bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    if (!service.empty()) {
      coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
          1, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
      coded.WriteVarint32(static_cast<uint32_t>(service.size()));
      coded.WriteString(service);
    }
  }
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  const grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                         grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      s.channel.get(), method, &context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return "SERVICE_UNKNOWN";
  if (!status.ok()) throw StatusToError(FromGrpcStatus(status, target_));
  // HealthCheckResponse { ServingStatus status = 1; }: UNKNOWN 0, SERVING 1, NOT_SERVING 2,
  // SERVICE_UNKNOWN 3.
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& piece : slices) {
    bytes.append(reinterpret_cast<const char*>(piece.begin()), piece.size());
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  uint32_t value = 0;
  while (uint32_t tag = in.ReadTag()) {
    if (tag == google::protobuf::internal::WireFormatLite::MakeTag(
                   1, google::protobuf::internal::WireFormatLite::WIRETYPE_VARINT)) {
      if (!in.ReadVarint32(&value)) break;
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  switch (value) {
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "UNKNOWN";
  }
}

ffi::Any Client::Call(const std::string& name, const std::vector<ffi::Any>& args,
                      const std::string& module) const {
  return Call(name, args, module, nullptr);
}

ffi::Any Client::Call(const std::string& name, const std::vector<ffi::Any>& args,
                      const std::string& module, Failure* failure) const {
  State& s = *state_;
  Failure ignored;
  if (failure == nullptr) failure = &ignored;
  *failure = Failure::kTransport;
  WaitConnected();
  *failure = Failure::kServer;  // the request is ours to encode
  v1::CallRequest request;
  request.set_name(name);
  request.set_module(module);
  CodecLimits limits;
  for (const ffi::Any& arg : args) {
    absl::Status encoded = EncodeValue(arg, nullptr, request.add_args(), limits);
    if (!encoded.ok()) throw StatusToError(encoded);
  }
  // With retry_unavailable, a call whose server went away (UNAVAILABLE) is made again, up to 4
  // attempts, 50 ms backoff doubling, never past call_timeout_s. gRPC's retry policy (see
  // MakeChannel) covers the attempts that never left; this loop covers those that had reached
  // a server that then died, which gRPC may report before its own policy gets a turn.
  const auto deadline = Deadline(s.options.call_timeout_s);
  const int attempts = s.options.retry_unavailable ? 4 : 1;
  std::chrono::milliseconds backoff(50);
  v1::CallResponse response;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    Prepare(&context, s.options, deadline);
    response.Clear();
    *failure = Failure::kTransport;
    grpc::Status status = s.stub->Call(&context, request, &response);
    if (status.ok()) break;
    const bool retry = status.error_code() == grpc::StatusCode::UNAVAILABLE && attempt < attempts &&
                       (!deadline || std::chrono::system_clock::now() + backoff < *deadline);
    if (!retry) throw StatusToError(FromGrpcStatus(status, target_));
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
  *failure = Failure::kServer;
  if (response.has_error()) throw DecodeError(response.error(), target_);
  absl::StatusOr<ffi::Any> value = DecodeValue(response.value(), nullptr, limits);
  if (!value.ok()) throw StatusToError(value.status());
  *failure = Failure::kNone;
  return *std::move(value);
}

}  // namespace tvmffi::rpc
