#include "service.h"

#include <grpcpp/support/proto_buffer_reader.h>
#include <tvm/ffi/reflection/registry.h>

#include <chrono>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "log.h"
#include "metrics.h"
#include "tvmffi/device/device_api.h"
#include "tvmffi/device/device_tensor.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/proto/secret.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {
namespace ffi = tvm::ffi;

namespace {
void SetError(const absl::Status& status, v1::Error* out) {
  out->set_kind(ErrorKindOf(status));
  out->set_message(std::string(status.message()));
}

// What a peer can cause at will (a refused token or session, a frame that does not parse):
// logged at most once a second per event, with a count of those held back.
void LogThrottled(const char* event, const std::string& peer, std::string_view reason) {
  int64_t suppressed = 0;
  if (!log::Enabled(log::Level::kWarning) || !log::Throttle(event, &suppressed)) return;
  log::Event(log::Level::kWarning, event,
             {{"peer", peer}, {"reason", reason}, {"suppressed", suppressed}});
}

void LogMalformed(const std::string& peer, std::string_view why) {
  Metrics::Global().MalformedFrame();
  LogThrottled("frame.malformed", peer, why);
}

// A call that failed, at debug level.
void LogCallError(const std::string& peer, std::string_view function, absl::Duration took,
                  const v1::Error& error) {
  if (!log::Enabled(log::Level::kDebug)) return;
  log::Event(log::Level::kDebug, "call.error",
             {{"peer", peer},
              {"function", function.empty() ? std::string_view("(by handle)") : function},
              {"kind", error.kind()},
              {"message", error.message()},
              {"took_s", took}});
}
}  // namespace

FFIService::FFIService(const ServerOptions& options, std::shared_ptr<ServerDispatcher> dispatcher,
                       std::shared_ptr<ModuleStore> modules)
    : options_(options), dispatcher_(std::move(dispatcher)), modules_(std::move(modules)) {
  // Session is method 0 of ffi.proto's FFI service; its frames stay byte buffers so tensor
  // chunks are not copied through protobuf messages (grpc_stream.h).
  MarkMethodStreamed(
      0, new grpc::internal::BidiStreamingHandler<FFIService, grpc::ByteBuffer, grpc::ByteBuffer>(
             [](FFIService* service, grpc::ServerContext* context, RawSessionReaderWriter* stream) {
               return service->RawSession(context, stream);
             },
             this));
  // Call is method 1: its request is parsed here rather than by gRPC, with the session's
  // nesting limit, so a request that does not parse is INVALID_ARGUMENT with a reason (gRPC's
  // own parser answers INTERNAL with an empty message and stops at 100 levels).
  MarkMethodStreamed(
      1, new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
             [this](grpc::ServerContext* context,
                    grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>* streamer) {
               return RawCall(context, streamer);
             }));
  if (options_.session_idle_timeout != absl::InfiniteDuration()) {
    reaper_ = std::thread([this] { ReapIdleSessions(); });
  }
}

FFIService::~FFIService() {
  {
    std::lock_guard<std::mutex> lock(reaper_mutex_);
    stopping_ = true;
  }
  reaper_cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

void FFIService::ReapIdleSessions() {
  absl::Duration limit = options_.session_idle_timeout;
  absl::Duration period = std::min(absl::Seconds(1), limit / 4);
  std::unique_lock<std::mutex> lock(reaper_mutex_);
  while (
      !reaper_cv_.wait_for(lock, absl::ToChronoNanoseconds(period), [this] { return stopping_; })) {
    std::vector<std::shared_ptr<Endpoint>> idle;
    {
      std::lock_guard<std::mutex> sessions_lock(sessions_mutex_);
      for (const auto& s : sessions_) {
        if (s->idle_for() >= limit) idle.push_back(s);
      }
    }
    for (const auto& s : idle) {
      s->Shutdown(
          ConnectionError(absl::StrCat("the server closed this session: idle for ",
                                       absl::FormatDuration(limit), " (--session-idle-timeout)")));
    }
  }
}

namespace {
// A client's address without its port ("ipv4:10.0.0.7", "ipv6:[::1]", "unix:..."): the
// unit of --max-sessions-per-peer.
std::string PeerAddress(const std::string& peer) {
  if (peer.rfind("ipv4:", 0) == 0 || peer.rfind("ipv6:", 0) == 0) {
    size_t colon = peer.rfind(':');
    if (colon > 4) return peer.substr(0, colon);
  }
  return peer;
}
}  // namespace

grpc::Status FFIService::AdmitSession(const std::string& peer) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  if (num_sessions_.load() >= options_.max_sessions) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("the server already has ", options_.max_sessions,
                                     " sessions (--max-sessions)"));
  }
  int& mine = sessions_per_peer_[peer];
  if (mine >= options_.max_sessions_per_peer) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("this client address (", peer, ") already has ", mine,
                                     " sessions (--max-sessions-per-peer)"));
  }
  ++mine;
  num_sessions_.fetch_add(1);
  return grpc::Status::OK;
}

