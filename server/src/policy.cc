#include "policy.h"

namespace tvmffi::rpc::internal {
namespace {
bool HasPrefix(std::string_view name, const std::string& prefix) {
  return name.substr(0, prefix.size()) == prefix;
}
}  // namespace

bool Policy::IsPublished(std::string_view name) const {
  if (name.empty() || HasPrefix(name, "ffi.") || name[0] == '$') return false;
  for (const std::string& p : hide_) {
    if (HasPrefix(name, p)) return false;
  }
  if (expose_.empty()) return true;
  for (const std::string& p : expose_) {
    if (HasPrefix(name, p)) return true;
  }
  return false;
}

}  // namespace tvmffi::rpc::internal
