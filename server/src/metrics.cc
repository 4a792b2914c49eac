#include "metrics.h"

#include <httplib.h>

#include <cmath>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {
namespace {

// A label value as Prometheus reads it: backslash, quote and newline escaped.
std::string Escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return absl::StrCat(v);
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

Metrics& Metrics::Global() {
  static Metrics* metrics = new Metrics();  // never destroyed: calls may end during exit
  return *metrics;
}

template <typename T>
T& Metrics::Entry(std::map<std::string, std::unique_ptr<T>, std::less<>>& map,
                  std::string_view label) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map.find(label);
  if (it != map.end()) return *it->second;
  if (map.size() >= kMaxLabels) label = "other";
  auto& slot = map[std::string(label)];
  if (slot == nullptr) slot = std::make_unique<T>();
  return *slot;
}

void Metrics::CallDone(std::string_view function, absl::Duration took,
                       std::string_view error_kind) {
  if (function.empty()) function = "(by handle)";
  Function& f = Entry(functions_, function);
  double seconds = absl::ToDoubleSeconds(took);
  f.calls.fetch_add(1, std::memory_order_relaxed);
  f.micros.fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Microseconds(took))),
                     std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  f.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  if (!error_kind.empty()) {
    std::string key =
        absl::StrCat(absl::string_view(function.data(), function.size()), std::string(1, '\0'),
                     absl::string_view(error_kind.data(), error_kind.size()));
    Entry(errors_, key).fetch_add(1, std::memory_order_relaxed);
  }
}

void Metrics::WorkerStarted(std::string_view module) {
  Entry(worker_starts_, module).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::WorkerExited(std::string_view module) {
  Entry(worker_exits_, module).fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Text(const std::vector<Gauge>& gauges) const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Header(&out, "tvmffi_calls_total", "counter", "Calls the server answered, by function.");
    for (const auto& [name, f] : functions_) {
      absl::StrAppend(&out, "tvmffi_calls_total{function=\"", Escaped(name), "\"} ",
                      f->calls.load(), "\n");
    }
    Header(&out, "tvmffi_call_errors_total", "counter",
           "Calls that failed, by function and error kind.");
    for (const auto& [key, n] : errors_) {
      size_t split = key.find('\0');
      absl::StrAppend(&out, "tvmffi_call_errors_total{function=\"",
                      Escaped(std::string_view(key).substr(0, split)), "\",kind=\"",
                      Escaped(std::string_view(key).substr(split + 1)), "\"} ", n->load(), "\n");
    }
    Header(&out, "tvmffi_call_duration_seconds", "histogram",
           "Time from a call's start to its answer, by function.");
    for (const auto& [name, f] : functions_) {
      uint64_t cumulative = 0;
      std::string label = Escaped(name);
      for (size_t i = 0; i <= kBuckets.size(); ++i) {
        cumulative += f->buckets[i].load();
        absl::StrAppend(&out, "tvmffi_call_duration_seconds_bucket{function=\"", label, "\",le=\"",
                        i < kBuckets.size() ? Number(kBuckets[i]) : std::string("+Inf"), "\"} ",
                        cumulative, "\n");
      }
      absl::StrAppend(&out, "tvmffi_call_duration_seconds_sum{function=\"", label, "\"} ",
                      Number(static_cast<double>(f->micros.load()) / 1e6), "\n");
      absl::StrAppend(&out, "tvmffi_call_duration_seconds_count{function=\"", label, "\"} ",
                      f->calls.load(), "\n");
    }
    Header(&out, "tvmffi_worker_starts_total", "counter",
           "Worker processes started for --isolate modules (the first and each restart).");
    for (const auto& [module, n] : worker_starts_) {
      absl::StrAppend(&out, "tvmffi_worker_starts_total{module=\"", Escaped(module), "\"} ",
                      n->load(), "\n");
    }
    Header(&out, "tvmffi_worker_exits_total", "counter",
           "Worker processes that ended (crashed, killed at --worker-timeout, or stopped).");
    for (const auto& [module, n] : worker_exits_) {
      absl::StrAppend(&out, "tvmffi_worker_exits_total{module=\"", Escaped(module), "\"} ",
                      n->load(), "\n");
    }
  }
  Header(&out, "tvmffi_sessions_open", "gauge", "Session streams open now.");
  absl::StrAppend(&out, "tvmffi_sessions_open ", sessions_open_.load(), "\n");
  Header(&out, "tvmffi_sessions_total", "counter", "Session streams opened.");
  absl::StrAppend(&out, "tvmffi_sessions_total ", sessions_total_.load(), "\n");
  Header(&out, "tvmffi_sessions_refused_total", "counter",
         "Sessions refused by --max-sessions or --max-sessions-per-peer.");
  absl::StrAppend(&out, "tvmffi_sessions_refused_total ", sessions_refused_.load(), "\n");
  Header(&out, "tvmffi_auth_refused_total", "counter",
         "RPCs refused for a missing or wrong token.");
  absl::StrAppend(&out, "tvmffi_auth_refused_total ", auth_refused_.load(), "\n");
  Header(&out, "tvmffi_malformed_frames_total", "counter",
         "Session frames and stateless requests that did not parse.");
  absl::StrAppend(&out, "tvmffi_malformed_frames_total ", malformed_frames_.load(), "\n");
  const std::string* last = nullptr;
  for (const Gauge& g : gauges) {
    if (last == nullptr || *last != g.name) {
      Header(&out, g.name.c_str(), g.type.c_str(), g.help.c_str());
    }
    last = &g.name;
    absl::StrAppend(&out, g.name, g.labels.empty() ? "" : "{", g.labels,
                    g.labels.empty() ? "" : "}", " ", Number(g.value), "\n");
  }
  return out;
}

struct MetricsHttpServer::Impl {
  httplib::Server http;
  std::thread thread;
};

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, std::function<std::string()> text) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen takes HOST:PORT, not '", address, "'"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto server = std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer());
  server->impl_ = std::make_unique<Impl>();
  httplib::Server& http = server->impl_->http;
  http.Get("/metrics", [text = std::move(text)](const httplib::Request&, httplib::Response& res) {
    res.set_content(text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  int bound = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, " for metrics"));
  }
  server->port_ = bound;
  server->impl_->thread =
      std::thread([impl = server->impl_.get()] { impl->http.listen_after_bind(); });
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (impl_ != nullptr) {
    impl_->http.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
  }
}

}  // namespace tvmffi::rpc::internal
