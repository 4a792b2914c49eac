// Test helpers for the session engine: a dispatcher serving a map of functions, and a call of
// the peer's global that throws its error like a proxy would.
#ifndef TVMFFI_TESTS_TESTING_ENDPOINT_HELPERS_H_
#define TVMFFI_TESTS_TESTING_ENDPOINT_HELPERS_H_

#include <tvm/ffi/function.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tvmffi/proto/status.h"
#include "tvmffi/session/endpoint.h"

namespace tvmffi::rpc::testing {

class MapDispatcher : public Dispatcher {
 public:
  absl::StatusOr<tvm::ffi::Function> Resolve(std::string_view name, Endpoint&) override {
    auto it = functions.find(std::string(name));
    if (it == functions.end()) {
      return WithErrorKind(absl::NotFoundError("no function " + std::string(name)), "ValueError");
    }
    return it->second;
  }
  std::map<std::string, tvm::ffi::Function> functions;
};

// The peer's global `name`(args...); its error is thrown as an ffi::Error.
inline tvm::ffi::Any CallGlobal(Endpoint& endpoint, const std::string& name,
                                std::vector<tvm::ffi::Any> args) {
  std::vector<tvm::ffi::AnyView> views(args.begin(), args.end());
  absl::StatusOr<tvm::ffi::Any> rv =
      endpoint.CallGlobal(name, views.data(), static_cast<int32_t>(views.size()));
  if (!rv.ok()) throw StatusToError(rv.status());
  return *std::move(rv);
}

}  // namespace tvmffi::rpc::testing

#endif  // TVMFFI_TESTS_TESTING_ENDPOINT_HELPERS_H_