void FFIService::ReleaseSession(const std::string& peer) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  auto it = sessions_per_peer_.find(peer);
  if (it != sessions_per_peer_.end() && --it->second <= 0) sessions_per_peer_.erase(it);
  num_sessions_.fetch_sub(1);
}

grpc::Status FFIService::RawCall(
    grpc::ServerContext* context,
    grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>* streamer) {
  grpc::ByteBuffer buffer;
  if (!streamer->Read(&buffer)) return grpc::Status(grpc::StatusCode::CANCELLED, "no request");
  Metrics::Global().grpc_bytes().received.fetch_add(buffer.Length(), std::memory_order_relaxed);
  v1::CallRequest request;
  grpc::ProtoBufferReader reader(&buffer);
  if (!ParseWithNestingLimit(&reader, &request)) {
    LogMalformed(context->peer(), "a CallRequest that does not parse");
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("the CallRequest does not parse (malformed, or values nested "
                                     "deeper than ",
                                     CodecLimits{}.max_depth, " levels)"));
  }
  v1::CallResponse response;
  grpc::Status status = Call(context, &request, &response);
  if (!status.ok()) return status;
  grpc::ByteBuffer reply;
  bool own = false;
  if (!grpc::SerializationTraits<v1::CallResponse>::Serialize(response, &reply, &own).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response");
  }
  if (!streamer->Write(reply)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
  Metrics::Global().grpc_bytes().sent.fetch_add(reply.Length(), std::memory_order_relaxed);
  return grpc::Status::OK;
}

grpc::Status FFIService::Authorize(grpc::ServerContext* context) const {
  if (options_.token.empty()) return grpc::Status::OK;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  std::string got = it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  // The scheme is case-insensitive (RFC 7235); the token is compared exactly.
  constexpr size_t kScheme = 7;  // "Bearer "
  bool scheme_ok =
      got.size() >= kScheme && absl::EqualsIgnoreCase(got.substr(0, kScheme), "bearer ");
  if (!scheme_ok || !SameSecret(got.substr(kScheme), options_.token)) {
    grpc::Status refused(grpc::StatusCode::UNAUTHENTICATED,
                         "missing or wrong token (authorization: Bearer <token>)");
    LogThrottled("auth.refused", context->peer(), refused.error_message());
    Metrics::Global().AuthRefused();
    return refused;
  }
  return grpc::Status::OK;
}

