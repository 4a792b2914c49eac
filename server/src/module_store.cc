#include "module_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "elf_symbols.h"
#include "log.h"
#include "tvmffi/grpc/credential_files.h"
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

// Writes all of bytes to fd; RuntimeError (RESOURCE_EXHAUSTED) when the disk refuses.
absl::Status WriteAll(int fd, std::string_view bytes) {
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return WithErrorKind(
          absl::ResourceExhaustedError(absl::StrCat("cannot write the module file to disk: ",
                                                    n < 0 ? std::strerror(errno) : "disk full")),
          kind::kRuntimeError);
    }
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Writes bytes to a new file at path (O_EXCL); nothing is left there when it cannot.
absl::Status WriteNewFile(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return RuntimeError(absl::StrCat("cannot write the module file: ", std::strerror(errno)));
  }
  absl::Status written = WriteAll(fd, bytes);
  if (::close(fd) != 0 && written.ok()) {
    written = WithErrorKind(absl::ResourceExhaustedError("cannot write the module file to disk"),
                            kind::kRuntimeError);
  }
  if (!written.ok()) ::unlink(path.c_str());
  return written;
}
}  // namespace

absl::StatusOr<ModuleStore::Loaded> ModuleStore::Load(const std::string& path,
                                                      const std::string& name) {
  if (!isolate_.enabled) {
    // The globals its loading registers are its own: loads take turns, so the difference of
    // the registry's names before and after is this library's.
    static std::mutex* load_mutex = new std::mutex;
    std::lock_guard<std::mutex> lock(*load_mutex);
    std::set<std::string> before;
    for (const tvm::ffi::String& g : tvm::ffi::Function::ListGlobalNames()) before.emplace(g);
    TVMFFI_RPC_ASSIGN_OR_RETURN(tvm::ffi::Module mod, LoadInProcess(path));
    Loaded loaded{mod, nullptr, {}};
    for (const tvm::ffi::String& g : tvm::ffi::Function::ListGlobalNames()) {
      if (before.count(std::string(g)) == 0) loaded.globals.emplace_back(g);
    }
    return loaded;
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
  return Loaded{MakeIsolatedModule(worker), worker, {}};
}

namespace {
// The functions the library at path exports, read from its mapped file; empty when unreadable.
std::vector<std::string> LibraryFunctions(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat st;
  std::vector<std::string> names;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void* image = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (image != MAP_FAILED) {
      absl::StatusOr<std::vector<std::string>> found = ExportedFunctionNames(
          std::string_view(static_cast<const char*>(image), static_cast<size_t>(st.st_size)));
      if (found.ok()) names = *std::move(found);
      ::munmap(image, static_cast<size_t>(st.st_size));
    }
  }
  ::close(fd);
  return names;
}
}  // namespace

absl::StatusOr<tvm::ffi::Module> ModuleStore::Register(const std::string& name,
                                                       const std::string& path,
                                                       const Loaded& loaded, bool replace) {
  std::vector<std::string> functions = LibraryFunctions(path);  // before the lock: file I/O
  Dropped dropped;  // released after the lock (declared first, destroyed last)
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = modules_.find(name);
  if (found != modules_.end() && !replace) return found->second;  // another client was first
  const bool replacing = found != modules_.end();                 // (RetireLocked erases `found`)
  if (loaded.worker == nullptr && replacing) RetireLocked(name, &dropped);
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
    if (replacing) RetireLocked(name, &dropped);  // replace: the old worker's globals go
    workers_.push_back(loaded.worker);
    module_workers_[name] = loaded.worker;
    for (const std::string& global : loaded.worker->globals()) {
      isolated_globals_.insert_or_assign(global,
                                         loaded.worker->Forwarder(std::string(1, '@') + global));
      isolated_global_owner_.insert_or_assign(global, name);
    }
  }
  if (loaded.worker == nullptr) {
    module_globals_[name] = loaded.globals;
    char real[PATH_MAX];
    module_paths_[name] = ::realpath(path.c_str(), real) != nullptr ? real : path;
  }
  log::Event(
      log::Level::kInfo, replacing ? "module.replace" : "module.load",
      {{"module", name},
       {"path", path},
       {"isolated", loaded.worker != nullptr},
       {"functions", static_cast<int64_t>(functions.size())},
       {"globals", static_cast<int64_t>(loaded.worker != nullptr ? loaded.worker->globals().size()
                                                                 : loaded.globals.size())}});
  module_functions_[name] = std::move(functions);
  modules_.insert_or_assign(name, loaded.module);
  return loaded.module;
}

