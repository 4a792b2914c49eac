// Remote call costs against bare gRPC baselines in the same process and on the same transport:
// a scalar call over a session vs. a bare bidi-stream echo of a Frame, and a stateless Call vs.
// a bare unary echo, over TCP loopback and a unix socket, one caller and 8 concurrent callers.
// Each benchmark reports mean time and p50/p99 latency (us) as counters.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ratio_reporter.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/rpc/client.h"
#include "tvmffi/rpc/v1/ffi.grpc.pb.h"
#include "tvmffi/server/server.h"
#include "tvmffi/session/endpoint.h"

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
    static const std::string dir = "/tmp/tvmffi_bench_" + std::to_string(getpid());
    ::mkdir(dir.c_str(), 0700);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);  // the unix sockets
    });
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

// The latency samples of one benchmark run, from all its threads. Each thread adds its own
// after its timed loop; thread 0 waits until every thread of this run has, then reports p50 and
// p99 of the merged samples and empties the collector before the next run can start (Google
// Benchmark joins a run's threads before it starts the next), so runs never mix.
class Latencies {
 public:
  void AddAndReport(benchmark::State& state, std::vector<double> us) {
    std::unique_lock<std::mutex> lock(mutex_);
    samples_.insert(samples_.end(), us.begin(), us.end());
    ++arrived_;
    cv_.notify_all();
    if (state.thread_index() != 0) return;
    cv_.wait(lock, [&] { return arrived_ == state.threads(); });
    if (!samples_.empty()) {
      std::sort(samples_.begin(), samples_.end());
      state.counters["p50_us"] = samples_[samples_.size() / 2];
      state.counters["p99_us"] =
          samples_[std::min(samples_.size() - 1, samples_.size() * 99 / 100)];
    }
    samples_.clear();
    arrived_ = 0;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<double> samples_;
  int arrived_ = 0;
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
  lat.AddAndReport(state, std::move(us));
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
}

// All threads share one session, or (own_session) each opens its own, as the echo's threads
// each open their own stream.
void SessionCall(benchmark::State& state, bool unix_socket, bool own_session = false) {
  static Latencies lat;
  const std::string& addr = unix_socket ? Get().ffi_unix_addr : Get().ffi_tcp_addr;
  static std::mutex mutex;
  static std::optional<tvmffi::rpc::Session> shared;
  std::optional<tvmffi::rpc::Session> own;
  if (own_session) {
    own = tvmffi::rpc::Connect(addr);
  } else {
    std::lock_guard<std::mutex> lock(mutex);
    if (!shared.has_value() || shared->target() != addr) shared = tvmffi::rpc::Connect(addr);
  }
  ffi::Function f = (own_session ? own : shared)->GetGlobalRequired("bench.add_one");
  int64_t x = 0;
  Measure(state, lat, [&] { benchmark::DoNotOptimize(f(++x).cast<int64_t>()); });
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
}
void UnaryEcho(benchmark::State& state, bool unix_socket) { Unary(state, unix_socket, true); }
void StatelessCall(benchmark::State& state, bool unix_socket) { Unary(state, unix_socket, false); }

// The session engine on its own frame stream over a unix socketpair (what --isolate workers
// use): no gRPC, no HTTP/2. Both endpoints live in this process.
class GlobalsDispatcher : public tvmffi::rpc::Dispatcher {
 public:
  absl::StatusOr<ffi::Function> Resolve(std::string_view name, tvmffi::rpc::Endpoint&) override {
    if (auto f = ffi::Function::GetGlobal(name)) return *f;
    return absl::NotFoundError("no such function");
  }
};

tvmffi::rpc::Endpoint& RawSocketClient() {
  static std::shared_ptr<tvmffi::rpc::Endpoint>* client = [] {
    Get();  // registers bench.add_one
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
    static auto server = tvmffi::rpc::Endpoint::Create(tvmffi::rpc::MakeSocketFrameStream(sv[1]),
                                                       std::make_shared<GlobalsDispatcher>(), {});
    if (!server->Start().ok()) std::abort();
    auto* c = new std::shared_ptr<tvmffi::rpc::Endpoint>(
        tvmffi::rpc::Endpoint::Create(tvmffi::rpc::MakeSocketFrameStream(sv[0]), nullptr, {}));
    if (!(*c)->Start().ok()) std::abort();
    return c;
  }();
  return **client;
}

void BM_SessionCall_RawSocket(benchmark::State& state) {
  static Latencies lat;
  tvmffi::rpc::Endpoint& client = RawSocketClient();
  int64_t x = 0;
  Measure(state, lat, [&] {
    ffi::AnyView arg(++x);
    absl::StatusOr<ffi::Any> r = client.CallGlobal("bench.add_one", &arg, 1);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(r->cast<int64_t>());
  });
}

void BM_BidiEcho_Tcp(benchmark::State& s) { BidiEcho(s, false); }
void BM_SessionCall_Tcp(benchmark::State& s) { SessionCall(s, false); }
void BM_SessionPerThread_Tcp(benchmark::State& s) { SessionCall(s, false, true); }
void BM_SessionPerThread_Unix(benchmark::State& s) { SessionCall(s, true, true); }
void BM_BidiEcho_Unix(benchmark::State& s) { BidiEcho(s, true); }
void BM_SessionCall_Unix(benchmark::State& s) { SessionCall(s, true); }
void BM_UnaryEcho_Tcp(benchmark::State& s) { UnaryEcho(s, false); }
void BM_StatelessCall_Tcp(benchmark::State& s) { StatelessCall(s, false); }
void BM_UnaryEcho_Unix(benchmark::State& s) { UnaryEcho(s, true); }
void BM_StatelessCall_Unix(benchmark::State& s) { StatelessCall(s, true); }

#define TVMFFI_BENCH_RPC(name)                                               \
  BENCHMARK(name)->UseRealTime()->MinTime(tvmffi::rpc::bench::MinTime(1.0)); \
  BENCHMARK(name)->UseRealTime()->MinTime(tvmffi::rpc::bench::MinTime(1.0))->Threads(8)
TVMFFI_BENCH_RPC(BM_BidiEcho_Tcp);
TVMFFI_BENCH_RPC(BM_SessionCall_Tcp);
TVMFFI_BENCH_RPC(BM_BidiEcho_Unix);
TVMFFI_BENCH_RPC(BM_SessionCall_Unix);
BENCHMARK(BM_SessionPerThread_Tcp)
    ->UseRealTime()
    ->MinTime(tvmffi::rpc::bench::MinTime(1.0))
    ->Threads(8);
BENCHMARK(BM_SessionPerThread_Unix)
    ->UseRealTime()
    ->MinTime(tvmffi::rpc::bench::MinTime(1.0))
    ->Threads(8);
TVMFFI_BENCH_RPC(BM_UnaryEcho_Tcp);
TVMFFI_BENCH_RPC(BM_StatelessCall_Tcp);
TVMFFI_BENCH_RPC(BM_UnaryEcho_Unix);
TVMFFI_BENCH_RPC(BM_StatelessCall_Unix);
TVMFFI_BENCH_RPC(BM_SessionCall_RawSocket);

// --- Tensor transfer: a tensor argument echoed back (so each iteration moves it twice) ---

struct HostAlloc {
  void AllocData(DLTensor* t) { t->data = std::malloc(ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { std::free(t->data); }
};

constexpr int64_t kChunk = 1 << 20;

// A thread that runs `work` once per Go(): the baselines' writers live for the whole benchmark,
// as the session's own threads do, so no thread is created inside a timed loop.
class Pump {
 public:
  explicit Pump(std::function<void()> work) : work_(std::move(work)), thread_([this] { Loop(); }) {}
  ~Pump() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Go() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++requested_;
    }
    cv_.notify_all();
  }
  // Until every Go so far has run.
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_ == requested_; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || done_ < requested_; });
      if (done_ == requested_) return;  // stopping, nothing left
      lock.unlock();
      work_();
      lock.lock();
      ++done_;
      cv_.notify_all();
    }
  }

  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t requested_ = 0, done_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is set up
};

