// The modules a server serves: the operator's (--load, by file stem), when --module-dir is
// set, modules clients ask for by name from that directory (never by path), and with
// --allow-upload, modules whose bytes a client sent.
#ifndef TVMFFI_SERVER_SRC_MODULE_STORE_H_
#define TVMFFI_SERVER_SRC_MODULE_STORE_H_

#include <tvm/ffi/extra/module.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
  // A module file received in pieces (a streamed upload): written to a new file in the upload
  // directory as they come; the file goes with the object unless FinishUpload loaded it.
  class PendingUpload {
   public:
    ~PendingUpload();
    // The next piece. ValueError past the size announced; RuntimeError when the disk refuses.
    absl::Status Append(std::string_view bytes);
    uint64_t size() const { return size_; }
    uint64_t received() const { return received_; }

   private:
    friend class ModuleStore;
    PendingUpload() = default;
    std::string name_, path_;
    uint64_t size_ = 0, received_ = 0;
    bool replace_ = false, finished_ = false;
    int fd_ = -1;
    std::shared_ptr<std::atomic<int>> open_uploads_;  // the store's count of these
  };
  // Starts receiving a module of `size` bytes to serve as `name` (replacing one with replace).
  // PermissionError without --allow-upload; ValueError for a bad or taken name and for a size
  // over the limit (SetMaxUploadBytes); MemoryError (RESOURCE_EXHAUSTED) when kMaxOpenUploads
  // uploads are already under way.
  absl::StatusOr<std::shared_ptr<PendingUpload>> BeginUpload(const std::string& name, uint64_t size,
                                                             bool replace);
  // Loads a pending upload once all its bytes came and serves it under its name. With
  // replace, a module already called name is replaced: its globals go (their calls in flight
  // finish on the old code), the new file's come; under --isolate its worker is replaced by
  // one on the new file. When the new file does not load (ValueError), the old module stays.
  absl::StatusOr<tvm::ffi::Module> FinishUpload(PendingUpload& upload);
  // The largest module a client may upload (--max-upload-mb); 0: no bound.
  void SetMaxUploadBytes(uint64_t bytes) { max_upload_bytes_ = bytes; }
  uint64_t max_upload_bytes() const { return max_upload_bytes_; }
  static constexpr int kMaxOpenUploads = 8;
  // Stops serving the module called name and the globals it registered; calls in flight finish.
  // Its code stays mapped (functions of it may still be held), so the same file can be loaded
  // again. PERMISSION_DENIED for an operator module (--load) without --allow-upload, and for
  // any module when clients may neither load nor upload; ValueError when none is loaded.
  absl::Status Unload(const std::string& name);
  std::vector<std::string> Names() const;
  bool IsLoaded(const std::string& name) const;
  // Called after the set of modules may have changed (an upload, unload, or a load from the
  // module directory), outside the store's locks; nullptr: none. Setting it waits for a call
  // of the previous one in progress, so its owner can clear it before going away.
  void SetOnChange(std::function<void()> on_change);
  // The functions module `name` exports (its library's `__tvm_ffi_<fn>` symbols), sorted;
  // ValueError when no such module is loaded. Empty for a file whose symbols cannot be read.
  absl::StatusOr<std::vector<std::string>> FunctionNames(const std::string& name) const;
  // The names clients may load from --module-dir (its `.so` files, by stem), sorted; at most
  // 4096. PermissionError without a module directory.
  absl::StatusOr<std::vector<std::string>> AvailableNames() const;
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
    std::vector<std::string> globals;        // in-process: the globals its loading registered
  };
  // Drops what the module called name contributed (globals, worker), under mutex_; an
  // in-process module object itself is kept (retired) while code of it may run. What the
  // store no longer holds is moved to *dropped, for the caller to release outside mutex_ (a
  // worker's end shuts its session down).
  struct Dropped {
    tvm::ffi::Module module{nullptr};
    std::shared_ptr<IsolatedWorker> worker;
  };
  void RetireLocked(const std::string& name, Dropped* dropped);
  // Where fresh copies of module files are written (under mutex_): the upload directory, else
  // a private temporary one made on first use.
  std::string CopyDir();
  // A new name in the upload directory for module `name` (under mutex_ or not).
  std::string NewUploadPath(const std::string& name);
  // Loads the file a client sent, written at path (removed when not needed any more).
  absl::StatusOr<tvm::ffi::Module> LoadUploaded(const std::string& name, const std::string& path,
                                                bool replace);
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
  std::map<std::string, std::vector<std::string>> module_globals_;         // in-process, by module
  std::map<std::string, std::shared_ptr<IsolatedWorker>> module_workers_;  // isolated, by module
  std::set<std::string> operator_modules_;                                 // from --load
  std::vector<tvm::ffi::Module> retired_;  // unloaded in-process modules: their code stays
  std::map<std::string, std::vector<std::string>> module_functions_;  // by module
  std::map<std::string, std::string> module_paths_;  // in-process: module -> its real file
  std::set<std::string> retired_paths_;              // real files of unloaded in-process modules
  std::string copy_dir_;                             // made by CopyDir, removed with the store
  uint64_t generation_ = 0;                          // makes each uploaded file's name new
  std::mutex replace_mutex_;                         // one replace or unload at a time
  uint64_t max_upload_bytes_ = 1ull << 30;
  std::shared_ptr<std::atomic<int>> open_uploads_ = std::make_shared<std::atomic<int>>(0);
  std::mutex on_change_mutex_;  // held while on_change_ runs; taken before mutex_
  std::function<void()> on_change_;
  // Calls on_change_ when it goes out of scope: declared first in a function, after its locks.
  struct NotifyChange {
    ModuleStore* store;
    ~NotifyChange();
  };
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_MODULE_STORE_H_