absl::StatusOr<std::vector<std::string>> ModuleStore::FunctionNames(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (modules_.count(name) == 0) {
    return ValueError(absl::StrCat("no module `", absl::CEscape(name), "` is loaded"));
  }
  auto found = module_functions_.find(name);
  return found == module_functions_.end() ? std::vector<std::string>() : found->second;
}

absl::StatusOr<std::vector<std::string>> ModuleStore::AvailableNames() const {
  if (module_dir_.empty()) {
    return PermissionError("this server has no module directory (start it with --module-dir)");
  }
  DIR* dir = ::opendir(module_dir_.c_str());
  if (dir == nullptr) {
    return RuntimeError(absl::StrCat("cannot read the module directory: ", std::strerror(errno)));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    std::string file = entry->d_name;
    if (file.size() <= 3 || file.compare(file.size() - 3, 3, ".so") != 0) continue;
    std::string stem = file.substr(0, file.size() - 3);
    if (!CheckModuleName(stem).ok() || !IsRegularFile(module_dir_ + "/" + file)) continue;
    names.push_back(std::move(stem));
    if (names.size() >= 4096) break;
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void ModuleStore::RetireLocked(const std::string& name, Dropped* dropped) {
  auto found = modules_.find(name);
  if (found == modules_.end()) return;
  auto worker = module_workers_.find(name);
  if (worker != module_workers_.end()) {
    for (auto it = isolated_global_owner_.begin(); it != isolated_global_owner_.end();) {
      if (it->second == name) {
        isolated_globals_.erase(it->first);
        it = isolated_global_owner_.erase(it);
      } else {
        ++it;
      }
    }
    workers_.erase(std::remove(workers_.begin(), workers_.end(), worker->second), workers_.end());
    dropped->worker = std::move(worker->second);
    dropped->module = std::move(found->second);
    module_workers_.erase(worker);  // its calls in flight hold it; it ends with the last
  } else {
    for (const std::string& global : module_globals_[name]) {
      tvm::ffi::Function::RemoveGlobal(global);
    }
    module_globals_.erase(name);
    retired_paths_.insert(module_paths_[name]);
    module_paths_.erase(name);
    retired_.push_back(found->second);  // in-process code of it may still run: never unmapped
  }
  module_functions_.erase(name);
  modules_.erase(found);
}

absl::Status ModuleStore::Unload(const std::string& name) {
  NotifyChange notify{this};  // after the locks below are released
  std::lock_guard<std::mutex> replacing(replace_mutex_);
  Dropped dropped;  // released after the lock
  std::lock_guard<std::mutex> lock(mutex_);
  if (module_dir_.empty() && upload_dir_.empty()) {
    return PermissionError(
        "this server does not let clients change its modules (start it with --allow-upload "
        "or --module-dir)");
  }
  if (modules_.count(name) == 0) {
    return ValueError(absl::StrCat("no module `", absl::CEscape(name), "` is loaded"));
  }
  if (operator_modules_.count(name) != 0 && upload_dir_.empty()) {
    return PermissionError(absl::StrCat("module `", name,
                                        "` was loaded by the operator (--load); only a server "
                                        "started with --allow-upload lets clients unload it"));
  }
  RetireLocked(name, &dropped);
  operator_modules_.erase(name);
  log::Event(log::Level::kInfo, "module.unload", {{"module", name}});
  return absl::OkStatus();
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
  TVMFFI_RPC_RETURN_IF_ERROR(Register(name, path, loaded, /*replace=*/true).status());
  std::lock_guard<std::mutex> lock(mutex_);
  operator_modules_.insert(name);
  return absl::OkStatus();
}

void ModuleStore::SetOnChange(std::function<void()> on_change) {
  std::lock_guard<std::mutex> lock(on_change_mutex_);
  on_change_ = std::move(on_change);
}

ModuleStore::NotifyChange::~NotifyChange() {
  std::lock_guard<std::mutex> lock(store->on_change_mutex_);
  if (store->on_change_) store->on_change_();
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::Get(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = modules_.find(name);
    if (it != modules_.end()) return it->second;
  }
  NotifyChange notify{this};  // a module may be loaded from the directory
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
  if (isolate_.enabled) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(Loaded loaded, Load(real_file, name));
    return Register(name, real_file, loaded, /*replace=*/false);
  }
  // A file of a module unloaded before (and maybe rebuilt since) is loaded from a fresh copy:
  // the dynamic loader would hand back the library it still has under that path.
  std::string load_path = real_file;
  bool copied = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (retired_paths_.count(real_file) != 0) {
      load_path = absl::StrCat(CopyDir(), "/", name, ".", ++generation_, ".so");
      copied = true;
    }
  }
  if (copied) {
    absl::StatusOr<std::string> bytes = ReadWholeFile(real_file);
    if (!bytes.ok()) return bytes.status();
    TVMFFI_RPC_RETURN_IF_ERROR(WriteNewFile(load_path, *bytes));
  }
  absl::StatusOr<Loaded> loaded = Load(load_path, name);
  if (copied) ::unlink(load_path.c_str());  // the mapping outlives the name
  if (!loaded.ok()) return loaded.status();
  return Register(name, real_file, *loaded, /*replace=*/false);
}

