// Which global functions the server publishes. The runtime's own `ffi.*` functions (loading
// files by path, removing globals, turning raw pointers into functions) are never published.
#ifndef TVMFFI_SERVER_SRC_POLICY_H_
#define TVMFFI_SERVER_SRC_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

namespace tvmffi::rpc::internal {

class Policy {
 public:
  Policy(std::vector<std::string> expose, std::vector<std::string> hide)
      : expose_(std::move(expose)), hide_(std::move(hide)) {}
  bool IsPublished(std::string_view name) const;

 private:
  std::vector<std::string> expose_;
  std::vector<std::string> hide_;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_POLICY_H_
