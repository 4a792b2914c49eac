// Connect and Session: a session stream to a server, with the server's globals and modules
// returned as proxies.
#include <grpcpp/grpcpp.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <fstream>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "channel.h"
#include "signature.h"
#include "tvmffi/device/device_api.h"
#include "tvmffi/grpc/credential_files.h"
#include "tvmffi/grpc/grpc_stream.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"
#include "tvmffi/session/data_channel.h"
#include "tvmffi/session/endpoint.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc {
namespace ffi = tvm::ffi;

namespace {

// Owned by every Session copy and every proxy: when the last goes, the session ends.
struct SessionCore {
  std::shared_ptr<Endpoint> endpoint;
  ~SessionCore() {
    endpoint->Shutdown(WithErrorKind(absl::CancelledError("session closed by the client"),
                                     kind::kConnectionError));
  }
};

absl::Duration Seconds(double s) { return s > 0 ? absl::Seconds(s) : absl::InfiniteDuration(); }

}  // namespace

Session Connect(const std::string& target, const ConnectOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> made = internal::MakeChannel(target, options);
  if (!made.ok()) throw StatusToError(made.status());
  std::shared_ptr<grpc::Channel> channel = *std::move(made);
  absl::Status connected =
      internal::WaitUntilConnected(*channel, target, options.connect_timeout_s);
  if (!connected.ok()) throw StatusToError(connected);
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options.token.empty()) context->AddMetadata("authorization", "Bearer " + options.token);
  grpc::ClientContext* stream_context = context.get();  // lives as long as the stream
  std::unique_ptr<FrameStream> stream = OpenClientFrameStream(channel, std::move(context), target);
  if (stream == nullptr) {
    throw StatusToError(ConnectionError("cannot open a session"));
  }
  EndpointOptions endpoint_options;
  endpoint_options.local_name = options.name;
  endpoint_options.call_timeout = Seconds(options.call_timeout_s);
  endpoint_options.shared_memory = options.shared_memory;
  endpoint_options.heartbeat = Seconds(options.heartbeat_s);
  endpoint_options.keep_device_tensors = false;  // a local CUDA tensor goes by value
  endpoint_options.adopt_staged = true;          // the server's staged results are used in place
  auto endpoint = Endpoint::Create(std::move(stream), nullptr, endpoint_options);
  absl::Status started = endpoint->Start();
  if (!started.ok()) throw StatusToError(started);
  Session session(endpoint, target, options.call_timeout_s);
  // The first operation proves the stream works (and that the token was accepted); it also
  // tells the server's message limit, so oversized calls fail here without breaking the stream.
  ServerInfo info = session.Info();
  uint64_t limit = std::min<uint64_t>(options.max_message_bytes,
                                      info.max_message_bytes ? info.max_message_bytes : UINT64_MAX);
  endpoint->SetMaxFrameBytes(limit);
  if (options.keep_tensor_results_remote) {
    session.Op("$session.keep_tensors_remote", {ffi::Any(true)});
  }
  if (options.data_channel && !options.tls) {
    std::weak_ptr<Endpoint> weak = endpoint;
    double timeout_s =
        options.connect_timeout_s > 0 ? std::min(options.connect_timeout_s, 5.0) : 5.0;
    endpoint->SetDataChannelOpener(
        [weak, stream_context, timeout_s]() -> absl::StatusOr<std::shared_ptr<DataChannelClient>> {
          std::shared_ptr<Endpoint> self = weak.lock();
          if (self == nullptr) return ConnectionError("the session ended");
          TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any offer,
                                      self->CallGlobal("$session.data_channel", nullptr, 0));
          if (offer == nullptr) return absl::NotFoundError("the server offers no data channel");
          auto port_and_ticket = offer.cast<ffi::Array<ffi::Any>>();
          TVMFFI_RPC_ASSIGN_OR_RETURN(
              std::unique_ptr<DataChannelClient> channel,
              DataChannelClient::Connect(
                  stream_context->peer(), static_cast<int>(port_and_ticket[0].cast<int64_t>()),
                  std::string(port_and_ticket[1].cast<ffi::Bytes>()), absl::Seconds(timeout_s)));
          return std::shared_ptr<DataChannelClient>(std::move(channel));
        });
  }
  return session;
}

Session::Session(std::shared_ptr<Endpoint> endpoint, std::string target, double call_timeout_s)
    : endpoint_(std::move(endpoint)), target_(std::move(target)), call_timeout_s_(call_timeout_s) {
  auto core = std::make_shared<SessionCore>();
  core->endpoint = endpoint_;
  endpoint_->SetProxyKeepAlive(core);
  closer_ = std::move(core);
}

