#include "module_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"
#include "worker_protocol.h"

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

// A module name a client may use: a plain file name, nothing that walks directories.
absl::Status CheckModuleName(const std::string& name) {
  bool control = false;
  for (unsigned char c : name) control = control || c < 0x20 || c == 0x7f;
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos ||
      control || name[0] == '.' || name.size() > 255) {
    return ValueError(
        absl::StrCat("invalid module name `", absl::CEscape(name),
                     "`: a plain file name (no '/', no control characters) is required"));
  }
  return absl::OkStatus();
}

absl::StatusOr<tvm::ffi::Module> LoadInProcess(const std::string& path) {
  try {
    return tvm::ffi::Module::LoadFromFile(path);
  } catch (...) {
    tvm::ffi::Error e = CurrentExceptionToError();
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
    if (err.kind() != kind::kRemoteCrashError) {  // the loader's own error (not a library, ...)
      return WithErrorKind(absl::FailedPreconditionError(err.message()), err.kind());
    }
    // The worker crashed while loading: its signal and backtrace.
    return WithErrorKind(absl::FailedPreconditionError(
                             absl::StrCat(err.message(), "\n", std::string(err.backtrace()))),
                         err.kind());
  }
  return Loaded{MakeIsolatedModule(worker), worker};
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::Register(const std::string& name,
                                                       const std::string& path,
                                                       const Loaded& loaded, bool replace) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = modules_.find(name);
  if (found != modules_.end() && !replace) return found->second;  // another client was first
  if (loaded.worker != nullptr) {
    std::vector<std::string> taken;
    for (const std::string& global : loaded.worker->globals()) {
      auto owner = isolated_global_owner_.find(global);
      if ((owner != isolated_global_owner_.end() && owner->second != name) ||
          tvm::ffi::Function::GetGlobal(global).has_value()) {
        taken.push_back(global);
      }
    }
    if (!taken.empty()) {
      return RuntimeError(absl::StrCat(
          "Library ", path,
          " registers global functions that are already registered: ", absl::StrJoin(taken, ", ")));
    }
    workers_.push_back(loaded.worker);
    for (const std::string& global : loaded.worker->globals()) {
      isolated_globals_.insert_or_assign(global,
                                         loaded.worker->Forwarder(std::string(1, '@') + global));
      isolated_global_owner_.insert_or_assign(global, name);
    }
  }
  modules_.insert_or_assign(name, loaded.module);
  return loaded.module;
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

absl::StatusOr<std::optional<tvm::ffi::Function>> ModuleStore::FindIsolatedSystemLibFunction(
    const std::string& prefix, const std::string& name) const {
  std::vector<std::shared_ptr<IsolatedWorker>> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers = workers_;
  }
  std::string key = absl::StrCat(std::string(1, worker::kSystemLibPrefix), prefix,
                                 std::string(1, worker::kSystemLibSeparator), name);
  for (const std::shared_ptr<IsolatedWorker>& w : workers) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(bool has, w->HasFunction(key));
    if (has) return std::optional<tvm::ffi::Function>(w->Forwarder(key));
  }
  return std::optional<tvm::ffi::Function>();
}

absl::Status ModuleStore::LoadOperatorModule(const std::string& path) {
  std::string name = Stem(path);
  TVMFFI_RPC_ASSIGN_OR_RETURN(Loaded loaded, Load(path, name));
  return Register(name, path, loaded, /*replace=*/true).status();
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::Get(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = modules_.find(name);
    if (it != modules_.end()) return it->second;
  }
  TVMFFI_RPC_RETURN_IF_ERROR(CheckModuleName(name));
  if (module_dir_.empty()) {
    return PermissionError(
        absl::StrCat("module `", name,
                     "` is not loaded and this server does not let clients load modules "
                     "(start it with --module-dir)"));
  }
  std::string path = module_dir_ + "/" + name;
  if (!IsRegularFile(path) && IsRegularFile(path + ".so")) path += ".so";
  // Resolve symlinks: the real file must still be inside the module directory.
  char real_dir[PATH_MAX], real_file[PATH_MAX];
  if (::realpath(module_dir_.c_str(), real_dir) == nullptr ||
      ::realpath(path.c_str(), real_file) == nullptr || !IsRegularFile(real_file)) {
    return WithErrorKind(
        absl::NotFoundError(absl::StrCat("no module `", name, "` in the module directory")),
        kind::kValueError);
  }
  std::string_view dir(real_dir), file(real_file);
  if (file.substr(0, dir.size()) != dir || file.size() <= dir.size() || file[dir.size()] != '/') {
    return PermissionError(
        absl::StrCat("module `", name, "` resolves outside the module directory"));
  }
  TVMFFI_RPC_ASSIGN_OR_RETURN(Loaded loaded, Load(real_file, name));
  return Register(name, real_file, loaded, /*replace=*/false);
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::Upload(const std::string& name,
                                                     std::string_view bytes) {
  if (upload_dir_.empty()) {
    return PermissionError(
        "this server does not accept uploaded modules (start it with "
        "--allow-upload)");
  }
  TVMFFI_RPC_RETURN_IF_ERROR(CheckModuleName(name));
  auto taken = [&] {
    return WithErrorKind(absl::AlreadyExistsError(absl::StrCat(
                             "a module named `", name, "` is already loaded on this server")),
                         kind::kValueError);
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (modules_.count(name) != 0) return taken();
  }
  // O_EXCL: two clients uploading one name race here, and one of them loses cleanly.
  std::string path = absl::StrCat(upload_dir_, "/", name, ".so");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return taken();
    return RuntimeError(absl::StrCat("cannot write the uploaded module: ", std::strerror(errno)));
  }
  bool written = true;
  for (size_t off = 0; off < bytes.size() && written;) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    written = n > 0;
    off += written ? static_cast<size_t>(n) : 0;
  }
  written = ::close(fd) == 0 && written;
  if (!written) {
    ::unlink(path.c_str());
    return WithErrorKind(absl::ResourceExhaustedError("cannot write the uploaded module to disk"),
                         kind::kRuntimeError);
  }
  absl::StatusOr<Loaded> loaded = Load(path, name);
  if (!loaded.ok()) {
    ::unlink(path.c_str());
    // The client's bytes are the problem (not a library, a missing symbol): a ValueError.
    return ValueError(absl::StrCat("the uploaded module `", name, "` cannot be loaded: ",
                                   ErrorKindOf(loaded.status()), ": ", loaded.status().message()));
  }
  absl::StatusOr<tvm::ffi::Module> registered = Register(name, path, *loaded, /*replace=*/false);
  if (isolate_.enabled && registered.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    uploaded_files_.push_back(path);  // a restarted worker loads it again
  } else {
    ::unlink(path.c_str());  // loaded in this process (the mapping outlives the name), or refused
  }
  if (!registered.ok()) {  // the same words as a refusal in-process (see above)
    return ValueError(absl::StrCat("the uploaded module `", name,
                                   "` cannot be loaded: ", ErrorKindOf(registered.status()), ": ",
                                   registered.status().message()));
  }
  return registered;
}

ModuleStore::~ModuleStore() {
  for (const std::string& path : uploaded_files_) ::unlink(path.c_str());
  if (!upload_dir_.empty()) ::rmdir(upload_dir_.c_str());
}

std::vector<std::string> ModuleStore::Names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, mod] : modules_) names.push_back(name);
  return names;
}

}  // namespace tvmffi::rpc::internal
