// Remote call costs against bare gRPC baselines in the same process and on the same transport:
// a scalar call over a session vs. a bare bidi-stream echo of a Frame, and a stateless Call vs.
// a bare unary echo, over TCP loopback and a unix socket, one caller and 8 concurrent callers.
// Each benchmark reports mean time and p50/p99 latency (us) as counters.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ratio_reporter.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"
#include "tvmffi/server/server.h"

namespace ffi = tvm::ffi;
namespace v1 = tvmffi::rpc::v1;

namespace {

// The baseline server: the same service, but every RPC just echoes its input.
class EchoService final : public v1::FFI::Service {
 public:
  grpc::Status Session(grpc::ServerContext*,
                       grpc::ServerReaderWriter<v1::Frame, v1::Frame>* stream) override {
    v1::Frame frame;
    while (stream->Read(&frame)) {
      if (!stream->Write(frame)) break;
    }
    return grpc::Status::OK;
  }
  grpc::Status Call(grpc::ServerContext*, const v1::CallRequest* request,
                    v1::CallResponse* response) override {
    if (request->args_size() > 0) *response->mutable_value() = request->args(0);
    return grpc::Status::OK;
  }
};

struct Servers {
  std::unique_ptr<grpc::Server> echo_tcp, echo_unix;
  std::unique_ptr<tvmffi::rpc::Server> ffi_tcp, ffi_unix;
  std::string echo_tcp_addr, echo_unix_addr, ffi_tcp_addr, ffi_unix_addr;
  EchoService echo_service;
};

Servers& Get() {
  static Servers* s = [] {
    auto* s = new Servers();
    ffi::Function::SetGlobal("bench.add_one",
                             ffi::Function::FromTyped([](int64_t x) { return x + 1; }), true);
    std::string dir = "/tmp/tvmffi_bench_" + std::to_string(getpid());
    ::mkdir(dir.c_str(), 0700);
    for (bool unix_socket : {false, true}) {
      grpc::ServerBuilder builder;
      int port = 0;
      std::string addr = unix_socket ? "unix:" + dir + "/echo.sock" : "127.0.0.1:0";
      builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &port);
      builder.RegisterService(&s->echo_service);
      auto server = builder.BuildAndStart();
      if (unix_socket) {
        s->echo_unix = std::move(server);
        s->echo_unix_addr = addr;
      } else {
        s->echo_tcp = std::move(server);
        s->echo_tcp_addr = "127.0.0.1:" + std::to_string(port);
      }
      tvmffi::rpc::ServerOptions options;
      options.listen = unix_socket ? "unix:" + dir + "/ffi.sock" : "127.0.0.1:0";
      auto ffi_server = tvmffi::rpc::Server::Start(options);
      if (!ffi_server.ok()) std::abort();
      if (unix_socket) {
        s->ffi_unix_addr = options.listen;
        s->ffi_unix = std::move(*ffi_server);
      } else {
        s->ffi_tcp_addr = "127.0.0.1:" + std::to_string((*ffi_server)->port());
        s->ffi_tcp = std::move(*ffi_server);
      }
    }
    return s;
  }();
  return *s;
}

// Latency samples of all threads of one benchmark run; p50/p99 reported by thread 0.
class Latencies {
 public:
  void Add(const std::vector<double>& us) {
    std::lock_guard<std::mutex> lock(mutex_);
    samples_.insert(samples_.end(), us.begin(), us.end());
  }
  void Report(benchmark::State& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    state.counters["p50_us"] = samples_[samples_.size() / 2];
    state.counters["p99_us"] = samples_[std::min(samples_.size() - 1, samples_.size() * 99 / 100)];
    samples_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<double> samples_;
};

template <typename F>
void Measure(benchmark::State& state, Latencies& lat, F&& call) {
  std::vector<double> us;
  us.reserve(1 << 16);
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  lat.Add(us);
}

v1::Value IntValue(int64_t x) {
  v1::Value v;
  v.set_int_value(x);
  return v;
}

void BidiEcho(benchmark::State& state, bool unix_socket) {
  static Latencies lat;
  const std::string& addr = unix_socket ? Get().echo_unix_addr : Get().echo_tcp_addr;
  auto stub = v1::FFI::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->Session(&ctx);
  v1::Frame frame, reply;
  v1::Call* call = frame.mutable_call();
  call->set_global_name("bench.add_one");
  *call->add_args() = IntValue(1);
  int64_t id = 0;
  Measure(state, lat, [&] {
    call->set_id(++id);
    stream->Write(frame);
    stream->Read(&reply);
  });
  stream->WritesDone();
  stream->Finish();
  if (state.thread_index() == 0) lat.Report(state);
}

void SessionCall(benchmark::State& state, bool unix_socket) {
  static Latencies lat;
  const std::string& addr = unix_socket ? Get().ffi_unix_addr : Get().ffi_tcp_addr;
  static std::mutex mutex;
  static std::optional<tvmffi::rpc::Session> shared;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!shared.has_value() || shared->target() != addr) shared = tvmffi::rpc::Connect(addr);
  }
  ffi::Function f = shared->GetGlobalRequired("bench.add_one");
  int64_t x = 0;
  Measure(state, lat, [&] { benchmark::DoNotOptimize(f(++x).cast<int64_t>()); });
  if (state.thread_index() == 0) lat.Report(state);
}

