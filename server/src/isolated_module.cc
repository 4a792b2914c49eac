#include "isolated_module.h"

#include <tvm/ffi/container/array.h>

#include "absl/strings/str_cat.h"
#include "log.h"
#include "metrics.h"
#include "tvmffi/proto/status.h"
#include "worker_protocol.h"

namespace tvmffi::rpc::internal {
namespace ffi = tvm::ffi;

namespace {

class IsolatedModuleObj final : public ffi::ModuleObj {
 public:
  explicit IsolatedModuleObj(std::shared_ptr<IsolatedWorker> worker) : worker_(std::move(worker)) {}
  const char* kind() const override { return "isolated"; }
  int GetPropertyMask() const override { return ffi::Module::kRunnable; }
  ffi::Optional<ffi::Function> GetFunction(const ffi::String& name) override {
    absl::StatusOr<bool> has = worker_->HasFunction(std::string(name));
    if (!has.ok()) throw StatusToError(has.status());
    if (!*has) return std::nullopt;
    return worker_->Forwarder(std::string(name));
  }

 private:
  std::shared_ptr<IsolatedWorker> worker_;
};

}  // namespace

IsolatedWorker::~IsolatedWorker() {
  if (live_.endpoint != nullptr) {
    live_.endpoint->Shutdown(ConnectionError("server shutting down"));
  }
}

absl::Status IsolatedWorker::Start() {
  TVMFFI_RPC_ASSIGN_OR_RETURN(Live live, Current());
  TVMFFI_RPC_ASSIGN_OR_RETURN(
      ffi::Any names, live.endpoint->CallGlobal(worker::kGlobals, nullptr, 0, absl::Seconds(60)));
  for (const ffi::String& name : names.cast<ffi::Array<ffi::String>>()) {
    globals_.push_back(std::string(name));
  }
  return absl::OkStatus();
}

absl::StatusOr<IsolatedWorker::Live> IsolatedWorker::Current() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (live_.endpoint != nullptr && !live_.endpoint->closed()) return live_;
  TVMFFI_RPC_ASSIGN_OR_RETURN(auto spawned, WorkerProcess::Spawn(spec_));
  EndpointOptions options;
  options.local_name = "tvmffi-server";
  options.shared_memory = shared_memory_;
  options.share_resident_host_tensors = true;  // remote CPU tensors: the worker maps them
  options.import_cuda_ipc = true;              // and the CUDA tensors a worker returns
  auto endpoint = Endpoint::Create(std::move(spawned.second), nullptr, options);
  TVMFFI_RPC_RETURN_IF_ERROR(endpoint->Start());
  Metrics::Global().WorkerStarted(spec_.name);
  log::Event(log::Level::kInfo, "worker.start",
             {{"module", spec_.name}, {"pid", spawned.first->pid()}, {"starts", ++starts_}});
  live_ = Live{endpoint, spawned.first};
  return live_;
}

absl::StatusOr<ffi::Any> IsolatedWorker::Call(const std::string& name, const ffi::AnyView* args,
                                              int32_t num_args) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(Live live, Current());
  absl::StatusOr<ffi::Any> result = live.endpoint->CallGlobal(name, args, num_args, timeout_);
  if (!result.ok() && absl::IsDeadlineExceeded(result.status()) &&
      timeout_ != absl::InfiniteDuration()) {
    // A hung worker cannot be trusted with the next call: kill it, and say so.
    live.process->Kill();
    absl::Status status = live.process->CrashStatus(
        absl::StrCat("was killed: `", name, "` ran longer than --worker-timeout (",
                     absl::FormatDuration(timeout_), ")"),
        "");
    live.endpoint->Shutdown(status);  // its other calls fail too; the next call respawns
    return status;
  }
  return result;
}

ffi::Function IsolatedWorker::Forwarder(const std::string& name) {
  std::weak_ptr<IsolatedWorker> weak = weak_from_this();
  std::string module = spec_.name;
  return ffi::Function::FromPacked([weak, name, module](ffi::PackedArgs args, ffi::Any* rv) {
    std::shared_ptr<IsolatedWorker> self = weak.lock();
    if (self == nullptr) {  // "@name" is a global of the module's, else a function of it
      std::string function = !name.empty() && name[0] == '@' ? name.substr(1) : name;
      throw ffi::Error(kind::kValueError,
                       "the isolated module `" + module + "` was unloaded or replaced: look `" +
                           function + "` up again",
                       "");
    }
    absl::StatusOr<ffi::Any> result = self->Call(name, args.data(), args.size());
    if (!result.ok()) throw StatusToError(result.status());
    *rv = std::move(*result);
  });
}

absl::StatusOr<bool> IsolatedWorker::HasFunction(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = has_function_.find(name);
    if (it != has_function_.end()) return it->second;
  }
  ffi::String arg_name(name);
  ffi::AnyView view(arg_name);
  TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any has, Call(worker::kHasFunction, &view, 1));
  bool value = has.cast<bool>();
  // Hits only, and a bounded number: the names come from clients, misses included.
  constexpr size_t kMaxCached = 4096;
  std::lock_guard<std::mutex> lock(mutex_);
  if (value && has_function_.size() < kMaxCached) has_function_[name] = value;
  return value;
}

ffi::Module MakeIsolatedModule(std::shared_ptr<IsolatedWorker> worker) {
  return ffi::Module(ffi::make_object<IsolatedModuleObj>(std::move(worker)));
}

}  // namespace tvmffi::rpc::internal