ffi::Any Session::Op(const char* op, std::vector<ffi::Any> args) const {
  std::vector<ffi::AnyView> views(args.begin(), args.end());
  absl::StatusOr<ffi::Any> rv =
      endpoint_->CallGlobal(op, views.data(), static_cast<int32_t>(views.size()));
  if (!rv.ok()) throw StatusToError(rv.status());
  return std::move(*rv);
}

std::optional<ffi::Function> Session::GetGlobal(const std::string& name) const {
  ffi::Any f = Op("$get_global", {ffi::Any(ffi::String(name))});
  if (f == nullptr) return std::nullopt;
  return f.cast<ffi::Function>();
}

ffi::Function Session::GetGlobalRequired(const std::string& name) const {
  std::optional<ffi::Function> f = GetGlobal(name);
  if (!f.has_value()) TVM_FFI_THROW(ValueError) << "Function " << name << " not found";
  return std::move(*f);
}

std::vector<std::string> Session::ListGlobalNames(const std::string& prefix) const {
  auto names = Op("$list_globals", {ffi::Any(ffi::String(prefix))}).cast<ffi::Array<ffi::String>>();
  return std::vector<std::string>(names.begin(), names.end());
}

std::vector<FunctionDescription> Session::DescribeGlobals(const std::string& prefix) const {
  auto rows = Op("$describe_globals", {ffi::Any(ffi::String(prefix))})
                  .cast<ffi::Array<ffi::Array<ffi::String>>>();
  std::vector<FunctionDescription> out;
  for (const ffi::Array<ffi::String>& row : rows) {
    if (row.size() != 3) TVM_FFI_THROW(ValueError) << "malformed function description";
    out.push_back(FunctionDescription{std::string(row[0]), std::string(row[1]),
                                      internal::SignatureFromMetadata(std::string(row[2]))});
  }
  return out;
}

ffi::Module Session::LoadModule(const std::string& name) const {
  return Op("$load_module", {ffi::Any(ffi::String(name))}).cast<ffi::Module>();
}

std::string ModuleStem(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  return base.substr(0, base.find('.'));
}

ffi::Module Session::UploadModule(
    const std::string& local_path, const std::string& name, bool replace,
    const std::function<void(uint64_t sent, uint64_t total)>& progress) const {
  std::ifstream in(local_path, std::ios::binary);
  if (!in) TVM_FFI_THROW(ValueError) << "cannot read the module file " << local_path;
  in.seekg(0, std::ios::end);
  const auto total = static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  in.seekg(0);
  std::string module_name = name.empty() ? ModuleStem(local_path) : name;
  // Pieces well under the message limit (a frame has more than the bytes in it).
  uint64_t piece = 4ull << 20;
  if (uint64_t limit = endpoint_->max_frame_bytes(); limit != 0) {
    piece = std::max<uint64_t>(std::min(piece, limit / 2), 4096);
  }
  // The upload is a handle on the server: dropped (and its file removed) if this fails midway.
  ffi::Any upload = Op("$upload.begin", {ffi::Any(ffi::String(module_name)),
                                         ffi::Any(static_cast<int64_t>(total)), ffi::Any(replace)});
  std::string buffer(static_cast<size_t>(std::min(piece, std::max<uint64_t>(total, 1))), '\0');
  for (uint64_t sent = 0; sent < total;) {
    uint64_t n = std::min<uint64_t>(buffer.size(), total - sent);
    if (!in.read(buffer.data(), static_cast<std::streamsize>(n))) {
      TVM_FFI_THROW(ValueError) << "cannot read the module file " << local_path;
    }
    Op("$upload.append", {upload, ffi::Any(ffi::Bytes(buffer.data(), n))});
    sent += n;
    if (progress) progress(sent, total);
  }
  if (total == 0 && progress) progress(0, 0);
  return Op("$upload.finish", {upload}).cast<ffi::Module>();
}

void Session::UnloadModule(const std::string& name) const {
  Op("$unload_module", {ffi::Any(ffi::String(name))});
}

namespace {
std::vector<std::string> Strings(const ffi::Any& names) {
  auto array = names.cast<ffi::Array<ffi::String>>();
  return std::vector<std::string>(array.begin(), array.end());
}
}  // namespace

std::vector<std::string> Session::ModuleFunctionNames(const std::string& name) const {
  return Strings(Op("$module.list_functions", {ffi::Any(ffi::String(name))}));
}

std::vector<std::string> Session::AvailableModules() const {
  return Strings(Op("$module_dir.list", {}));
}

ffi::Module Session::SystemLib(const std::string& prefix) const {
  return Op("$system_lib", {ffi::Any(ffi::String(prefix))}).cast<ffi::Module>();
}

