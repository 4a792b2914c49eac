#include "channel.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"

namespace tvmffi::rpc::internal {
namespace {

std::shared_ptr<grpc::ChannelCredentials> Credentials(const ConnectOptions& options) {
  if (!options.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certs_pem;
  ssl.pem_cert_chain = options.tls_client_cert_pem;
  ssl.pem_private_key = options.tls_client_key_pem;
  return grpc::SslCredentials(ssl);
}

// Failures that waiting does not cure: nothing listens there, the name does not resolve, or
// the two sides disagree on TLS. Anything else (a slow or restarting server) is retried.
bool IsPermanent(const std::string& reason) {
  for (const char* mark : {"Connection refused", "DNS resolution failed", "andshake", "SSL",
                           "Socket closed", "certificate"}) {
    if (reason.find(mark) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

absl::Status WaitUntilConnected(grpc::Channel& channel, const std::string& target,
                                double timeout_s) {
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  std::string last_reason;
  grpc_connectivity_state state = channel.GetState(true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      grpc::ClientContext probe;
      probe.set_deadline(
          std::min(deadline, std::chrono::system_clock::now() + std::chrono::seconds(2)));
      v1::ServerInfo info;
      grpc::Status status = v1::FFI::NewStub(channel.shared_from_this())
                                ->GetServerInfo(&probe, v1::GetServerInfoRequest(), &info);
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
        last_reason = status.error_message();
        if (IsPermanent(last_reason)) {
          return ConnectionError(absl::StrCat("cannot connect to ", target, ": ", last_reason));
        }
      }
    }
    if (!channel.WaitForStateChange(state, deadline)) {
      return ConnectionError(absl::StrCat("cannot connect to ", target, " within ", timeout_s, " s",
                                          last_reason.empty() ? "" : ": ", last_reason));
    }
    state = channel.GetState(true);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const ConnectOptions& options) {
  if (options.load_balancing != "round_robin" && options.load_balancing != "pick_first") {
    return ValueError(absl::StrCat("load balancing policy '", options.load_balancing,
                                   "' is not one of round_robin, pick_first"));
  }
  // The client's own arguments, then the user's over them (each key set once: gRPC would
  // keep the first of two).
  int max_bytes = static_cast<int>(std::min<uint64_t>(options.max_message_bytes, INT32_MAX));
  std::map<std::string, int> ints = {{GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, max_bytes},
                                     {GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, max_bytes},
                                     {GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000},
                                     {GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000},
                                     {GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1},
                                     {GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0}};
  std::map<std::string, std::string> strings;
  if (!options.tls_server_name.empty()) {
    strings[GRPC_SSL_TARGET_NAME_OVERRIDE_ARG] = options.tls_server_name;
  }
  for (const auto& [key, value] : options.channel_int_args) ints[key] = value;
  for (const auto& [key, value] : options.channel_string_args) strings[key] = value;
  grpc::ChannelArguments args;
  for (const auto& [key, value] : ints) args.SetInt(key, value);
  for (const auto& [key, value] : strings) args.SetString(key, value);
  // The policy, and (when asked) a retry of the stateless Call on UNAVAILABLE: gRPC's own
  // machinery, from the service config.
  std::string config =
      absl::StrCat(R"({"loadBalancingConfig": [{")", options.load_balancing, R"(": {}}])");
  if (options.retry_unavailable) {
    absl::StrAppend(&config, R"(, "methodConfig": [{"name": [{"service": "tvmffi.rpc.v1.FFI", )",
                    R"("method": "Call"}], "retryPolicy": {"maxAttempts": 4, )",
                    R"("initialBackoff": "0.05s", "maxBackoff": "1s", "backoffMultiplier": 2, )",
                    R"("retryableStatusCodes": ["UNAVAILABLE"]}}])");
  }
  config += "}";
  if (!options.service_config.empty()) {
    // gRPC would take a malformed one quietly and fail every call later: say so now.
    absl::string_view text = absl::StripAsciiWhitespace(options.service_config);
    if (text.empty() || text.front() != '{' || text.back() != '}') {
      return ValueError("ConnectOptions::service_config is not a JSON object");
    }
    config = options.service_config;
  }
  args.SetServiceConfigJSON(config);
  return grpc::CreateCustomChannel(target, Credentials(options), args);
}

}  // namespace tvmffi::rpc::internal
