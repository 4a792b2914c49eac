#include "module_store.h"

#include <sys/stat.h>
#include <climits>
#include <cstdlib>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {
namespace {

std::string Stem(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

absl::StatusOr<tvm::ffi::Module> LoadInProcess(const std::string& path) {
  try {
    return tvm::ffi::Module::LoadFromFile(path);
  } catch (const tvm::ffi::Error& e) {
    return WithErrorKind(absl::FailedPreconditionError(e.message()), e.kind());
  }
}

}  // namespace

absl::StatusOr<ModuleStore::Loaded> ModuleStore::Load(const std::string& path,
                                                      const std::string& name) {
  if (!isolate_.enabled) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(tvm::ffi::Module mod, LoadInProcess(path));
    return Loaded{mod, nullptr};
  }
  auto worker = std::make_shared<IsolatedWorker>(WorkerSpec{isolate_.program, path, name},
                                                 isolate_.call_timeout, isolate_.shared_memory);
  absl::Status started = worker->Start();
  if (!started.ok()) {
    tvm::ffi::Error err = StatusToError(started);
    return WithErrorKind(absl::FailedPreconditionError(
                             absl::StrCat(err.message(), "\n", std::string(err.backtrace()))),
                         err.kind());
  }
  return Loaded{MakeIsolatedModule(worker), worker};
}

tvm::ffi::Module ModuleStore::Register(const std::string& name, const Loaded& loaded,
                                       bool replace) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = modules_.emplace(name, loaded.module);
  if (!inserted && !replace) return it->second;  // another client loaded it first
  it->second = loaded.module;
  if (loaded.worker != nullptr) {
    for (const std::string& global : loaded.worker->globals()) {
      isolated_globals_.insert_or_assign(global,
                                         loaded.worker->Forwarder(std::string(1, '@') + global));
    }
  }
  return it->second;
}

std::optional<tvm::ffi::Function> ModuleStore::FindIsolatedGlobal(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = isolated_globals_.find(name);
  if (it == isolated_globals_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ModuleStore::IsolatedGlobalNames() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, f] : isolated_globals_) names.push_back(name);
  return names;
}

absl::Status ModuleStore::LoadOperatorModule(const std::string& path) {
  std::string name = Stem(path);
  TVMFFI_RPC_ASSIGN_OR_RETURN(Loaded loaded, Load(path, name));
  Register(name, loaded, /*replace=*/true);
  return absl::OkStatus();
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::Get(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = modules_.find(name);
    if (it != modules_.end()) return it->second;
  }
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos ||
      name.find('\0') != std::string::npos || name[0] == '.') {
    return WithErrorKind(absl::InvalidArgumentError(absl::StrCat(
                             "invalid module name `", name, "`: a plain file name is required")),
                         "ValueError");
  }
  if (module_dir_.empty()) {
    return WithErrorKind(absl::PermissionDeniedError(absl::StrCat(
                             "module `", name,
                             "` is not loaded and this server does not let clients load modules "
                             "(start it with --module-dir)")),
                         "PermissionError");
  }
  std::string path = module_dir_ + "/" + name;
  if (!IsRegularFile(path) && IsRegularFile(path + ".so")) path += ".so";
  // Resolve symlinks: the real file must still be inside the module directory.
  char real_dir[PATH_MAX], real_file[PATH_MAX];
  if (::realpath(module_dir_.c_str(), real_dir) == nullptr ||
      ::realpath(path.c_str(), real_file) == nullptr || !IsRegularFile(real_file)) {
    return WithErrorKind(
        absl::NotFoundError(absl::StrCat("no module `", name, "` in the module directory")),
        "ValueError");
  }
  std::string_view dir(real_dir), file(real_file);
  if (file.substr(0, dir.size()) != dir || file.size() <= dir.size() || file[dir.size()] != '/') {
    return WithErrorKind(absl::PermissionDeniedError(absl::StrCat(
                             "module `", name, "` resolves outside the module directory")),
                         "PermissionError");
  }
  TVMFFI_RPC_ASSIGN_OR_RETURN(Loaded loaded, Load(real_file, name));
  return Register(name, loaded, /*replace=*/false);
}

std::vector<std::string> ModuleStore::Names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, mod] : modules_) names.push_back(name);
  return names;
}

}  // namespace tvmffi::rpc::internal