int Session::ImportGlobals(const std::string& prefix) const {
  int count = 0;
  for (const std::string& name : ListGlobalNames(prefix)) {
    if (std::optional<ffi::Function> f = GetGlobal(name)) {
      ffi::Function::SetGlobal(name, *f, /*override=*/true);
      ++count;
    }
  }
  return count;
}

ServerInfo Session::Info() const {
  auto map = Op("$info", {}).cast<ffi::Map<ffi::String, ffi::Any>>();
  ServerInfo info;
  info.server_version = map["server_version"].cast<std::string>();
  info.ffi_version = map["ffi_version"].cast<std::string>();
  info.protocol_version = map["protocol_version"].cast<uint32_t>();
  info.module_dir_enabled = map["module_dir_enabled"].cast<bool>();
  info.auth_required = map["auth_required"].cast<bool>();
  if (auto isolate = map.Get("isolate")) info.isolate = isolate.value().cast<bool>();
  if (auto upload = map.Get("upload_enabled")) info.upload_enabled = upload.value().cast<bool>();
  if (auto limit = map.Get("max_message_bytes"))
    info.max_message_bytes = limit.value().cast<uint64_t>();
  for (const ffi::String& m : map["loaded_modules"].cast<ffi::Array<ffi::String>>()) {
    info.loaded_modules.push_back(std::string(m));
  }
  if (auto devices = map.Get("devices")) {  // servers before the device layer have none
    for (const ffi::Any& d : devices.value().cast<ffi::Array<ffi::Any>>()) {
      auto entry = d.cast<ffi::Map<ffi::String, ffi::Any>>();
      DeviceInfo dev;
      dev.device = entry["device"].cast<DLDevice>();
      dev.name = entry["name"].cast<std::string>();
      dev.total_memory = entry["total_memory"].cast<uint64_t>();
      dev.free_memory = entry["free_memory"].cast<uint64_t>();
      dev.compute_capability_major = entry["compute_capability_major"].cast<int>();
      dev.compute_capability_minor = entry["compute_capability_minor"].cast<int>();
      dev.multiprocessor_count = entry["multiprocessor_count"].cast<int>();
      info.devices.push_back(std::move(dev));
    }
  }
  if (auto cuda = map.Get("cuda_status")) info.cuda_status = cuda.value().cast<std::string>();
  if (auto limits = map.Get("limits")) {
    for (const auto& [key, value] : limits.value().cast<ffi::Map<ffi::String, ffi::Any>>()) {
      info.limits.emplace_back(std::string(key), value.type_index() == kTVMFFIBool
                                                     ? int64_t{value.cast<bool>()}
                                                     : value.cast<int64_t>());
    }
    std::sort(info.limits.begin(), info.limits.end());
  }
  return info;
}

std::vector<DeviceInfo> Session::Devices() const { return Info().devices; }

RemoteTensor Session::Empty(ffi::Shape shape, DLDataType dtype, DLDevice device) const {
  return Op("$tensor.empty", {ffi::Any(std::move(shape)), ffi::Any(dtype), ffi::Any(device)})
      .cast<RemoteTensor>();
}

ffi::Function Session::TimeEvaluator(const ffi::Function& remote_fn, DLDevice device,
                                     TimeEvaluatorOptions options) const {
  return Op("$time_evaluator", {ffi::Any(remote_fn), ffi::Any(device), ffi::Any(options.number),
                                ffi::Any(options.repeat), ffi::Any(options.min_repeat_ms),
                                ffi::Any(options.cooldown_ms)})
      .cast<ffi::Function>();
}

namespace {
// A compact copy of a strided host tensor (the codec's gather).
ffi::Tensor Compact(const DLTensor& t) {
  absl::StatusOr<ffi::Tensor> compact = CompactHostTensor(t);
  if (!compact.ok()) throw StatusToError(compact.status());
  return *std::move(compact);
}

// ValueError unless a copy between the remote tensor and host (either way) has matching dtype
// and shape; named from source to destination.
void CheckSameType(const RemoteTensorObj& remote, const DLTensor& host, bool to_remote) {
  std::string remote_text =
      TensorTypeText(remote.dtype(), ffi::ShapeView(remote.shape().data(), remote.shape().size()));
  std::string host_text =
      TensorTypeText(host.dtype, ffi::ShapeView(host.shape, static_cast<size_t>(host.ndim)));
  if (remote_text != host_text) {
    TVM_FFI_THROW(ValueError) << "cannot copy a tensor of " << (to_remote ? host_text : remote_text)
                              << " into one of " << (to_remote ? remote_text : host_text);
  }
}

// Without a session call (mapped memory or the data channel): true when done that way.
bool WriteDirect(const RemoteTensorObj& remote, const DLTensor& host) {
  CheckSameType(remote, host, /*to_remote=*/true);
  std::optional<absl::Status> done = remote.WriteDirect(
      static_cast<const char*>(host.data) + host.byte_offset, ffi::GetDataSize(host));
  if (!done.has_value()) return false;
  if (!done->ok()) throw StatusToError(*done);
  return true;
}

void CheckHost(const DLTensor& t, const char* op = "CopyFrom") {
  if (t.device.device_type != kDLCPU && t.device.device_type != kDLCUDAHost &&
      t.device.device_type != kDLROCMHost) {
    TVM_FFI_THROW(ValueError) << op << " takes a tensor in host memory (this one is on "
                              << device::DeviceName(t.device) << ")";
  }
}
}  // namespace

