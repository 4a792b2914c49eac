#include "proxy.h"

#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/memory.h>

#include <utility>

#include "staging.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/data_channel.h"
#include "tvmffi/session/endpoint.h"
#include "tvmffi/session/remote_tensor.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc::internal {
namespace ffi = tvm::ffi;

void ProxyTable::Add(const ffi::Object* proxy, uint64_t handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  handles_[proxy] = handle;
}

void ProxyTable::Remove(const ffi::Object* proxy) {
  std::lock_guard<std::mutex> lock(mutex_);
  handles_.erase(proxy);
}

std::optional<uint64_t> ProxyTable::Find(const ffi::Object* proxy) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = handles_.find(proxy);
  if (it == handles_.end()) return std::nullopt;
  return it->second;
}

size_t ProxyTable::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return handles_.size();
}

absl::Status Disconnected() {
  return ConnectionError("the session this remote object belongs to is closed");
}

namespace {

// The resource behind a function proxy (TVMFFIFunctionCreate's `self`).
struct FunctionProxyState {
  std::weak_ptr<Endpoint> endpoint;
  uint64_t handle;
  std::shared_ptr<void> keepalive;
  const ffi::Object* object = nullptr;  // the FunctionObj, for the proxy table
};

// The C ABI edge of a remote function: nothing thrown below (a bad_alloc while encoding, say)
// may cross it, so every exception becomes the error in TLS.
int FunctionProxyCall(void* self, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  try {
    auto* state = static_cast<FunctionProxyState*>(self);
    std::shared_ptr<Endpoint> endpoint = state->endpoint.lock();
    absl::StatusOr<ffi::Any> rv =
        endpoint == nullptr
            ? absl::StatusOr<ffi::Any>(Disconnected())
            : endpoint->CallHandle(state->handle, reinterpret_cast<const ffi::AnyView*>(args),
                                   num_args);
    if (!rv.ok()) throw StatusToError(rv.status());  // the peer's error, rebuilt in TLS below
    *result = ffi::details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(*rv));
    return 0;
  } catch (...) {
    ffi::Error err = CurrentExceptionToError();
    TVMFFIErrorSetRaised(ffi::details::ObjectUnsafe::RawObjectPtrFromObjectRef(err));
    return -1;
  }
}

void FunctionProxyDelete(void* self) {
  auto* state = static_cast<FunctionProxyState*>(self);
  if (std::shared_ptr<Endpoint> endpoint = state->endpoint.lock()) {
    endpoint->OnProxyDestroyed(state->object, state->handle);
  }
  delete state;  // may drop the last keepalive, ending the session
}

// A module on the peer: functions are looked up remotely and come back as function proxies.
class RemoteModuleObj final : public ffi::ModuleObj {
 public:
  RemoteModuleObj(std::weak_ptr<Endpoint> endpoint, uint64_t handle,
                  std::shared_ptr<void> keepalive)
      : endpoint_(std::move(endpoint)), handle_(handle), keepalive_(std::move(keepalive)) {}
  ~RemoteModuleObj() {
    if (std::shared_ptr<Endpoint> endpoint = endpoint_.lock()) {
      endpoint->OnProxyDestroyed(this, handle_);
    }
  }
  const char* kind() const final { return "rpc"; }
  int GetPropertyMask() const final { return ffi::Module::kRunnable; }
  ffi::Optional<ffi::Function> GetFunction(const ffi::String& name) final {
    ffi::Any rv = Op("$module.get_function", name);
    if (rv == nullptr) return std::nullopt;
    return rv.cast<ffi::Function>();
  }
  ffi::Optional<ffi::String> GetFunctionDoc(const ffi::String& name) final {
    return Op("$module.get_function_doc", name).cast<ffi::Optional<ffi::String>>();
  }
  ffi::Optional<ffi::String> GetFunctionMetadata(const ffi::String& name) final {
    return Op("$module.get_function_metadata", name).cast<ffi::Optional<ffi::String>>();
  }

 private:
  // Calls a module session operation with (this module, name); throws on failure.
  ffi::Any Op(const char* op, const ffi::String& name) {
    std::shared_ptr<Endpoint> endpoint = endpoint_.lock();
    if (endpoint == nullptr) throw StatusToError(Disconnected());
    ffi::Module self = ffi::GetRef<ffi::Module>(this);
    ffi::AnyView args[2] = {ffi::AnyView(self), ffi::AnyView(name)};
    absl::StatusOr<ffi::Any> rv = endpoint->CallGlobal(op, args, 2);
    if (!rv.ok()) throw StatusToError(rv.status());
    return std::move(*rv);
  }
  std::weak_ptr<Endpoint> endpoint_;
  uint64_t handle_;
  std::shared_ptr<void> keepalive_;
};

