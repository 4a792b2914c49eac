// tvmffi::rpc::Client: stateless calls over one channel, spread by gRPC's load balancing.
#include <grpcpp/grpcpp.h>

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
}  // namespace

std::string Client::Stats() const {
  State& s = *state_;
  WaitConnected();
  grpc::ClientContext context;
  Prepare(&context, s.options,
          Deadline(s.options.call_timeout_s > 0 ? s.options.call_timeout_s : 30));
  v1::GetStatsRequest request;
  v1::Stats response;
  grpc::Status status = s.stub->GetStats(&context, request, &response);
  if (!status.ok()) throw StatusToError(FromGrpcStatus(status, target_));
  return response.text();
}

ffi::Any Client::Call(const std::string& name, const std::vector<ffi::Any>& args,
                      const std::string& module) const {
  State& s = *state_;
  WaitConnected();
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
    grpc::Status status = s.stub->Call(&context, request, &response);
    if (status.ok()) break;
    const bool retry = status.error_code() == grpc::StatusCode::UNAVAILABLE && attempt < attempts &&
                       (!deadline || std::chrono::system_clock::now() + backoff < *deadline);
    if (!retry) throw StatusToError(FromGrpcStatus(status, target_));
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
  if (response.has_error()) throw DecodeError(response.error(), target_);
  absl::StatusOr<ffi::Any> value = DecodeValue(response.value(), nullptr, limits);
  if (!value.ok()) throw StatusToError(value.status());
  return *std::move(value);
}

}  // namespace tvmffi::rpc
