#include "dispatcher.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/string.h>

#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/c_env_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "metrics.h"
#include "tvmffi/device/device_api.h"
#include "tvmffi/device/device_tensor.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc::internal {
namespace ffi = tvm::ffi;

namespace {
// Remote CPU tensors made in shared memory at once, over all sessions (the rest get ordinary
// memory and copy through calls).
constexpr int kMaxSharedTensors = 1024;
// The system library under --isolate: this process's symbols, then those the isolated modules
// registered in their workers (called there).
class CombinedSystemLibObj final : public ffi::ModuleObj {
 public:
  CombinedSystemLibObj(ffi::Module local, std::string prefix, std::shared_ptr<ModuleStore> modules)
      : local_(std::move(local)), prefix_(std::move(prefix)), modules_(std::move(modules)) {}
  const char* kind() const override { return "system_lib"; }
  int GetPropertyMask() const override { return ffi::Module::kRunnable; }
  ffi::Optional<ffi::Function> GetFunction(const ffi::String& name) override {
    if (auto f = local_->GetFunction(name, true)) return f;
    absl::StatusOr<std::optional<ffi::Function>> f =
        modules_->FindIsolatedSystemLibFunction(prefix_, std::string(name));
    if (!f.ok()) throw StatusToError(f.status());
    if (!f->has_value()) return std::nullopt;
    return **f;
  }

 private:
  ffi::Module local_;
  std::string prefix_;
  std::shared_ptr<ModuleStore> modules_;
};

// A streamed upload in progress, held by the client's session as a handle ($upload.begin):
// it ends with the session if the client does not finish it.
class PendingUploadObj final : public ffi::Object {
 public:
  explicit PendingUploadObj(std::shared_ptr<ModuleStore::PendingUpload> upload)
      : upload_(std::move(upload)) {}
  // One piece or the end at a time (a client may call from several threads).
  template <typename F>
  auto Locked(F&& f) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(*upload_);
  }
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("tvmffi.rpc.PendingUpload", PendingUploadObj, ffi::Object);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<ModuleStore::PendingUpload> upload_;
};
}  // namespace

absl::Status CheckNameLength(std::string_view name, std::string_view what) {
  if (name.size() <= kMaxNameBytes) return absl::OkStatus();
  return ValueError(absl::StrCat(absl::string_view(what.data(), what.size()), " of ", name.size(),
                                 " bytes is longer than the limit of ", kMaxNameBytes));
}

