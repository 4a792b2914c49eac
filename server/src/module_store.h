// The modules a server serves: the operator's (--load, by file stem) and, when --module-dir is
// set, modules clients ask for by name from that directory (never by path).
#ifndef TVMFFI_SERVER_SRC_MODULE_STORE_H_
#define TVMFFI_SERVER_SRC_MODULE_STORE_H_

#include <tvm/ffi/extra/module.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tvmffi::rpc::internal {

class ModuleStore {
 public:
  explicit ModuleStore(std::string module_dir) : module_dir_(std::move(module_dir)) {}
  // Loads an operator module from a path; it is served under its file stem.
  absl::Status LoadOperatorModule(const std::string& path);
  // The module called `name`: an operator module, else `<module_dir>/<name>` (or name.so).
  // INVALID_ARGUMENT for names with '/' or "..", PERMISSION_DENIED without a module dir,
  // NOT_FOUND when there is no such file.
  absl::StatusOr<tvm::ffi::Module> Get(const std::string& name);
  std::vector<std::string> Names() const;
  bool module_dir_enabled() const { return !module_dir_.empty(); }

 private:
  std::string module_dir_;
  mutable std::mutex mutex_;
  std::map<std::string, tvm::ffi::Module> modules_;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_MODULE_STORE_H_
