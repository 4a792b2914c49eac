// The client's gRPC channel, one way for sessions and stateless calls alike: credentials,
// message limits, keepalive, load balancing and retries from ConnectOptions, and the wait for
// a connection that tells a permanent failure from a slow server.
#ifndef TVMFFI_CLIENT_SRC_CHANNEL_H_
#define TVMFFI_CLIENT_SRC_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc::internal {

// A channel to target as options say; ValueError for an unknown load-balancing policy.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const ConnectOptions& options);

// Waits until channel is connected. A failed attempt is explained by gRPC's reason, from a
// probe call that does not wait for a connection: a permanent one (nothing listens, the name
// does not resolve, TLS disagrees) ends the wait at once, any other is retried until the
// timeout and then reported with it. ConnectionError either way.
absl::Status WaitUntilConnected(grpc::Channel& channel, const std::string& target,
                                double timeout_s);

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_CLIENT_SRC_CHANNEL_H_