namespace {
void ThrowIfTooLong(std::string_view name, std::string_view what) {
  absl::Status st = CheckNameLength(name, what);
  if (!st.ok()) throw StatusToError(st);
}

// "float32[2, 3]": what must match for a copy.
std::string Describe(const ffi::Tensor& t) { return TensorTypeText(t.dtype(), t.shape()); }

// Waits for the device's queued work (a kernel launched asynchronously counts in the repeat
// that launched it); a device the server lacks is a ValueError.
void SyncDevice(DLDevice device) {
  absl::StatusOr<device::DeviceApi*> api = device::GetDeviceApi(device.device_type);
  if (!api.ok()) throw StatusToError(api.status());
  absl::Status st = (*api)->Synchronize(device.device_id, nullptr);
  if (!st.ok()) throw StatusToError(st);
}

// $time_evaluator's timer: runs f on the server, `number` calls per repeat (grown until a
// repeat lasts min_repeat_ms), the device synchronized around each repeat; seconds per call,
// one per repeat. The time of the function, not of the network.
ffi::Function MakeTimer(ffi::Function f, DLDevice device, int64_t number, int64_t repeat,
                        int64_t min_repeat_ms, int64_t cooldown_ms) {
  if (number < 1 || repeat < 1 || min_repeat_ms < 0 || cooldown_ms < 0) {
    TVM_FFI_THROW(ValueError) << "TimeEvaluator needs number >= 1, repeat >= 1 and "
                                 "non-negative min_repeat_ms and cooldown_ms";
  }
  SyncDevice(device);  // the device must exist before anything is timed
  return ffi::Function::FromPacked([=](ffi::PackedArgs args, ffi::Any* rv) {
    // A caller that gave up (timeout, cancel, gone) ends the timing: checked every 256 calls,
    // so the check stays out of the figure.
    auto check = [] {
      if (TVMFFIEnvCheckSignals() != 0) throw ffi::EnvErrorAlreadySet();
    };
    auto call = [&] {
      ffi::Any ignored;
      f.CallPacked(args.data(), args.size(), &ignored);
    };
    call();  // warm-up: first-call costs (lazy loading, caches) are not timed
    SyncDevice(device);
    // The device's own clock (CUDA events) on the stream the calls launch on, where the session
    // has one (TVMFFIEnvGetStream): the figure is then the device's work between the repeat's
    // first launch and its last kernel's end, without the host's wait for it. Else the host's
    // clock around a synchronized device.
    std::unique_ptr<device::DeviceTimer> device_timer;
    if (void* stream = TVMFFIEnvGetStream(device.device_type, device.device_id)) {
      absl::StatusOr<device::DeviceApi*> api = device::GetDeviceApi(device.device_type);
      if (api.ok()) {
        absl::StatusOr<std::unique_ptr<device::DeviceTimer>> made =
            (*api)->CreateTimer(device.device_id, stream);
        if (made.ok()) device_timer = *std::move(made);
      }
    }
    auto ok_or_throw = [](const absl::Status& st) {
      if (!st.ok()) throw StatusToError(st);
    };
    ffi::Array<double> seconds;
    int64_t n = number;
    for (int64_t r = 0; r < repeat; ++r) {
      if (r > 0 && cooldown_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(cooldown_ms));
      }
      double elapsed = 0;
      while (true) {
        SyncDevice(device);
        if (device_timer != nullptr) ok_or_throw(device_timer->Start());
        auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < n; ++i) {
          if ((i & 255) == 0) check();
          call();
        }
        if (device_timer != nullptr) {
          absl::StatusOr<double> on_device = device_timer->Stop();
          ok_or_throw(on_device.status());
          elapsed = *on_device;
          SyncDevice(device);  // work on other streams is done before the next repeat
        } else {
          SyncDevice(device);
          elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
        if (elapsed * 1000 >= static_cast<double>(min_repeat_ms)) break;
        // Too short to time well: more calls per repeat, from this repeat on.
        double per_call = std::max(elapsed / static_cast<double>(n), 1e-9);
        n = std::max(n + 1, static_cast<int64_t>(min_repeat_ms / 1000.0 / per_call * 1.1));
      }
      seconds.push_back(elapsed / static_cast<double>(n));
    }
    *rv = seconds;
  });
}
}  // namespace