// Any other object of the peer's: held, passed back, but not inspected here.
class RemoteObjectObj : public ffi::Object {
 public:
  RemoteObjectObj(std::weak_ptr<Endpoint> endpoint, uint64_t handle, std::string type_key,
                  std::shared_ptr<void> keepalive)
      : endpoint_(std::move(endpoint)),
        handle_(handle),
        remote_type_key_(std::move(type_key)),
        keepalive_(std::move(keepalive)) {}
  ~RemoteObjectObj() {
    if (std::shared_ptr<Endpoint> endpoint = endpoint_.lock()) {
      endpoint->OnProxyDestroyed(this, handle_);
    }
  }
  const std::string& remote_type_key() const { return remote_type_key_; }
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("tvmffi.rpc.RemoteObject", RemoteObjectObj, ffi::Object);

 private:
  std::weak_ptr<Endpoint> endpoint_;
  uint64_t handle_;
  std::string remote_type_key_;
  std::shared_ptr<void> keepalive_;
};

}  // namespace
}  // namespace tvmffi::rpc::internal

namespace tvmffi::rpc {
namespace ffi = tvm::ffi;

RemoteTensorObj::RemoteTensorObj(std::weak_ptr<Endpoint> endpoint, uint64_t handle,
                                 std::vector<int64_t> shape, DLDataType dtype, DLDevice device,
                                 std::shared_ptr<void> keepalive)
    : endpoint_(std::move(endpoint)),
      handle_(handle),
      shape_(std::move(shape)),
      dtype_(dtype),
      device_(device),
      keepalive_(std::move(keepalive)) {}

RemoteTensorObj::~RemoteTensorObj() {
  if (std::shared_ptr<Endpoint> endpoint = endpoint_.lock()) {
    endpoint->OnProxyDestroyed(this, handle_);
  }
}

namespace {
// The data channel a remote tensor's bytes take, or null.
std::shared_ptr<DataChannelClient> DataChannelOf(const std::weak_ptr<Endpoint>& weak) {
  std::shared_ptr<Endpoint> endpoint = weak.lock();
  if (endpoint == nullptr || endpoint->closed() || endpoint->shares_memory()) return nullptr;
  return endpoint->data_channel();
}
}  // namespace

char* RemoteTensorObj::MappedBytes() const {
  if (device_.device_type != kDLCPU || device_.device_id != 0) return nullptr;
  uint64_t bytes = ffi::GetDataSize(ffi::ShapeView(shape_.data(), shape_.size()).Product(), dtype_);
  if (bytes < kSharedTensorMinBytes) return nullptr;
  std::lock_guard<std::mutex> lock(map_mutex_);
  if (mapped_data_.has_value()) return *mapped_data_;
  std::shared_ptr<Endpoint> endpoint = endpoint_.lock();
  if (endpoint == nullptr || endpoint->closed() || !endpoint->shares_memory()) return nullptr;
  mapped_data_ = nullptr;  // asked: a failure below is not asked again
  // [region name, offset], or None (ordinary memory; an older server does not know the op).
  absl::StatusOr<ffi::Any> where = CallOp("$tensor.shared", {});
  if (!where.ok()) return nullptr;
  std::optional<ffi::Array<ffi::Any>> parts = where->try_cast<ffi::Array<ffi::Any>>();
  if (!parts.has_value() || parts->size() != 2) return nullptr;
  std::optional<ffi::String> name = (*parts)[0].try_cast<ffi::String>();
  std::optional<int64_t> offset = (*parts)[1].try_cast<int64_t>();
  if (!name.has_value() || !offset.has_value() || *offset < 0) return nullptr;
  absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Open(name->view());
  if (!region.ok()) return nullptr;
  if (static_cast<uint64_t>(*offset) > (*region)->size() ||
      bytes > (*region)->size() - static_cast<uint64_t>(*offset)) {
    return nullptr;
  }
  mapped_ = *std::move(region);
  mapped_data_ = mapped_->base() + *offset;
  return *mapped_data_;
}

namespace {
absl::Status MappedCopyFailed() {
  return ConnectionError(
      "the server's shared memory for this tensor was cut short by another process");
}
}  // namespace

// A request that failed because the connection did (not the server's answer) is not an
// answer: nullopt, and the caller goes through the stream.
std::optional<absl::Status> RemoteTensorObj::WriteDirect(const void* data, uint64_t bytes) const {
  if (char* mapped = MappedBytes()) {
    internal::CopyBytes(mapped, static_cast<const char*>(data), bytes);
    return mapped_->broken() ? MappedCopyFailed() : absl::OkStatus();
  }
  std::shared_ptr<DataChannelClient> channel = DataChannelOf(endpoint_);
  if (channel == nullptr) return std::nullopt;
  absl::Status st = channel->Write(handle_, data, bytes);
  if (!st.ok() && channel->broken()) return std::nullopt;
  return st;
}

std::optional<absl::Status> RemoteTensorObj::ReadDirect(void* dest, uint64_t bytes) const {
  if (const char* mapped = MappedBytes()) {
    internal::CopyBytes(static_cast<char*>(dest), mapped, bytes);
    return mapped_->broken() ? MappedCopyFailed() : absl::OkStatus();
  }
  std::shared_ptr<DataChannelClient> channel = DataChannelOf(endpoint_);
  if (channel == nullptr) return std::nullopt;
  absl::Status st = channel->Read(handle_, dest, bytes);
  if (!st.ok() && channel->broken()) return std::nullopt;
  return st;
}

std::optional<absl::StatusOr<ffi::Tensor>> RemoteTensorObj::ReadDirect() const {
  if (MappedBytes() == nullptr && DataChannelOf(endpoint_) == nullptr) return std::nullopt;
  ffi::Tensor host = NewHostTensor(ffi::ShapeView(shape_.data(), shape_.size()), dtype_);
  std::optional<absl::Status> st = ReadDirect(host.data_ptr(), host.GetDataSize());
  if (!st.has_value()) return std::nullopt;
  if (!st->ok()) return absl::StatusOr<ffi::Tensor>(*std::move(st));
  return absl::StatusOr<ffi::Tensor>(std::move(host));
}

absl::StatusOr<ffi::Any> RemoteTensorObj::CallOp(const char* op,
                                                 const std::vector<ffi::AnyView>& args) const {
  std::shared_ptr<Endpoint> endpoint = endpoint_.lock();
  if (endpoint == nullptr) return internal::Disconnected();
  ffi::ObjectRef self = ffi::GetRef<ffi::ObjectRef>(this);
  std::vector<ffi::AnyView> all;
  all.reserve(args.size() + 1);
  all.push_back(ffi::AnyView(self));
  all.insert(all.end(), args.begin(), args.end());
  return endpoint->CallGlobal(op, all.data(), static_cast<int32_t>(all.size()));
}

}  // namespace tvmffi::rpc

