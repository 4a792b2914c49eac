// Server::Start: loads the operator's modules, builds the gRPC server (TLS, limits, health,
// reflection) and serves.
#include "tvmffi/server/server.h"

#include <grpcpp/ext/channelz_service_plugin.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <tvm/ffi/container/map.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tvmffi/device/device_tensor.h"
#include "tvmffi/session/data_channel.h"
#include "tvmffi/session/endpoint.h"
#include "tvmffi/session/shared_memory.h"

#include "absl/strings/str_cat.h"
#include "dispatcher.h"
#include "log.h"
#include "metrics.h"
#include "module_store.h"
#include "policy.h"
#include "service.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;

class ServerImpl : public Server {
 public:
  explicit ServerImpl(ServerOptions options) : options_(std::move(options)) {}

  absl::Status Init() {
    SetMaxWorkerThreads(options_.max_threads);
    if (!options_.tls_client_ca_pem.empty() && options_.tls_cert_pem.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked "
          "only over TLS, and this server would otherwise serve plaintext");
    }
    internal::IsolateOptions isolate;
    isolate.enabled = options_.isolate;
    isolate.call_timeout = options_.worker_timeout;
    // The workers are this server's own children: they share memory with it whatever clients
    // may (--no-shared-memory is about clients), so remote CPU tensors reach them by reference.
    isolate.shared_memory = true;
    isolate.program = options_.worker_program;
    if (isolate.enabled) {
      // Remote tensors on the CPU live in shared memory, which the workers map: a module's
      // function in a worker gets the client's remote tensor itself, not a copy.
      device::SetCpuBytesProvider([](uint64_t bytes) -> absl::StatusOr<std::shared_ptr<void>> {
        TVMFFI_RPC_ASSIGN_OR_RETURN(std::shared_ptr<SharedRegion> region,
                                    SharedRegion::Create(bytes));
        char* base = region->base();
        return std::shared_ptr<void>(std::move(region), base);
      });
    }
    if (isolate.enabled && isolate.program.empty()) {
      char self[PATH_MAX];
      ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
      if (n <= 0) return absl::InternalError("--isolate: cannot find this program's path");
      isolate.program.assign(self, static_cast<size_t>(n));
    }
    std::string upload_dir;
    if (options_.allow_upload) {
      // A fresh private directory: uploaded files never meet the operator's own.
      const char* tmp = std::getenv("TMPDIR");
      std::string templ =
          absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/tvmffi-uploads-XXXXXX");
      if (::mkdtemp(templ.data()) == nullptr) {
        return absl::UnavailableError(
            absl::StrCat("--allow-upload: cannot create ", templ, ": ", std::strerror(errno)));
      }
      upload_dir = templ;
    }
    modules_ = std::make_shared<internal::ModuleStore>(options_.module_dir, isolate, upload_dir);
    modules_->SetMaxUploadBytes(options_.max_upload_bytes);
    for (const std::string& path : options_.load) {
      absl::Status st = modules_->LoadOperatorModule(path);
      if (!st.ok()) {
        return absl::Status(st.code(),
                            absl::StrCat("cannot load --load ", path, ": ", st.message()));
      }
    }
    // Required modules the directory has are loaded now; the others are awaited.
    for (const std::string& name : options_.require_modules) {
      if (modules_->IsLoaded(name)) continue;
      std::string reason = "not loaded; health says NOT_SERVING until it is uploaded";
      if (!options_.module_dir.empty()) {
        absl::StatusOr<ffi::Module> module = modules_->Get(name);
        if (module.ok()) continue;
        reason = std::string(module.status().message());
      }
      internal::log::Event(internal::log::Level::kWarning, "module.required_missing",
                           {{"module", name}, {"reason", reason}});
    }
    auto policy = std::make_shared<internal::Policy>(options_.expose, options_.hide);
    ffi::Function info = ffi::Function::FromTyped([this]() {
      v1::ServerInfo pb;
      service_->FillServerInfo(&pb);
      ffi::Map<ffi::String, ffi::Any> out;
      out.Set("server_version", ffi::String(pb.server_version()));
      out.Set("ffi_version", ffi::String(pb.ffi_version()));
      out.Set("protocol_version", static_cast<int64_t>(pb.protocol_version()));
      out.Set("module_dir_enabled", pb.module_dir_enabled());
      out.Set("auth_required", pb.auth_required());
      out.Set("isolate", pb.isolate());
      out.Set("upload_enabled", pb.upload_enabled());
      out.Set("max_message_bytes", static_cast<int64_t>(pb.max_message_bytes()));
      ffi::Map<ffi::String, ffi::Any> limits;  // 0: none
      limits.Set("max_message_bytes", static_cast<int64_t>(pb.max_message_bytes()));
      limits.Set("max_sessions", static_cast<int64_t>(pb.max_sessions()));
      limits.Set("max_sessions_per_peer", static_cast<int64_t>(pb.max_sessions_per_peer()));
      limits.Set("session_idle_timeout_ms", pb.session_idle_timeout_ms());
      limits.Set("call_timeout_ms", pb.call_timeout_ms());
      limits.Set("max_threads", static_cast<int64_t>(pb.max_threads()));
      limits.Set("max_device_memory", static_cast<int64_t>(pb.max_device_memory()));
      limits.Set("max_calls_in_flight", static_cast<int64_t>(pb.max_calls_in_flight()));
      limits.Set("max_bytes_in_flight", static_cast<int64_t>(pb.max_bytes_in_flight()));
      limits.Set("worker_timeout_ms", pb.worker_timeout_ms());
      limits.Set("shared_memory", pb.shared_memory());
      limits.Set("data_port", static_cast<int64_t>(pb.data_port()));
      limits.Set("max_upload_bytes", static_cast<int64_t>(pb.max_upload_bytes()));
      out.Set("limits", limits);
      ffi::Array<ffi::String> loaded;
      for (const std::string& m : pb.loaded_modules()) loaded.push_back(m);
      out.Set("loaded_modules", loaded);
      ffi::Array<ffi::Any> devices;
      for (const v1::DeviceInfo& d : pb.device_info()) {
        ffi::Map<ffi::String, ffi::Any> entry;
        entry.Set("device", DLDevice{static_cast<DLDeviceType>(d.device().device_type()),
                                     d.device().device_id()});
        entry.Set("name", ffi::String(d.name()));
        entry.Set("total_memory", static_cast<int64_t>(d.total_memory()));
        entry.Set("free_memory", static_cast<int64_t>(d.free_memory()));
        entry.Set("compute_capability_major", static_cast<int64_t>(d.compute_capability_major()));
        entry.Set("compute_capability_minor", static_cast<int64_t>(d.compute_capability_minor()));
        entry.Set("multiprocessor_count", static_cast<int64_t>(d.multiprocessor_count()));
        devices.push_back(entry);
      }
      out.Set("devices", devices);
      out.Set("cuda_status", ffi::String(pb.cuda_status()));
      return out;
    });
    auto dispatcher = std::make_shared<internal::ServerDispatcher>(policy, modules_, info,
                                                                   options_.max_device_memory);
    bool is_unix = options_.listen.rfind("unix:", 0) == 0;
    bool tls = !options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty();
    if (options_.data_port >= 0 && !is_unix && !tls) {
      size_t colon = options_.listen.rfind(':');
      std::string host = colon == std::string::npos ? "" : options_.listen.substr(0, colon);
      absl::StatusOr<std::unique_ptr<DataChannelServer>> data =
          DataChannelServer::Listen(host, options_.data_port, 2 * options_.max_sessions + 8);
      if (!data.ok()) return data.status();
      dispatcher->SetDataChannel(std::shared_ptr<DataChannelServer>(*std::move(data)));
    }
    dispatcher_ = dispatcher;
    service_ = std::make_unique<internal::FFIService>(options_, dispatcher, modules_);

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    if (options_.channelz) grpc::channelz::experimental::InitChannelzService();
    grpc::ServerBuilder builder;
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    if (!options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty()) {
      if (options_.tls_cert_pem.empty() || options_.tls_key_pem.empty()) {
        return absl::InvalidArgumentError("TLS needs both a certificate and a key");
      }
      grpc::SslServerCredentialsOptions ssl(
          options_.tls_client_ca_pem.empty()
              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      ssl.pem_root_certs = options_.tls_client_ca_pem;
      ssl.pem_key_cert_pairs.push_back({options_.tls_key_pem, options_.tls_cert_pem});
      creds = grpc::SslServerCredentials(ssl);
    }
    builder.AddListeningPort(options_.listen, creds, &port_);
    builder.RegisterService(service_.get());
    int max_bytes = static_cast<int>(std::min<uint64_t>(options_.max_message_bytes, INT32_MAX));
    builder.SetMaxReceiveMessageSize(max_bytes);
    builder.SetMaxSendMessageSize(max_bytes);
    // Keepalive: a client host that vanished without closing its connection (power, network)
    // is found within 80 s, and its sessions end. Clients ping every 60 s (client.h); pings
    // closer than 30 s apart without data would be abuse.
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30 * 1000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    // A connection with no RPC at all (a unary-only client gone quiet) is closed after 10 min.
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 10 * 60 * 1000);
    // Session streams each hold a handler thread for their lifetime.
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 4);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", options_.listen,
          options_.tls_cert_pem.empty()
              ? " (address in use, or not an address of this host?)"
              : " with TLS: the address is in use, or gRPC refused the certificate and key "
                "(does the key belong to the certificate?)"));
    }
    if (!is_unix && port_ == 0) {
      return absl::UnavailableError(absl::StrCat("cannot bind ", options_.listen));
    }
    if (is_unix) port_ = 0;
    {
      std::lock_guard<std::mutex> lock(health_mutex_);
      health_ready_ = true;
      serving_ = ComputeServing();
      SetHealthLocked();
    }
    modules_->SetOnChange([this] { UpdateHealth(); });
    if (!options_.metrics_listen.empty()) {
      internal::FFIService* service = service_.get();
      absl::StatusOr<std::unique_ptr<internal::MetricsHttpServer>> metrics =
          internal::MetricsHttpServer::Start(options_.metrics_listen,
                                             [service] { return service->StatsText(); });
      if (!metrics.ok()) return metrics.status();
      metrics_ = *std::move(metrics);
    }
    return absl::OkStatus();
  }

  ~ServerImpl() override {
    if (modules_ != nullptr) modules_->SetOnChange(nullptr);  // the store may outlive this
  }

  // SERVING when not draining and every required module is loaded.
  bool ComputeServing() const {
    if (service_->draining()) return false;
    for (const std::string& name : options_.require_modules) {
      if (!modules_->IsLoaded(name)) return false;
    }
    return true;
  }

  void UpdateHealth() {
    std::lock_guard<std::mutex> lock(health_mutex_);
    if (!health_ready_) return;
    bool serving = ComputeServing();
    if (serving == serving_) return;
    serving_ = serving;
    SetHealthLocked();
    internal::log::Event(internal::log::Level::kInfo, "server.health",
                         {{"status", serving ? "SERVING" : "NOT_SERVING"}});
  }

  // The server as a whole ("") and its FFI service, by name, as serving_ says.
  void SetHealthLocked() {
    grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
    health->SetServingStatus(serving_);
    health->SetServingStatus(v1::FFI::service_full_name(), serving_);
  }

  int port() const override { return port_; }
  int data_port() const override { return dispatcher_ == nullptr ? 0 : dispatcher_->data_port(); }
  int metrics_port() const override { return metrics_ == nullptr ? 0 : metrics_->port(); }

  bool Shutdown(absl::Duration grace) override {
    std::unique_lock<std::mutex> lock(shutdown_mutex_);
    if (!shut_down_) {
      shut_down_ = true;
      // First the health service says NOT_SERVING (load balancers and probes stop sending
      // new work) while gRPC still answers. Sessions are long-lived streams: they end once
      // their calls are done (or at the deadline); then gRPC stops. gRPC's Shutdown also waits
      // for handlers stuck in a function, so it all runs on a thread of its own that nobody
      // waits for past the deadline.
      service_->StopAdmitting();
      UpdateHealth();
      auto state = shutdown_state_;
      std::thread([this, grace, state] {
        auto stop_by = std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(grace + absl::Milliseconds(500));
        service_->Drain(grace);
        server_->Shutdown(stop_by);
        std::lock_guard<std::mutex> done(state->mutex);
        state->done = true;
        state->cv.notify_all();
      }).detach();
    }
    lock.unlock();
    absl::Time deadline = absl::Now() + grace + absl::Seconds(2);
    {
      std::unique_lock<std::mutex> wait(shutdown_state_->mutex);
      if (!shutdown_state_->cv.wait_for(wait, absl::ToChronoNanoseconds(deadline - absl::Now()),
                                        [this] { return shutdown_state_->done; })) {
        return false;
      }
    }
    // Calls of closed sessions may still run on workers: the process must not exit under them
    // (static destructors would run beneath the call).
    while (NumCallsRunning() > 0) {
      if (absl::Now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  void Wait() override { server_->Wait(); }
  int num_sessions() const override { return service_->num_sessions(); }

 private:
  ServerOptions options_;
  std::shared_ptr<internal::ModuleStore> modules_;
  std::shared_ptr<internal::ServerDispatcher> dispatcher_;
  std::unique_ptr<internal::FFIService> service_;
  std::unique_ptr<internal::MetricsHttpServer> metrics_;  // after service_: destroyed first
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex shutdown_mutex_;
  bool shut_down_ = false;
  std::mutex health_mutex_;    // after ModuleStore's on-change lock, before its mutex
  bool health_ready_ = false;  // server_ is built
  bool serving_ = true;        // as last told to the health service (its default)
  struct ShutdownState {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
  };
  std::shared_ptr<ShutdownState> shutdown_state_ = std::make_shared<ShutdownState>();
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  auto server = std::make_unique<ServerImpl>(std::move(options));
  TVMFFI_RPC_RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace tvmffi::rpc