ServerDispatcher::ServerDispatcher(std::shared_ptr<Policy> policy,
                                   std::shared_ptr<ModuleStore> modules, ffi::Function info,
                                   uint64_t max_device_memory)
    : policy_(std::move(policy)),
      modules_(std::move(modules)),
      max_device_memory_(max_device_memory) {
  // The session operations; each throws ffi::Error, which travels back as the call's error.
  ops_["$get_global"] = ffi::Function::FromTyped([this](const ffi::String& name) -> ffi::Any {
    absl::StatusOr<ffi::Function> f = ResolveGlobal(name.view());
    if (f.ok()) {
      RememberName(*f, std::string(name));
      return *f;
    }
    if (absl::IsNotFound(f.status())) return nullptr;
    throw StatusToError(f.status());
  });
  ops_["$list_globals"] = ffi::Function::FromTyped([this](const ffi::String& prefix) {
    ffi::Array<ffi::String> names;
    for (const std::string& name : PublishedNames(prefix.view())) names.push_back(name);
    return names;
  });
  // [[name, doc, metadata JSON], ...] of the published globals starting with prefix; doc and
  // metadata are "" for a function this process did not register (an isolated module's).
  ops_["$describe_globals"] = ffi::Function::FromTyped([this](const ffi::String& prefix) {
    static const ffi::Function doc_of = ffi::Function::GetGlobalRequired("ffi.GetGlobalFuncDoc");
    static const ffi::Function metadata_of =
        ffi::Function::GetGlobalRequired("ffi.GetGlobalFuncMetadata");
    ffi::Array<ffi::Array<ffi::String>> out;
    for (const std::string& name : PublishedNames(prefix.view())) {
      ffi::String doc, metadata;
      try {
        doc = doc_of(ffi::String(name)).cast<ffi::String>();
        metadata = metadata_of(ffi::String(name)).cast<ffi::String>();
      } catch (const ffi::Error&) {
        // not in this process's registry (an isolated module's) or removed meanwhile
      }
      out.push_back(ffi::Array<ffi::String>{ffi::String(name), doc, metadata});
    }
    return out;
  });
  ops_["$load_module"] = ffi::Function::FromTyped([this](const ffi::String& name) {
    absl::StatusOr<ffi::Module> mod = modules_->Get(std::string(name));
    if (!mod.ok()) throw StatusToError(mod.status());
    return *mod;
  });
  // A streamed upload: $upload.begin(name, size, replace) -> handle; $upload.append(handle,
  // bytes) for each piece in order; $upload.finish(handle) -> the module.
  ops_["$upload.begin"] = ffi::Function::FromTyped(
      [this](const ffi::String& name, int64_t size, bool replace) -> ffi::ObjectRef {
        ThrowIfTooLong(name.view(), "a module name");
        if (size < 0) throw StatusToError(ValueError("an upload's size cannot be negative"));
        absl::StatusOr<std::shared_ptr<ModuleStore::PendingUpload>> upload =
            modules_->BeginUpload(std::string(name), static_cast<uint64_t>(size), replace);
        if (!upload.ok()) throw StatusToError(upload.status());
        return ffi::ObjectRef(ffi::make_object<PendingUploadObj>(*std::move(upload)));
      });
  ops_["$upload.append"] =
      ffi::Function::FromTyped([](ffi::ObjectRef handle, const ffi::Bytes& bytes) {
        auto* upload = handle.as<PendingUploadObj>();
        if (upload == nullptr) throw StatusToError(TypeError("not an upload"));
        absl::Status st = upload->Locked([&](ModuleStore::PendingUpload& u) {
          return u.Append(std::string_view(bytes.data(), bytes.size()));
        });
        if (!st.ok()) throw StatusToError(st);
      });
  ops_["$upload.finish"] = ffi::Function::FromTyped([this](ffi::ObjectRef handle) {
    auto* upload = handle.as<PendingUploadObj>();
    if (upload == nullptr) throw StatusToError(TypeError("not an upload"));
    absl::StatusOr<ffi::Module> mod =
        upload->Locked([&](ModuleStore::PendingUpload& u) { return modules_->FinishUpload(u); });
    if (!mod.ok()) throw StatusToError(mod.status());
    return *mod;
  });
  auto names_of = [](absl::StatusOr<std::vector<std::string>> names) {
    if (!names.ok()) throw StatusToError(names.status());
    ffi::Array<ffi::String> out;
    for (const std::string& n : *names) out.push_back(ffi::String(n));
    return out;
  };
  ops_["$module.list_functions"] =
      ffi::Function::FromTyped([this, names_of](const ffi::String& name) {
        ThrowIfTooLong(name.view(), "a module name");
        absl::StatusOr<ffi::Module> mod = modules_->Get(std::string(name));  // loads one from
        if (!mod.ok()) throw StatusToError(mod.status());                    // --module-dir
        return names_of(modules_->FunctionNames(std::string(name)));
      });
  ops_["$module_dir.list"] =
      ffi::Function::FromTyped([this, names_of]() { return names_of(modules_->AvailableNames()); });
  ops_["$unload_module"] = ffi::Function::FromTyped([this](const ffi::String& name) {
    ThrowIfTooLong(name.view(), "a module name");
    absl::Status st = modules_->Unload(std::string(name));
    if (!st.ok()) throw StatusToError(st);
  });
  ops_["$system_lib"] = ffi::Function::FromTyped([this](const ffi::String& prefix) {
    ThrowIfTooLong(prefix.view(), "a system-library prefix");
    auto local = ffi::Function::GetGlobalRequired("ffi.SystemLib")(prefix).cast<ffi::Module>();
    if (!modules_->isolated()) return local;
    return ffi::Module(
        ffi::make_object<CombinedSystemLibObj>(local, std::string(prefix), modules_));
  });
  ops_["$module.get_function"] =
      ffi::Function::FromTyped([](ffi::Module mod, const ffi::String& name) -> ffi::Any {
        ThrowIfTooLong(name.view(), "a function name");
        ffi::Optional<ffi::Function> f = mod->GetFunction(name, true);
        if (!f.has_value()) return nullptr;
        return f.value();
      });
  ops_["$module.get_function_doc"] = ffi::Function::FromTyped(
      [](ffi::Module mod, const ffi::String& name) { return mod->GetFunctionDoc(name, true); });
  ops_["$module.get_function_metadata"] =
      ffi::Function::FromTyped([](ffi::Module mod, const ffi::String& name) {
        return mod->GetFunctionMetadata(name, true);
      });
  ops_["$info"] = std::move(info);
  // Tensors that live here (issue #11): made on a device, filled, read back. A tensor made by
  // the device layer travels as a reference, so the client holds a remote tensor.
  ops_["$tensor.copy_from"] = ffi::Function::FromTyped([](ffi::Tensor dst, ffi::Tensor src) {
    if (Describe(dst) != Describe(src)) {
      TVM_FFI_THROW(ValueError) << "cannot copy a tensor of " << Describe(src) << " into one of "
                                << Describe(dst);
    }
    absl::Status st =
        device::CopyIntoTensor(*dst.GetDLTensorPtr(), src.data_ptr(), src.GetDataSize());
    if (!st.ok()) throw StatusToError(st);
  });
  ops_["$time_evaluator"] =
      ffi::Function::FromTyped([](ffi::Function f, DLDevice device, int64_t number, int64_t repeat,
                                  int64_t min_repeat_ms, int64_t cooldown_ms) {
        return MakeTimer(std::move(f), device, number, repeat, min_repeat_ms, cooldown_ms);
      });
  // [region name, offset] of a CPU tensor whose bytes live in shared memory (made so for a
  // client on this host), for the client to map; None for any other.
  ops_["$tensor.shared"] = ffi::Function::FromTyped([](ffi::Tensor t) -> ffi::Any {
    const DLTensor& d = *t.GetDLTensorPtr();
    if (d.device.device_type != kDLCPU || !t.IsContiguous() || t.GetDataSize() == 0) {
      return nullptr;
    }
    const char* data = static_cast<const char*>(d.data) + d.byte_offset;
    std::shared_ptr<SharedRegion> region = SharedRegion::Find(data, t.GetDataSize());
    if (region == nullptr) return nullptr;
    return ffi::Array<ffi::Any>{ffi::String(region->name()),
                                static_cast<int64_t>(data - region->base())};
  });
  // The tensor itself, by value: its bytes are read once from where they live (a device
  // tensor through the device layer), straight into the stream or a staging slot.
  ops_["$tensor.to_host"] = ffi::Function::FromTyped([](ffi::Tensor t) -> ffi::Tensor {
    SendResultByValue();
    return t;
  });
}