grpc::Status FFIService::RawSession(grpc::ServerContext* context, RawSessionReaderWriter* stream) {
  grpc::Status auth = Authorize(context);
  if (!auth.ok()) return auth;
  if (draining_.load()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
  std::string peer = PeerAddress(context->peer());
  grpc::Status admitted = AdmitSession(peer);
  if (!admitted.ok()) {
    LogThrottled("session.refused", context->peer(), admitted.error_message());
    Metrics::Global().SessionRefused();
    return admitted;
  }
  const std::string client = context->peer();
  const absl::Time opened = absl::Now();
  EndpointOptions endpoint_options;
  endpoint_options.local_name = options_.name;
  endpoint_options.max_frame_bytes = options_.max_message_bytes;
  endpoint_options.call_timeout = options_.call_timeout;  // callbacks into the client
  endpoint_options.shared_memory = options_.shared_memory;
  endpoint_options.session_streams = true;
  endpoint_options.import_cuda_ipc = true;  // same-host clients' CUDA tensors, in place
  endpoint_options.offer_cuda_ipc = false;  // ...but never this server's memory to a client
  ServerDispatcher* dispatcher = dispatcher_.get();  // outlives every session
  endpoint_options.on_call_done = [client, dispatcher](
                                      std::string_view name, const ffi::Function* function,
                                      absl::Duration took, const v1::Error* error) {
    std::string by_handle;  // a proxy's call: the name its function was handed out under
    if (name.empty() && function != nullptr) {
      by_handle = dispatcher->NameOf(*function);
      name = by_handle;
    }
    // Session operations ($info, $get_global, ...) are the session's own, not functions.
    if (name.empty() || name[0] != '$') {
      Metrics::Global().CallDone(name, took, error != nullptr ? error->kind() : "");
    }
    if (error != nullptr) LogCallError(client, name, took, *error);
  };
  endpoint_options.on_malformed_frame = [client](const absl::Status& why) {
    LogMalformed(client, std::string(why.message()));
  };
  auto endpoint =
      Endpoint::Create(MakeServerFrameStream(context, stream, &Metrics::Global().grpc_bytes()),
                       dispatcher_, endpoint_options);
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.insert(endpoint);
  }
  Metrics::Global().SessionOpened();
  log::Event(log::Level::kInfo, "session.open",
             {{"peer", client}, {"sessions", num_sessions_.load()}});
  endpoint->Run();  // until the client goes away; then every handle it held is released
  dispatcher_->ForgetSession(endpoint.get());
  Metrics::Global().SessionClosed();
  absl::Status why = endpoint->close_reason();
  log::Event(log::Level::kInfo, "session.close",
             {{"peer", client},
              {"duration_s", absl::Now() - opened},
              {"reason", why.ok() ? std::string("closed") : std::string(why.message())}});
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.erase(endpoint);
  }
  ReleaseSession(peer);
  if (absl::IsFailedPrecondition(why)) {  // e.g. a protocol version mismatch: tell the client
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(why.message()));
  }
  return grpc::Status::OK;
}

grpc::Status FFIService::Call(grpc::ServerContext* context, const v1::CallRequest* request,
                              v1::CallResponse* response) {
  grpc::Status auth = Authorize(context);
  if (!auth.ok()) return auth;
  const absl::Time started = absl::Now();
  try {
    absl::StatusOr<ffi::Function> func = absl::InternalError("unresolved");
    if (request->module().empty()) {
      func = dispatcher_->ResolveGlobal(request->name());
    } else {
      absl::StatusOr<ffi::Module> mod = modules_->Get(request->module());
      absl::Status name_ok = CheckNameLength(request->name(), "a function name");
      if (!name_ok.ok()) {
        func = name_ok;
      } else if (!mod.ok()) {
        func = mod.status();
      } else if (auto f = (*mod)->GetFunction(request->name(), true)) {
        func = f.value();
      } else {
        func =
            WithErrorKind(absl::NotFoundError(absl::StrCat("module ", request->module(),
                                                           " has no function ", request->name())),
                          kind::kValueError);
      }
    }
    if (!func.ok()) {
      SetError(func.status(), response->mutable_error());
      return grpc::Status::OK;
    }
    std::vector<ffi::Any> args;
    for (const v1::Value& v : request->args()) {
      absl::StatusOr<ffi::Any> arg = DecodeValue(v, nullptr);
      if (!arg.ok()) {
        SetError(arg.status(), response->mutable_error());
        return grpc::Status::OK;
      }
      args.push_back(std::move(*arg));
    }
    std::vector<ffi::AnyView> views(args.begin(), args.end());
    ffi::Any result;
    // Like a session's call, it can see (TVMFFIEnvCheckSignals) that its client's deadline
    // passed or that the client went away, and stop.
    absl::Time deadline = context->deadline() == std::chrono::system_clock::time_point::max()
                              ? absl::InfiniteFuture()
                              : absl::FromChrono(context->deadline());
    RunCancellable(
        deadline, [context] { return context->IsCancelled(); }, *func, views.data(),
        static_cast<int32_t>(views.size()), &result);
    absl::Status encoded = EncodeValue(result, nullptr, response->mutable_value());
    if (!encoded.ok()) {
      response->clear_value();
      SetError(encoded, response->mutable_error());
    }
  } catch (...) {  // whatever a function throws, `throw 42` included, is the call's error
    response->clear_value();
    EncodeServedError(CurrentExceptionToError(), response->mutable_error());
  }
  Metrics::Global().CallDone(request->name(), absl::Now() - started,
                             response->has_error() ? response->error().kind() : "");
  if (response->has_error()) {
    response->mutable_error()->set_peer(options_.name);
    LogCallError(context->peer(), request->name(), absl::Now() - started, response->error());
  }
  return grpc::Status::OK;
}

