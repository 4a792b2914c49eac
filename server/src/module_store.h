// The modules a server serves: the operator's (--load, by file stem), when --module-dir is
// set, modules clients ask for by name from that directory (never by path), and with
// --allow-upload, modules whose bytes a client sent.
#ifndef TVMFFI_SERVER_SRC_MODULE_STORE_H_
#define TVMFFI_SERVER_SRC_MODULE_STORE_H_

#include <tvm/ffi/extra/module.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "isolated_module.h"

namespace tvmffi::rpc::internal {

// How modules run when the server isolates them (--isolate).
struct IsolateOptions {
  bool enabled = false;
  std::string program;                                     // the worker binary
  absl::Duration call_timeout = absl::InfiniteDuration();  // --worker-timeout
  bool shared_memory = true;                               // shared tensors by reference
};

class ModuleStore {
 public:
  // upload_dir: where uploaded modules are written ("" = uploads off); the store owns it and
  // removes it at the end.
  explicit ModuleStore(std::string module_dir, IsolateOptions isolate = {},
                       std::string upload_dir = "")
      : module_dir_(std::move(module_dir)),
        isolate_(std::move(isolate)),
        upload_dir_(std::move(upload_dir)) {}
  ~ModuleStore();
  ModuleStore(const ModuleStore&) = delete;
  ModuleStore& operator=(const ModuleStore&) = delete;
  // Loads an operator module from a path; it is served under its file stem.
  absl::Status LoadOperatorModule(const std::string& path);
  // The module called `name`: an operator module, else `<module_dir>/<name>` (or name.so).
  // INVALID_ARGUMENT for names with '/' or "..", PERMISSION_DENIED without a module dir,
  // NOT_FOUND when there is no such file.
  absl::StatusOr<tvm::ffi::Module> Get(const std::string& name);
  // Loads the module whose file contents a client sent and serves it under name (a plain file
  // name). PERMISSION_DENIED without --allow-upload; ALREADY_EXISTS when name is taken.
  absl::StatusOr<tvm::ffi::Module> Upload(const std::string& name, std::string_view bytes);
  std::vector<std::string> Names() const;
  // A global registered by an isolated module (forwarding to its worker), or nullopt.
  std::optional<tvm::ffi::Function> FindIsolatedGlobal(std::string_view name) const;
  // The globals isolated modules registered.
  std::vector<std::string> IsolatedGlobalNames() const;
  // `name` of the system library for prefix as registered by an isolated module in its worker
  // (forwarding there), or nullopt.
  absl::StatusOr<std::optional<tvm::ffi::Function>> FindIsolatedSystemLibFunction(
      const std::string& prefix, const std::string& name) const;
  bool isolated() const { return isolate_.enabled; }
  bool module_dir_enabled() const { return !module_dir_.empty(); }
  bool upload_enabled() const { return !upload_dir_.empty(); }

 private:
  struct Loaded {
    tvm::ffi::Module module;
    std::shared_ptr<IsolatedWorker> worker;  // set when isolated
  };
  // Loads path in this process, or (isolated) starts its worker.
  absl::StatusOr<Loaded> Load(const std::string& path, const std::string& name);
  // Publishes a loaded module (and its worker's globals) under name; without replace, a
  // module already there wins and is returned. An isolated module whose globals another module
  // (isolated or not) already registered is refused, as the runtime refuses it in-process, so
  // no module takes over another's global.
  absl::StatusOr<tvm::ffi::Module> Register(const std::string& name, const std::string& path,
                                            const Loaded& loaded, bool replace);

  std::string module_dir_;
  IsolateOptions isolate_;
  std::string upload_dir_;
  std::vector<std::string> uploaded_files_;  // removed with the store (workers reload them)
  mutable std::mutex mutex_;
  std::map<std::string, tvm::ffi::Module> modules_;
  std::map<std::string, tvm::ffi::Function, std::less<>> isolated_globals_;
  std::map<std::string, std::string> isolated_global_owner_;  // global -> module name
  std::vector<std::shared_ptr<IsolatedWorker>> workers_;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_MODULE_STORE_H_
