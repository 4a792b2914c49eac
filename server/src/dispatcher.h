// How the server resolves a client's Call by name: published globals, and the "$" session
// operations the client library uses (look up a global, list globals, load a module, ...).
#ifndef TVMFFI_SERVER_SRC_DISPATCHER_H_
#define TVMFFI_SERVER_SRC_DISPATCHER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "module_store.h"
#include "policy.h"
#include "tvmffi/session/data_channel.h"
#include "tvmffi/session/endpoint.h"

namespace tvmffi::rpc::internal {

// Function names, module names and system-library prefixes a client sends are at most this
// long; longer ones are a ValueError (they would only bloat lookups and caches).
inline constexpr size_t kMaxNameBytes = 4096;
absl::Status CheckNameLength(std::string_view name, std::string_view what);

class ServerDispatcher : public Dispatcher {
 public:
  ServerDispatcher(std::shared_ptr<Policy> policy, std::shared_ptr<ModuleStore> modules,
                   tvm::ffi::Function info, uint64_t max_device_memory = 0);
  absl::StatusOr<tvm::ffi::Function> Resolve(std::string_view name, Endpoint& endpoint) override;
  bool ReadsArgsOnce(std::string_view name) const override;
  // Offers sessions the data channel (set before serving starts).
  void SetDataChannel(std::shared_ptr<DataChannelServer> data) { data_channel_ = std::move(data); }
  // The name a function was handed to a client under ($get_global, a module's GetFunction),
  // for metrics and logs of calls by handle; "" when unknown. At most Metrics::kMaxLabels names
  // are kept (each keeps its function alive).
  std::string NameOf(const tvm::ffi::Function& f) const;
  // Data channel connections open now.
  int data_channel_connections() const {
    return data_channel_ == nullptr ? 0 : data_channel_->num_connections();
  }
  // The data channel's byte counts; null when there is none.
  const ByteCounters* data_channel_bytes() const {
    return data_channel_ == nullptr ? nullptr : &data_channel_->bytes();
  }
  // The data channel's port; 0 when there is none.
  int data_port() const { return data_channel_ == nullptr ? 0 : data_channel_->port(); }
  // The session ended: its data-channel ticket is void.
  void ForgetSession(const Endpoint* endpoint);
  // A published global by name: NOT_FOUND (ValueError) when missing, PERMISSION_DENIED when
  // hidden by the policy.
  absl::StatusOr<tvm::ffi::Function> ResolveGlobal(std::string_view name) const;
  // The published globals starting with prefix (this process's and isolated modules'), sorted.
  std::vector<std::string> PublishedNames(std::string_view prefix) const;

 private:
  std::shared_ptr<Policy> policy_;
  std::shared_ptr<ModuleStore> modules_;
  std::map<std::string, tvm::ffi::Function, std::less<>> ops_;
  // $tensor.empty bound to a session's device memory budget (--max-device-memory), made once
  // per session; entries of ended sessions are dropped as new ones come.
  tvm::ffi::Function EmptyFor(Endpoint& endpoint);
  uint64_t max_device_memory_;
  void RememberName(const tvm::ffi::Function& f, std::string name);
  std::shared_ptr<DataChannelServer> data_channel_;
  mutable std::mutex names_mutex_;
  std::map<const tvm::ffi::Object*, std::pair<tvm::ffi::Function, std::string>> names_;
  std::mutex budgets_mutex_;
  std::map<const Endpoint*, std::pair<std::weak_ptr<Endpoint>, tvm::ffi::Function>> empties_;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_DISPATCHER_H_