std::string ModuleStore::NewUploadPath(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A new file name each time: the dynamic loader hands back a library it already has by
  // name, and a replaced module's code stays loaded.
  return absl::StrCat(upload_dir_, "/", name, ".", ++generation_, ".so");
}

absl::StatusOr<std::shared_ptr<ModuleStore::PendingUpload>> ModuleStore::BeginUpload(
    const std::string& name, uint64_t size, bool replace) {
  if (upload_dir_.empty()) {
    return PermissionError(
        "this server does not accept uploaded modules (start it with "
        "--allow-upload)");
  }
  TVMFFI_RPC_RETURN_IF_ERROR(CheckModuleName(name));
  if (max_upload_bytes_ != 0 && size > max_upload_bytes_) {
    return ValueError(absl::StrCat("the module is ", size, " bytes, over this server's limit of ",
                                   max_upload_bytes_, " (--max-upload-mb)"));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (modules_.count(name) != 0 && !replace) {
      return WithErrorKind(
          absl::AlreadyExistsError(absl::StrCat("a module named `", name,
                                                "` is already loaded on this server (replace "
                                                "it with `tvmffi upload --replace`)")),
          kind::kValueError);
    }
  }
  if (open_uploads_->fetch_add(1) >= kMaxOpenUploads) {
    open_uploads_->fetch_sub(1);
    return MemoryError(absl::StrCat("this server already receives ", kMaxOpenUploads,
                                    " uploads; try again when one is done"));
  }
  std::shared_ptr<PendingUpload> upload(new PendingUpload());
  upload->open_uploads_ = open_uploads_;  // from here on, its destructor gives the slot back
  upload->name_ = name;
  upload->size_ = size;
  upload->replace_ = replace;
  upload->path_ = NewUploadPath(name);
  upload->fd_ = ::open(upload->path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (upload->fd_ < 0) {
    return RuntimeError(absl::StrCat("cannot write the module file: ", std::strerror(errno)));
  }
  return upload;
}

absl::Status ModuleStore::PendingUpload::Append(std::string_view bytes) {
  if (finished_ || fd_ < 0) return ValueError("this upload is over");
  if (bytes.size() > size_ - received_) {
    return ValueError(
        absl::StrCat("the upload sends more than the ", size_, " bytes it announced"));
  }
  TVMFFI_RPC_RETURN_IF_ERROR(WriteAll(fd_, bytes));
  received_ += bytes.size();
  return absl::OkStatus();
}

ModuleStore::PendingUpload::~PendingUpload() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_ && !path_.empty()) ::unlink(path_.c_str());
  if (open_uploads_ != nullptr) open_uploads_->fetch_sub(1);
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::FinishUpload(PendingUpload& upload) {
  if (upload.finished_ || upload.fd_ < 0) return ValueError("this upload is over");
  if (upload.received_ != upload.size_) {
    return ValueError(absl::StrCat("the upload sent ", upload.received_, " of the ", upload.size_,
                                   " bytes it announced"));
  }
  int fd = upload.fd_;
  upload.fd_ = -1;
  if (::close(fd) != 0) {
    return WithErrorKind(absl::ResourceExhaustedError("cannot write the module file to disk"),
                         kind::kRuntimeError);
  }
  upload.finished_ = true;  // LoadUploaded owns the file from here
  return LoadUploaded(upload.name_, upload.path_, upload.replace_);
}