// A strided source is made compact here first, so it travels like any tensor (staged or in
// chunks) rather than gathered into one frame.
void RemoteTensor::CopyFrom(const ffi::Tensor& host) const {
  CheckHost(*host.GetDLTensorPtr());
  ffi::Tensor compact = host.IsContiguous() ? host : Compact(*host.GetDLTensorPtr());
  if (WriteDirect(*get(), *compact.GetDLTensorPtr())) return;
  absl::StatusOr<ffi::Any> rv = get()->CallOp("$tensor.copy_from", {ffi::AnyView(compact)});
  if (!rv.ok()) throw StatusToError(rv.status());
}

void RemoteTensor::CopyFrom(const DLTensor* host) const {
  if (host == nullptr) TVM_FFI_THROW(ValueError) << "CopyFrom of a null DLTensor*";
  CheckHost(*host);
  if (!ffi::IsContiguous(*host)) {
    CopyFrom(Compact(*host));
    return;
  }
  if (WriteDirect(*get(), *host)) return;
  absl::StatusOr<ffi::Any> rv =
      get()->CallOp("$tensor.copy_from", {ffi::AnyView(const_cast<DLTensor*>(host))});
  if (!rv.ok()) throw StatusToError(rv.status());
}

namespace {
// Through the session: the server sends the tensor by value.
ffi::Tensor ToHostThroughSession(const RemoteTensorObj& remote) {
  absl::StatusOr<ffi::Any> rv = remote.CallOp("$tensor.to_host", {});
  if (!rv.ok()) throw StatusToError(rv.status());
  return rv->cast<ffi::Tensor>();
}
}  // namespace

ffi::Tensor RemoteTensor::ToHost() const {
  if (std::optional<absl::StatusOr<ffi::Tensor>> read = get()->ReadDirect()) {
    if (!read->ok()) throw StatusToError(read->status());
    return **std::move(read);
  }
  return ToHostThroughSession(*get());
}

void RemoteTensor::CopyTo(const ffi::Tensor& host) const {
  CopyTo(const_cast<DLTensor*>(host.GetDLTensorPtr()));
}

void RemoteTensor::CopyTo(DLTensor* host) const {
  if (host == nullptr) TVM_FFI_THROW(ValueError) << "CopyTo into a null DLTensor*";
  CheckHost(*host, "CopyTo");
  CheckSameType(*get(), *host, /*to_remote=*/false);
  ffi::Tensor compact;
  if (ffi::IsContiguous(*host)) {
    std::optional<absl::Status> done = get()->ReadDirect(
        static_cast<char*>(host->data) + host->byte_offset, ffi::GetDataSize(*host));
    if (done.has_value()) {
      if (!done->ok()) throw StatusToError(*done);
      return;
    }
    compact = ToHostThroughSession(*get());  // no direct way: ToHost would look again
  } else {
    compact = ToHost();
  }
  absl::Status st = CopyCompactIntoHostTensor(compact.data_ptr(), *host);
  if (!st.ok()) throw StatusToError(st);
}

bool Session::SharesMemory() const { return endpoint_->shares_memory(); }

bool Session::UsesDataChannel() const {
  return !endpoint_->shares_memory() && endpoint_->data_channel() != nullptr;
}

ffi::Tensor NewSharedTensor(ffi::Shape shape, DLDataType dtype) {
  absl::StatusOr<ffi::Tensor> tensor = CreateSharedTensor(ffi::ShapeView(shape), dtype);
  if (!tensor.ok()) throw StatusToError(tensor.status());
  return *std::move(tensor);
}

void Session::Close() {
  endpoint_->Shutdown(
      WithErrorKind(absl::CancelledError("session closed by the client"), kind::kConnectionError));
}

}  // namespace tvmffi::rpc