// $tensor.copy_from copies its source into the destination and keeps neither.
bool ServerDispatcher::ReadsArgsOnce(std::string_view name) const {
  return name == "$tensor.copy_from";
}

std::vector<std::string> ServerDispatcher::PublishedNames(std::string_view prefix) const {
  std::set<std::string> names;
  auto consider = [&](std::string_view name) {
    if (name.substr(0, prefix.size()) == prefix && policy_->IsPublished(name)) {
      names.emplace(name);
    }
  };
  for (const ffi::String& name : ffi::Function::ListGlobalNames()) consider(name.view());
  for (const std::string& name : modules_->IsolatedGlobalNames()) consider(name);
  return std::vector<std::string>(names.begin(), names.end());
}

absl::StatusOr<ffi::Function> ServerDispatcher::ResolveGlobal(std::string_view name) const {
  TVMFFI_RPC_RETURN_IF_ERROR(CheckNameLength(name, "a function name"));
  std::optional<ffi::Function> f = ffi::Function::GetGlobal(name);
  if (!f.has_value()) f = modules_->FindIsolatedGlobal(name);
  if (!f.has_value()) {
    return WithErrorKind(
        absl::NotFoundError(
            absl::StrCat("Function ", absl::string_view(name.data(), name.size()), " not found")),
        kind::kValueError);
  }
  if (!policy_->IsPublished(name)) {
    return PermissionError(absl::StrCat("Function ", absl::string_view(name.data(), name.size()),
                                        " is not published by this server"));
  }
  return *f;
}