absl::StatusOr<tvm::ffi::Module> ModuleStore::LoadUploaded(const std::string& name,
                                                           const std::string& path, bool replace) {
  NotifyChange notify{this};
  std::lock_guard<std::mutex> replacing(replace_mutex_);  // uploads take turns
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (modules_.count(name) != 0 && !replace) {
      ::unlink(path.c_str());
      return WithErrorKind(
          absl::AlreadyExistsError(absl::StrCat("a module named `", name,
                                                "` is already loaded on this server (replace "
                                                "it with `tvmffi upload --replace`)")),
          kind::kValueError);
    }
  }
  // In this process the old module's globals go before the new library registers its own
  // (it would clash with them); they come back if it does not load.
  std::vector<std::pair<std::string, tvm::ffi::Function>> saved;
  if (replace && !isolate_.enabled) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& global : module_globals_[name]) {
      if (auto f = tvm::ffi::Function::GetGlobal(global)) saved.emplace_back(global, *f);
      tvm::ffi::Function::RemoveGlobal(global);
    }
  }
  auto restore = [&] {
    for (const auto& [global, f] : saved) tvm::ffi::Function::SetGlobal(global, f, true);
  };
  absl::StatusOr<Loaded> loaded = Load(path, name);
  if (!loaded.ok()) {
    ::unlink(path.c_str());
    restore();
    // The client's bytes are the problem (not a library, a missing symbol): a ValueError.
    return ValueError(absl::StrCat("the uploaded module `", name, "` cannot be loaded: ",
                                   ErrorKindOf(loaded.status()), ": ", loaded.status().message()));
  }
  if (!saved.empty()) {  // RetireLocked must not remove the new library's globals of these names
    std::lock_guard<std::mutex> lock(mutex_);
    module_globals_[name].clear();
  }
  absl::StatusOr<tvm::ffi::Module> registered = Register(name, path, *loaded, replace);
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

std::string ModuleStore::CopyDir() {
  if (!upload_dir_.empty()) return upload_dir_;
  if (copy_dir_.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/tvmffi-modules-XXXXXX");
    if (::mkdtemp(tmpl.data()) != nullptr) copy_dir_ = tmpl;
  }
  return copy_dir_.empty() ? "/nonexistent" : copy_dir_;  // WriteNewFile then says why
}

ModuleStore::~ModuleStore() {
  if (!copy_dir_.empty()) ::rmdir(copy_dir_.c_str());
  for (const std::string& path : uploaded_files_) ::unlink(path.c_str());
  if (!upload_dir_.empty()) ::rmdir(upload_dir_.c_str());
}

bool ModuleStore::IsLoaded(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return modules_.count(name) != 0;
}

std::vector<std::string> ModuleStore::Names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, mod] : modules_) names.push_back(name);
  return names;
}

}  // namespace tvmffi::rpc::internal
