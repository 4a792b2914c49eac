// The FFI gRPC service: Session streams run the session engine; Call, ListFunctions and
// GetServerInfo are stateless. Every RPC checks the bearer token first when one is set.
#ifndef TVMFFI_SERVER_SRC_SERVICE_H_
#define TVMFFI_SERVER_SRC_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "dispatcher.h"
#include "tvmffi/grpc/grpc_stream.h"
#include "tvmffi/server/server.h"

namespace tvmffi::rpc::internal {

class FFIService final : public v1::FFI::Service {
 public:
  FFIService(const ServerOptions& options, std::shared_ptr<ServerDispatcher> dispatcher,
             std::shared_ptr<ModuleStore> modules);
  ~FFIService() override;

  // Serves the Session method over byte buffers (installed in the constructor).
  grpc::Status RawSession(grpc::ServerContext* context, RawSessionReaderWriter* stream);
  // Serves the Call method over byte buffers (installed in the constructor), parsing the
  // request itself; Call below does the work.
  grpc::Status RawCall(grpc::ServerContext* context,
                       grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>* streamer);
  grpc::Status Call(grpc::ServerContext* context, const v1::CallRequest* request,
                    v1::CallResponse* response) override;
  grpc::Status ListFunctions(grpc::ServerContext* context, const v1::ListFunctionsRequest* request,
                             v1::ListFunctionsResponse* response) override;
  grpc::Status GetServerInfo(grpc::ServerContext* context, const v1::GetServerInfoRequest* request,
                             v1::ServerInfo* response) override;
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::Stats* response) override;
  // The metrics (metrics.h) with this server's gauges, as Prometheus text.
  std::string StatsText() const;

  // New sessions are refused from now on (stateless calls are still served).
  void StopAdmitting() { draining_.store(true); }
  bool draining() const { return draining_.load(); }
  // Stops admitting, then ends idle sessions now and busy ones once their calls finish (or
  // grace runs out).
  void Drain(absl::Duration grace);
  int num_sessions() const { return num_sessions_.load(); }
  void FillServerInfo(v1::ServerInfo* info) const;

 private:
  // OK when the RPC carries the token (or none is required); else UNAUTHENTICATED, logged
  // (throttled) and counted.
  grpc::Status Authorize(grpc::ServerContext* context) const;
  // Takes a session slot for peer (its address without the port); the error says which bound.
  grpc::Status AdmitSession(const std::string& peer);
  void ReleaseSession(const std::string& peer);
  // Closes sessions idle past --session-idle-timeout, until the service is destroyed.
  void ReapIdleSessions();

  const ServerOptions& options_;
  std::shared_ptr<ServerDispatcher> dispatcher_;
  std::shared_ptr<ModuleStore> modules_;
  std::atomic<int> num_sessions_{0};
  std::atomic<bool> draining_{false};
  mutable std::mutex sessions_mutex_;
  std::set<std::shared_ptr<Endpoint>> sessions_;
  std::map<std::string, int> sessions_per_peer_;  // under sessions_mutex_
  std::mutex reaper_mutex_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;  // under reaper_mutex_
  std::thread reaper_;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_SERVICE_H_