namespace tvmffi::rpc::internal {

ffi::Any MakeProxy(const std::shared_ptr<Endpoint>& endpoint, const v1::RemoteRef& ref) {
  uint64_t handle = ref.handle();
  const std::string& type_key = ref.type_key();
  if (type_key == "ffi.Function") {
    auto* state = new FunctionProxyState{endpoint, handle, endpoint->ProxyKeepAlive()};
    TVMFFIObjectHandle out = nullptr;
    if (TVMFFIFunctionCreate(state, FunctionProxyCall, FunctionProxyDelete, &out) != 0) {
      delete state;
      throw ffi::details::MoveFromSafeCallRaised();
    }
    auto* obj = static_cast<ffi::Object*>(out);
    state->object = obj;
    return ffi::Any(ffi::details::ObjectUnsafe::ObjectRefFromObjectPtr<ffi::Function>(
        ffi::details::ObjectUnsafe::ObjectPtrFromOwned<ffi::Object>(obj)));
  }
  if (type_key == "ffi.Module") {
    auto mod = ffi::make_object<RemoteModuleObj>(endpoint, handle, endpoint->ProxyKeepAlive());
    return ffi::Any(ffi::Module(std::move(mod)));
  }
  if (type_key == "ffi.Tensor") {
    const v1::Tensor& meta = ref.tensor();
    std::vector<int64_t> shape(meta.shape().begin(), meta.shape().end());
    DLDataType dtype{static_cast<uint8_t>(meta.dtype().code()),
                     static_cast<uint8_t>(meta.dtype().bits()),
                     static_cast<uint16_t>(meta.dtype().lanes())};
    DLDevice device{static_cast<DLDeviceType>(meta.device().device_type()),
                    meta.device().device_id()};
    return ffi::Any(ffi::ObjectRef(ffi::make_object<RemoteTensorObj>(
        endpoint, handle, std::move(shape), dtype, device, endpoint->ProxyKeepAlive())));
  }
  return ffi::Any(ffi::ObjectRef(
      ffi::make_object<RemoteObjectObj>(endpoint, handle, type_key, endpoint->ProxyKeepAlive())));
}

}  // namespace tvmffi::rpc::internal