grpc::Status FFIService::ListFunctions(grpc::ServerContext* context,
                                       const v1::ListFunctionsRequest* request,
                                       v1::ListFunctionsResponse* response) {
  grpc::Status auth = Authorize(context);
  if (!auth.ok()) return auth;
  std::optional<ffi::Function> metadata = ffi::Function::GetGlobal("ffi.GetGlobalFuncMetadata");
  std::optional<ffi::Function> doc = ffi::Function::GetGlobal("ffi.GetGlobalFuncDoc");
  for (const std::string& name : dispatcher_->PublishedNames(request->prefix())) {
    v1::FunctionInfo* info = response->add_functions();
    info->set_name(name);
    if (metadata.has_value() && ffi::Function::GetGlobal(name).has_value()) {
      try {
        info->set_metadata((*metadata)(ffi::String(name)).cast<std::string>());
        if (doc.has_value()) info->set_doc((*doc)(ffi::String(name)).cast<std::string>());
      } catch (const ffi::Error&) {
        // removed meanwhile: no metadata
      }
    }
  }
  for (const std::string& name : modules_->Names()) response->add_modules(name);
  return grpc::Status::OK;
}

void FFIService::FillServerInfo(v1::ServerInfo* info) const {
  TVMFFIVersion v;
  TVMFFIGetVersion(&v);
  info->set_server_version("0.1.0");
  info->set_ffi_version(absl::StrCat(v.major, ".", v.minor, ".", v.patch));
  info->set_protocol_version(1);
  for (const device::DeviceFacts& facts : device::ListDevices()) {
    v1::Device* dev = info->add_devices();
    dev->set_device_type(facts.device.device_type);
    dev->set_device_id(facts.device.device_id);
    v1::DeviceInfo* out = info->add_device_info();
    *out->mutable_device() = *dev;
    out->set_name(facts.name);
    out->set_total_memory(facts.total_memory);
    out->set_free_memory(facts.free_memory);
    out->set_compute_capability_major(facts.compute_capability_major);
    out->set_compute_capability_minor(facts.compute_capability_minor);
    out->set_multiprocessor_count(facts.multiprocessor_count);
  }
  absl::Status cuda = device::CudaStatus();
  if (!cuda.ok()) info->set_cuda_status(std::string(cuda.message()));
  info->set_max_message_bytes(options_.max_message_bytes);
  info->set_data_port(static_cast<uint32_t>(dispatcher_->data_port()));
  info->set_max_sessions(options_.max_sessions);
  info->set_call_timeout_ms(options_.call_timeout == absl::InfiniteDuration()
                                ? 0
                                : absl::ToInt64Milliseconds(options_.call_timeout));
  info->set_module_dir_enabled(modules_->module_dir_enabled());
  info->set_upload_enabled(modules_->upload_enabled());
  info->set_auth_required(!options_.token.empty());
  info->set_isolate(options_.isolate);
  auto ms = [](absl::Duration d) {
    return d == absl::InfiniteDuration() ? int64_t{0} : absl::ToInt64Milliseconds(d);
  };
  info->set_max_sessions_per_peer(static_cast<uint32_t>(options_.max_sessions_per_peer));
  info->set_session_idle_timeout_ms(ms(options_.session_idle_timeout));
  info->set_max_threads(static_cast<uint32_t>(options_.max_threads));
  info->set_max_device_memory(options_.max_device_memory);
  info->set_max_upload_bytes(options_.allow_upload ? options_.max_upload_bytes : 0);
  EndpointOptions session_defaults;  // every session's flow limit
  info->set_max_calls_in_flight(static_cast<uint32_t>(session_defaults.max_calls_in_flight));
  info->set_max_bytes_in_flight(session_defaults.max_bytes_in_flight);
  info->set_worker_timeout_ms(ms(options_.worker_timeout));
  info->set_shared_memory(options_.shared_memory);
  for (const std::string& name : modules_->Names()) info->add_loaded_modules(name);
}