// A unary Call of bench.add_one: against the echo server (baseline) or tvmffi-server.
void Unary(benchmark::State& state, bool unix_socket, bool echo) {
  static Latencies echo_lat, ffi_lat;
  Latencies& lat = echo ? echo_lat : ffi_lat;
  const std::string& addr = echo ? (unix_socket ? Get().echo_unix_addr : Get().echo_tcp_addr)
                                 : (unix_socket ? Get().ffi_unix_addr : Get().ffi_tcp_addr);
  auto stub = v1::FFI::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  v1::CallRequest request;
  request.set_name("bench.add_one");
  *request.add_args() = IntValue(1);
  Measure(state, lat, [&] {
    grpc::ClientContext ctx;
    v1::CallResponse response;
    stub->Call(&ctx, request, &response);
    if (!response.has_value()) std::abort();
  });
  if (state.thread_index() == 0) lat.Report(state);
}
void UnaryEcho(benchmark::State& state, bool unix_socket) { Unary(state, unix_socket, true); }
void StatelessCall(benchmark::State& state, bool unix_socket) { Unary(state, unix_socket, false); }

void BM_BidiEcho_Tcp(benchmark::State& s) { BidiEcho(s, false); }
void BM_SessionCall_Tcp(benchmark::State& s) { SessionCall(s, false); }
void BM_BidiEcho_Unix(benchmark::State& s) { BidiEcho(s, true); }
void BM_SessionCall_Unix(benchmark::State& s) { SessionCall(s, true); }
void BM_UnaryEcho_Tcp(benchmark::State& s) { UnaryEcho(s, false); }
void BM_StatelessCall_Tcp(benchmark::State& s) { StatelessCall(s, false); }
void BM_UnaryEcho_Unix(benchmark::State& s) { UnaryEcho(s, true); }
void BM_StatelessCall_Unix(benchmark::State& s) { StatelessCall(s, true); }

#define TVMFFI_BENCH_RPC(name)                  \
  BENCHMARK(name)->UseRealTime()->MinTime(1.0); \
  BENCHMARK(name)->UseRealTime()->MinTime(1.0)->Threads(8)
TVMFFI_BENCH_RPC(BM_BidiEcho_Tcp);
TVMFFI_BENCH_RPC(BM_SessionCall_Tcp);
TVMFFI_BENCH_RPC(BM_BidiEcho_Unix);
TVMFFI_BENCH_RPC(BM_SessionCall_Unix);
TVMFFI_BENCH_RPC(BM_UnaryEcho_Tcp);
TVMFFI_BENCH_RPC(BM_StatelessCall_Tcp);
TVMFFI_BENCH_RPC(BM_UnaryEcho_Unix);
TVMFFI_BENCH_RPC(BM_StatelessCall_Unix);

}  // namespace

int main(int argc, char** argv) {
  setenv("GRPC_VERBOSITY", "ERROR", 0);
  return tvmffi::rpc::bench::RunWithRatios(
      argc, argv,
      {{"BM_SessionCall_Tcp/min_time:1.000/real_time", "BM_BidiEcho_Tcp/min_time:1.000/real_time"},
       {"BM_SessionCall_Unix/min_time:1.000/real_time",
        "BM_BidiEcho_Unix/min_time:1.000/real_time"},
       {"BM_StatelessCall_Tcp/min_time:1.000/real_time",
        "BM_UnaryEcho_Tcp/min_time:1.000/real_time"},
       {"BM_StatelessCall_Unix/min_time:1.000/real_time",
        "BM_UnaryEcho_Unix/min_time:1.000/real_time"},
       {"BM_SessionCall_Tcp/min_time:1.000/real_time",
        "BM_StatelessCall_Tcp/min_time:1.000/real_time"},
       {"BM_SessionCall_Tcp/min_time:1.000/real_time/threads:8",
        "BM_BidiEcho_Tcp/min_time:1.000/real_time/threads:8"},
       {"BM_SessionCall_Unix/min_time:1.000/real_time/threads:8",
        "BM_BidiEcho_Unix/min_time:1.000/real_time/threads:8"},
       {"BM_StatelessCall_Tcp/min_time:1.000/real_time/threads:8",
        "BM_UnaryEcho_Tcp/min_time:1.000/real_time/threads:8"}});
}
