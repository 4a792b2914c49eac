// The server's metrics, in Prometheus' text format: served on --metrics-listen (HTTP GET
// /metrics, through cpp-httplib) and by the GetStats RPC (`tvmffi stats`). Counters and
// histograms are updated on the calls' own threads with atomics; label sets (functions, error
// kinds, modules) are bounded, past which they count under "other".
#ifndef TVMFFI_SERVER_SRC_METRICS_H_
#define TVMFFI_SERVER_SRC_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc::internal {

class Metrics {
 public:
  // Labels kept per family before new ones count as "other".
  static constexpr size_t kMaxLabels = 1024;

  // A call of `function` ("" for one by handle) answered after `took`; error_kind "" on success.
  void CallDone(std::string_view function, absl::Duration took, std::string_view error_kind);
  void SessionOpened() { sessions_total_.fetch_add(1), sessions_open_.fetch_add(1); }
  void SessionClosed() { sessions_open_.fetch_sub(1); }
  void AuthRefused() { auth_refused_.fetch_add(1); }
  void SessionRefused() { sessions_refused_.fetch_add(1); }
  void MalformedFrame() { malformed_frames_.fetch_add(1); }
  void WorkerStarted(std::string_view module);
  void WorkerExited(std::string_view module);
  // A server's values read when the text is made: gauges, or counters kept elsewhere (type
  // "counter"). Samples of one name with different labels (`device="cuda"`) come one after
  // the other; the first one's help and type count.
  struct Gauge {
    std::string name, help;
    double value;
    std::string labels = "";  // `key="value",...`, without braces
    std::string type = "gauge";
  };
  // The bytes of session frames and stateless calls (gRPC message payloads).
  ByteCounters& grpc_bytes() { return grpc_bytes_; }
  // Everything, and the gauges, in Prometheus' text exposition format (version 0.0.4).
  std::string Text(const std::vector<Gauge>& gauges = {}) const;

  // The process's metrics (the server's, and its workers' starts and exits).
  static Metrics& Global();

 private:
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1,      2.5,     5,      10};
  struct Function {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> micros{0};                                   // summed duration
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last: +Inf
  };
  // The entry for label in map (made on first use; "other" once map is full).
  template <typename T>
  T& Entry(std::map<std::string, std::unique_ptr<T>, std::less<>>& map, std::string_view label);

  mutable std::mutex mutex_;  // the maps' shapes; values are atomics
  std::map<std::string, std::unique_ptr<Function>, std::less<>> functions_;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> errors_;  // fn\0kind
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> worker_starts_;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> worker_exits_;
  std::atomic<uint64_t> sessions_total_{0};
  std::atomic<int64_t> sessions_open_{0};
  std::atomic<uint64_t> sessions_refused_{0};
  std::atomic<uint64_t> auth_refused_{0};
  std::atomic<uint64_t> malformed_frames_{0};
  ByteCounters grpc_bytes_;
};

// Serves text() at http://ADDR/metrics on a thread of its own until destroyed.
class MetricsHttpServer {
 public:
  // address: host:port (port 0: a free one).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& address, std::function<std::string()> text);
  ~MetricsHttpServer();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_METRICS_H_