// How a tensor crosses a session between two processes of one host.
enum class Path {
  kStream,       // by value through the stream (shared memory off, as between hosts)
  kDataChannel,  // RemoteTensor copies over the data channel (shared memory off)
  kStaged,       // by value through a staging slot in shared memory (the default on one host)
  kShared,       // made by NewSharedTensor: by reference
};

// A float tensor of state.range(0) bytes through a session's echo.
void TensorEcho(benchmark::State& state, Path path) {
  ffi::Function::SetGlobal("bench.echo", ffi::Function::FromTyped([](ffi::Any x) { return x; }),
                           true);
  tvmffi::rpc::ConnectOptions options;
  options.shared_memory = path != Path::kStream;
  options.data_channel = false;
  tvmffi::rpc::Session session = tvmffi::rpc::Connect(Get().ffi_tcp_addr, options);
  bool shared = path == Path::kShared;
  if (path != Path::kStream && !session.SharesMemory()) {
    state.SkipWithError("the session does not share memory");
    return;
  }
  ffi::Function echo = session.GetGlobalRequired("bench.echo");
  int64_t bytes = state.range(0);
  ffi::Shape shape({bytes / 4});
  DLDataType f32{kDLFloat, 32, 1};
  ffi::Tensor t = shared ? tvmffi::rpc::NewSharedTensor(shape, f32)
                         : ffi::Tensor::FromNDAlloc(HostAlloc{}, shape, f32, DLDevice{kDLCPU, 0});
  std::memset(t.data_ptr(), 1, bytes);
  // One untimed round first (every tensor benchmark here does): the first round meets fresh
  // receive memory, whose page faults would otherwise be timed, and when that round alone
  // passes the minimum time it is the whole measurement.
  benchmark::DoNotOptimize(echo(t).cast<ffi::Tensor>().data_ptr());
  for (auto _ : state) {
    ffi::Tensor back = echo(t).cast<ffi::Tensor>();
    benchmark::DoNotOptimize(back.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * bytes * 2);
}
void BM_TensorEcho_Session(benchmark::State& state) { TensorEcho(state, Path::kStream); }
void BM_TensorEcho_Staged(benchmark::State& state) { TensorEcho(state, Path::kStaged); }
void BM_TensorEcho_SharedMemory(benchmark::State& state) { TensorEcho(state, Path::kShared); }

// The same bytes as 1 MiB frames through a bare gRPC bidi echo (a writer thread streams them).
void BM_TensorEcho_BareGrpcStream(benchmark::State& state) {
  auto stub = v1::FFI::NewStub(
      grpc::CreateChannel(Get().echo_tcp_addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->Session(&ctx);
  int64_t bytes = state.range(0);
  int64_t chunks = bytes / kChunk;
  v1::Frame frame;
  frame.mutable_chunk()->set_data(std::string(static_cast<size_t>(kChunk), '\1'));
  {
    Pump writer([&] {
      for (int64_t i = 0; i < chunks; ++i) stream->Write(frame);
    });
    auto round = [&] {
      writer.Go();
      v1::Frame reply;
      for (int64_t i = 0; i < chunks; ++i) stream->Read(&reply);
      writer.Wait();
    };
    round();  // untimed, as in TensorEcho
    for (auto _ : state) round();
  }
  stream->WritesDone();
  stream->Finish();
  state.SetBytesProcessed(state.iterations() * bytes * 2);
}

// A connected TCP loopback pair (client, server).
std::pair<int, int> TcpLoopbackPair() {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  ::listen(listener, 1);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int server = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  return {client, server};
}

bool WriteAll(int fd, const char* data, int64_t n) {
  for (int64_t off = 0; off < n;) {
    ssize_t w = ::write(fd, data + off, static_cast<size_t>(n - off));
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

bool ReadAll(int fd, char* data, int64_t n) {
  for (int64_t off = 0; off < n;) {
    ssize_t r = ::read(fd, data + off, static_cast<size_t>(n - off));
    if (r <= 0) return false;
    off += r;
  }
  return true;
}

// Sends state.range(0) bytes to the peer and reads as many back, per iteration, over a TCP
// loopback pair whose server end `echo(server_fd, bytes)` serves until the client shuts down.
template <typename Echo>
void TcpEchoLoop(benchmark::State& state, Echo echo) {
  auto [client, server] = TcpLoopbackPair();
  int64_t bytes = state.range(0);
  std::thread peer([&echo, server = server, bytes] { echo(server, bytes); });
  std::vector<char> out(static_cast<size_t>(bytes), 1), in(static_cast<size_t>(bytes));
  {
    Pump writer([&, client = client] { WriteAll(client, out.data(), bytes); });
    auto round = [&] {
      writer.Go();
      ReadAll(client, in.data(), bytes);
      writer.Wait();
    };
    round();  // untimed, as in TensorEcho
    for (auto _ : state) round();
  }
  ::shutdown(client, SHUT_RDWR);
  peer.join();
  ::close(client);
  ::close(server);
  state.SetBytesProcessed(state.iterations() * bytes * 2);
}

// What a call does with the bytes, over a plain TCP loopback socket: send them all, the peer
// receives them all into its buffer and sends them all back (no pipelining across the turn).
void BM_TensorEcho_PlainTcpRoundTrip(benchmark::State& state) {
  TcpEchoLoop(state, [](int fd, int64_t bytes) {
    std::vector<char> buf(static_cast<size_t>(bytes));
    while (ReadAll(fd, buf.data(), bytes) && WriteAll(fd, buf.data(), bytes)) {
    }
  });
}

// The same bytes through a plain TCP loopback socket and an echoing thread (full duplex: the
// echo starts sending before the last byte has arrived).
void BM_TensorEcho_PlainTcp(benchmark::State& state) {
  TcpEchoLoop(state, [](int fd, int64_t) {
    std::vector<char> buf(static_cast<size_t>(kChunk));
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) {
      if (!WriteAll(fd, buf.data(), n)) return;
    }
  });
}

// --- Remote tensors (issue #11): tensors that stay on the server ---

// A call whose argument is a 1 MiB tensor living on the server: no bytes move, so it should
// cost what a scalar call costs (BM_SessionCall_Tcp).
void BM_RemoteTensorCall_Tcp(benchmark::State& state) {
  ffi::Function::SetGlobal("bench.numel",
                           ffi::Function::FromTyped([](ffi::Tensor t) { return t.numel(); }), true);
  tvmffi::rpc::Session session = tvmffi::rpc::Connect(Get().ffi_tcp_addr);
  tvmffi::rpc::RemoteTensor t =
      session.Empty(ffi::Shape({1 << 20}), DLDataType{kDLUInt, 8, 1}, DLDevice{kDLCPU, 0});
  ffi::Function numel = session.GetGlobalRequired("bench.numel");
  static Latencies lat;
  Measure(state, lat, [&] { benchmark::DoNotOptimize(numel(t).cast<int64_t>()); });
}
BENCHMARK(BM_RemoteTensorCall_Tcp)->UseRealTime()->MinTime(tvmffi::rpc::bench::MinTime(1.0));

// CopyFrom then ToHost of state.range(0) bytes: the bytes go to the server's device memory and
// come back (compare with the plain TCP round trip of the same bytes), through the stream,
// over the data channel (as between hosts) or, on one host, through staging slots.
// With into, the bytes come back by CopyTo into one host tensor made before the loop (as the
// TCP baseline reuses its buffers) instead of ToHost's new tensor.
void RemoteTensorCopyRoundTrip(benchmark::State& state, Path path, bool into = false) {
  tvmffi::rpc::ConnectOptions options;
  options.shared_memory = path == Path::kStaged;
  options.data_channel = path == Path::kDataChannel;
  tvmffi::rpc::Session session = tvmffi::rpc::Connect(Get().ffi_tcp_addr, options);
  if (path == Path::kStaged && !session.SharesMemory()) {
    state.SkipWithError("the session does not share memory");
    return;
  }
  int64_t bytes = state.range(0);
  DLDataType u8{kDLUInt, 8, 1};
  tvmffi::rpc::RemoteTensor t = session.Empty(ffi::Shape({bytes}), u8, DLDevice{kDLCPU, 0});
  ffi::Tensor host =
      ffi::Tensor::FromNDAlloc(HostAlloc{}, ffi::Shape({bytes}), u8, DLDevice{kDLCPU, 0});
  std::memset(host.data_ptr(), 1, static_cast<size_t>(bytes));
  // One untimed copy each way first, as in TensorEcho: the server's tensor and the client's
  // receive block start as fresh memory (a page fault per 4 KiB on first touch).
  t.CopyFrom(host);
  ffi::Tensor dest = t.ToHost();  // CopyTo's destination (else released here)
  if (!into) dest = ffi::Tensor();
  for (auto _ : state) {
    t.CopyFrom(host);
    if (into) {
      t.CopyTo(dest);
      benchmark::DoNotOptimize(dest.data_ptr());
    } else {
      ffi::Tensor back = t.ToHost();
      benchmark::DoNotOptimize(back.data_ptr());
    }
  }
  if (path == Path::kDataChannel && !session.UsesDataChannel()) {
    state.SkipWithError("the session did not open the data channel");
  }
  state.SetBytesProcessed(state.iterations() * bytes * 2);
}
void BM_RemoteTensorCopyRoundTrip(benchmark::State& state) {
  RemoteTensorCopyRoundTrip(state, Path::kStream);
}
void BM_RemoteTensorCopyRoundTrip_DataChannel(benchmark::State& state) {
  RemoteTensorCopyRoundTrip(state, Path::kDataChannel);
}
void BM_RemoteTensorCopyRoundTrip_Staged(benchmark::State& state) {
  RemoteTensorCopyRoundTrip(state, Path::kStaged);
}
void BM_RemoteTensorCopyIntoRoundTrip_DataChannel(benchmark::State& state) {
  RemoteTensorCopyRoundTrip(state, Path::kDataChannel, /*into=*/true);
}

// TimeEvaluator's figure for a no-op against the same calls timed in this process: the
// overhead of the timer itself (the benchmark's time is what TimeEvaluator reports).
void BM_TimeEvaluatorNoop(benchmark::State& state) {
  ffi::Function::SetGlobal("bench.noop", ffi::Function::FromTyped([]() {}), true);
  tvmffi::rpc::Session session = tvmffi::rpc::Connect(Get().ffi_tcp_addr);
  tvmffi::rpc::TimeEvaluatorOptions options;
  options.number = 100000;
  options.repeat = 1;
  ffi::Function timer =
      session.TimeEvaluator(session.GetGlobalRequired("bench.noop"), DLDevice{kDLCPU, 0}, options);
  for (auto _ : state) {
    auto seconds = timer().cast<ffi::Array<double>>();
    state.SetIterationTime(seconds[0]);
  }
}
BENCHMARK(BM_TimeEvaluatorNoop)->UseManualTime()->Iterations(20);

void BM_LocalNoopLoop(benchmark::State& state) {
  ffi::Function::SetGlobal("bench.noop", ffi::Function::FromTyped([]() {}), true);
  ffi::Function noop = ffi::Function::GetGlobalRequired("bench.noop");
  for (auto _ : state) noop();
}
BENCHMARK(BM_LocalNoopLoop);

#define TVMFFI_BENCH_TENSOR(name)                                       \
  BENCHMARK(name)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime()->MinTime( \
      tvmffi::rpc::bench::MinTime(0.5))
TVMFFI_BENCH_TENSOR(BM_TensorEcho_Session);
TVMFFI_BENCH_TENSOR(BM_TensorEcho_Staged);
TVMFFI_BENCH_TENSOR(BM_TensorEcho_SharedMemory);
TVMFFI_BENCH_TENSOR(BM_TensorEcho_BareGrpcStream);
TVMFFI_BENCH_TENSOR(BM_TensorEcho_PlainTcp);
TVMFFI_BENCH_TENSOR(BM_TensorEcho_PlainTcpRoundTrip);
TVMFFI_BENCH_TENSOR(BM_RemoteTensorCopyRoundTrip);
TVMFFI_BENCH_TENSOR(BM_RemoteTensorCopyRoundTrip_DataChannel);
TVMFFI_BENCH_TENSOR(BM_RemoteTensorCopyRoundTrip_Staged);
TVMFFI_BENCH_TENSOR(BM_RemoteTensorCopyIntoRoundTrip_DataChannel);

}  // namespace

int main(int argc, char** argv) {
  setenv("GRPC_VERBOSITY", "ERROR", 0);
  return tvmffi::rpc::bench::RunWithRatios(
      argc, argv,
      {{"BM_SessionCall_Tcp/real_time", "BM_BidiEcho_Tcp/real_time"},
       {"BM_SessionCall_Unix/real_time", "BM_BidiEcho_Unix/real_time"},
       {"BM_StatelessCall_Tcp/real_time", "BM_UnaryEcho_Tcp/real_time"},
       {"BM_StatelessCall_Unix/real_time", "BM_UnaryEcho_Unix/real_time"},
       {"BM_SessionCall_Tcp/real_time", "BM_StatelessCall_Tcp/real_time"},
       {"BM_SessionCall_Tcp/real_time/threads:8", "BM_BidiEcho_Tcp/real_time/threads:8"},
       {"BM_SessionCall_Unix/real_time/threads:8", "BM_BidiEcho_Unix/real_time/threads:8"},
       {"BM_SessionPerThread_Tcp/real_time/threads:8", "BM_BidiEcho_Tcp/real_time/threads:8"},
       {"BM_SessionPerThread_Unix/real_time/threads:8", "BM_BidiEcho_Unix/real_time/threads:8"},
       {"BM_StatelessCall_Tcp/real_time/threads:8", "BM_UnaryEcho_Tcp/real_time/threads:8"},
       {"BM_SessionCall_RawSocket/real_time", "BM_BidiEcho_Unix/real_time"},
       {"BM_SessionCall_RawSocket/real_time/threads:8", "BM_BidiEcho_Unix/real_time/threads:8"},
       {"BM_TensorEcho_Session/1048576/real_time",
        "BM_TensorEcho_BareGrpcStream/1048576/real_time"},
       {"BM_TensorEcho_Session/1048576/real_time", "BM_TensorEcho_PlainTcp/1048576/real_time"},
       {"BM_TensorEcho_Session/67108864/real_time",
        "BM_TensorEcho_BareGrpcStream/67108864/real_time"},
       {"BM_TensorEcho_Session/67108864/real_time", "BM_TensorEcho_PlainTcp/67108864/real_time"},
       {"BM_TensorEcho_Session/1048576/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/1048576/real_time"},
       {"BM_TensorEcho_Session/67108864/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/67108864/real_time"},
       {"BM_TensorEcho_SharedMemory/1048576/real_time", "BM_TensorEcho_Session/1048576/real_time"},
       {"BM_TensorEcho_SharedMemory/67108864/real_time",
        "BM_TensorEcho_Session/67108864/real_time"},
       {"BM_TensorEcho_SharedMemory/1048576/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/1048576/real_time"},
       {"BM_TensorEcho_SharedMemory/67108864/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/67108864/real_time"},
       {"BM_TensorEcho_Staged/1048576/real_time", "BM_TensorEcho_Session/1048576/real_time"},
       {"BM_TensorEcho_Staged/67108864/real_time", "BM_TensorEcho_Session/67108864/real_time"},
       {"BM_TensorEcho_Staged/1048576/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/1048576/real_time"},
       {"BM_TensorEcho_Staged/67108864/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/67108864/real_time"},
       {"BM_RemoteTensorCall_Tcp/real_time", "BM_SessionCall_Tcp/real_time"},
       {"BM_RemoteTensorCopyRoundTrip_Staged/1048576/real_time",
        "BM_RemoteTensorCopyRoundTrip/1048576/real_time"},
       {"BM_RemoteTensorCopyRoundTrip_Staged/67108864/real_time",
        "BM_RemoteTensorCopyRoundTrip/67108864/real_time"},
       {"BM_RemoteTensorCopyRoundTrip/1048576/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/1048576/real_time"},
       {"BM_RemoteTensorCopyRoundTrip/67108864/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/67108864/real_time"},
       {"BM_RemoteTensorCopyRoundTrip_DataChannel/1048576/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/1048576/real_time"},
       {"BM_RemoteTensorCopyRoundTrip_DataChannel/67108864/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/67108864/real_time"},
       {"BM_RemoteTensorCopyIntoRoundTrip_DataChannel/1048576/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/1048576/real_time"},
       {"BM_RemoteTensorCopyIntoRoundTrip_DataChannel/67108864/real_time",
        "BM_TensorEcho_PlainTcpRoundTrip/67108864/real_time"},
       {"BM_TimeEvaluatorNoop/iterations:20/manual_time", "BM_LocalNoopLoop"}});
}
