// Local stand-ins for the peer's objects: a function proxy is an ordinary ffi::Function (made
// with TVMFFIFunctionCreate) whose safe_call forwards over the session; a module proxy is a
// ModuleObj; anything else becomes an opaque RemoteObject. ProxyTable remembers which local
// objects are proxies so that sending one back hands the peer its own object.
#ifndef TVMFFI_SESSION_SRC_PROXY_H_
#define TVMFFI_SESSION_SRC_PROXY_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/object.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "tvmffi/rpc/v1/ffi.pb.h"

namespace tvmffi::rpc {
class Endpoint;
namespace internal {

class ProxyTable {
 public:
  void Add(const tvm::ffi::Object* proxy, uint64_t handle);
  void Remove(const tvm::ffi::Object* proxy);
  std::optional<uint64_t> Find(const tvm::ffi::Object* proxy) const;
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const tvm::ffi::Object*, uint64_t> handles_;
};

// A proxy for the peer's object ref (handle, type key, and a tensor's dtype, shape and device).
// The proxy keeps only a weak reference to the endpoint: once the session is gone, using it
// fails with ConnectionError.
tvm::ffi::Any MakeProxy(const std::shared_ptr<Endpoint>& endpoint, const v1::RemoteRef& ref);
// The error of a proxy whose session is gone.
absl::Status Disconnected();

}  // namespace internal
}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_SRC_PROXY_H_