ffi::Function ServerDispatcher::EmptyFor(Endpoint& endpoint) {
  std::lock_guard<std::mutex> lock(budgets_mutex_);
  for (auto it = empties_.begin(); it != empties_.end();) {
    it = it->second.first.expired() ? empties_.erase(it) : std::next(it);
  }
  auto found = empties_.find(&endpoint);
  if (found != empties_.end()) return found->second.second;
  std::shared_ptr<device::DeviceMemoryBudget> budget;
  if (max_device_memory_ != 0) {
    budget = std::make_shared<device::DeviceMemoryBudget>(max_device_memory_);
  }
  // A client on this host gets large CPU tensors in shared memory, which it maps: its CopyFrom
  // and ToHost then copy straight in and out, with no call (see "$tensor.shared").
  std::weak_ptr<Endpoint> weak = endpoint.weak_from_this();
  device::HostBytesProvider shared_bytes =
      [weak](uint64_t bytes) -> absl::StatusOr<std::shared_ptr<void>> {
    std::shared_ptr<Endpoint> self = weak.lock();
    if (self == nullptr || !self->shares_memory() || bytes < kSharedTensorMinBytes) {
      return absl::FailedPreconditionError("not shared");
    }
    // Bounded over the process: each is a mapping the SIGBUS guard watches, and the guard's
    // table is shared with staging and --isolate.
    static std::atomic<int> live{0};
    if (live.fetch_add(1) >= kMaxSharedTensors) {
      live.fetch_sub(1);
      return absl::ResourceExhaustedError("shared tensors at their bound");
    }
    absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Create(bytes);
    if (!region.ok()) {
      live.fetch_sub(1);
      return region.status();
    }
    char* base = (*region)->base();
    return std::shared_ptr<void>(base, [held = *std::move(region)](void*) { live.fetch_sub(1); });
  };
  ffi::Function empty =
      ffi::Function::FromTyped([budget, shared_bytes](const ffi::Shape& shape, DLDataType dtype,
                                                      DLDevice device) -> ffi::Tensor {
        absl::StatusOr<ffi::Tensor> t =
            device::NewDeviceTensor(shape, dtype, device, budget, shared_bytes);
        if (!t.ok()) throw StatusToError(t.status());
        return *std::move(t);
      });
  empties_[&endpoint] = {endpoint.weak_from_this(), empty};
  return empty;
}

void ServerDispatcher::RememberName(const ffi::Function& f, std::string name) {
  std::lock_guard<std::mutex> lock(names_mutex_);
  if (names_.size() >= Metrics::kMaxLabels || names_.count(f.get()) != 0) return;
  names_.emplace(f.get(), std::make_pair(f, std::move(name)));
}

std::string ServerDispatcher::NameOf(const ffi::Function& f) const {
  std::lock_guard<std::mutex> lock(names_mutex_);
  auto it = names_.find(f.get());
  return it == names_.end() ? std::string() : it->second.second;
}

void ServerDispatcher::ForgetSession(const Endpoint* endpoint) {
  if (data_channel_ != nullptr) data_channel_->Forget(endpoint);
}

absl::StatusOr<ffi::Function> ServerDispatcher::Resolve(std::string_view name, Endpoint& endpoint) {
  if (name == "$tensor.empty") return EmptyFor(endpoint);
  if (name == "$session.data_channel") {
    // [port, ticket] of this session's data channel, or None where there is none.
    std::weak_ptr<Endpoint> weak = endpoint.weak_from_this();
    std::shared_ptr<DataChannelServer> data = data_channel_;
    return ffi::Function::FromTyped([weak, data]() -> ffi::Any {
      std::shared_ptr<Endpoint> self = weak.lock();
      if (data == nullptr || self == nullptr) return nullptr;
      absl::StatusOr<std::string> ticket = data->Offer(self);
      if (!ticket.ok()) throw StatusToError(ticket.status());
      return ffi::Array<ffi::Any>{ffi::Any(static_cast<int64_t>(data->port())),
                                  ffi::Any(ffi::Bytes(*ticket))};
    });
  }
  if (name == "$session.keep_tensors_remote") {
    // This session's tensor results stay here from now on (ConnectOptions).
    std::weak_ptr<Endpoint> weak = endpoint.weak_from_this();
    return ffi::Function::FromTyped([weak](bool keep) {
      if (auto self = weak.lock()) self->SetKeepAllTensors(keep);
    });
  }
  if (!name.empty() && name[0] == '$') {
    auto it = ops_.find(name);
    if (it == ops_.end()) {
      return WithErrorKind(
          absl::NotFoundError(absl::StrCat("unknown session operation ",
                                           absl::string_view(name.data(), name.size()))),
          kind::kValueError);
    }
    return it->second;
  }
  return ResolveGlobal(name);
}

}  // namespace tvmffi::rpc::internal