std::string FFIService::StatsText() const {
  double handles = 0;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    for (const auto& session : sessions_) handles += static_cast<double>(session->num_exported());
  }
  std::vector<Metrics::Gauge> values = {
      {"tvmffi_handles_held", "Objects the server holds for its clients' sessions.", handles},
      {"tvmffi_calls_running", "Clients' calls running now (hung ones included).",
       static_cast<double>(NumCallsRunning())},
      {"tvmffi_modules_loaded", "Modules the server serves.",
       static_cast<double>(modules_->Names().size())},
      {"tvmffi_data_channel_connections", "Data channel connections open now.",
       static_cast<double>(dispatcher_->data_channel_connections())},
  };
  for (auto [type, name] : {std::pair<DLDeviceType, const char*>{kDLCPU, "cpu"},
                            std::pair<DLDeviceType, const char*>{kDLCUDA, "cuda"}}) {
    values.push_back({"tvmffi_device_memory_held_bytes",
                      "Bytes of tensors made on the server (Session::Empty, remote results), "
                      "by device type.",
                      static_cast<double>(device::DeviceTensorBytesHeld(type)),
                      absl::StrCat("device=\"", name, "\"")});
  }
  const ByteCounters& grpc = Metrics::Global().grpc_bytes();
  const ByteCounters* data = dispatcher_->data_channel_bytes();
  for (auto [name, help, received] :
       {std::make_tuple("tvmffi_received_bytes_total",
                        "Bytes received: gRPC message payloads (session frames, stateless "
                        "calls) and tensor bytes written over the data channel.",
                        true),
        std::make_tuple("tvmffi_sent_bytes_total",
                        "Bytes sent: gRPC message payloads and tensor bytes read over the data "
                        "channel.",
                        false)}) {
    auto value = [received = received](const ByteCounters* c) {
      return c == nullptr ? 0.0 : static_cast<double>((received ? c->received : c->sent).load());
    };
    values.push_back({name, help, value(&grpc), "transport=\"grpc\"", "counter"});
    values.push_back({name, help, value(data), "transport=\"data_channel\"", "counter"});
  }
  for (bool received : {false, true}) {
    for (int i = 0; i < kNumTensorCrossings; ++i) {
      auto how = static_cast<TensorCrossing>(i);
      values.push_back(
          {"tvmffi_tensors_total",
           "Tensors sent and received, by how their bytes crossed: inline (in the message), "
           "chunked (frames after it), shared (shared memory, by reference), staged (a "
           "same-host staging slot), remote (a reference; the tensor stays with its owner).",
           static_cast<double>(TensorsCrossed(received, how)),
           absl::StrCat("direction=\"", received ? "received" : "sent", "\",how=\"",
                        TensorCrossingName(how), "\""),
           "counter"});
    }
  }
  return Metrics::Global().Text(values);
}

grpc::Status FFIService::GetStats(grpc::ServerContext* context, const v1::GetStatsRequest*,
                                  v1::Stats* response) {
  grpc::Status auth = Authorize(context);
  if (!auth.ok()) return auth;
  response->set_text(StatsText());
  return grpc::Status::OK;
}

grpc::Status FFIService::GetServerInfo(grpc::ServerContext* context,
                                       const v1::GetServerInfoRequest*, v1::ServerInfo* response) {
  grpc::Status auth = Authorize(context);
  if (!auth.ok()) return auth;
  FillServerInfo(response);
  return grpc::Status::OK;
}

void FFIService::Drain(absl::Duration grace) {
  StopAdmitting();
  absl::Time deadline = absl::Now() + grace;
  while (true) {
    std::vector<std::shared_ptr<Endpoint>> sessions;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      sessions.assign(sessions_.begin(), sessions_.end());
    }
    bool busy = false;
    for (const auto& s : sessions) {
      if (s->num_serving() == 0 || absl::Now() >= deadline) {
        s->Shutdown(ConnectionError("server shutting down"));
      } else {
        busy = true;
      }
    }
    if (!busy) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace tvmffi::rpc::internal
