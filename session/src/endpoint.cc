// The session engine: outgoing calls, incoming calls on workers, handles and proxies.
#include "tvmffi/session/endpoint.h"

#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/module.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bus_guard.h"
#include "executor.h"
#include "handle_table.h"
#include "pending_calls.h"
#include "proxy.h"
#include "served_call.h"
#include "session_streams.h"
#include "staging.h"
#include "tvmffi/device/device_tensor.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/data_channel.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc {
namespace ffi = tvm::ffi;

namespace {
constexpr uint32_t kProtocolVersion = 1;
// Tensors larger than this travel in chunk frames after the frame that carries them.
constexpr uint64_t kChunkThreshold = 1 << 20;
constexpr uint64_t kChunkBytes = 1 << 20;

// What the frame this thread is encoding needs: where large tensors' bytes are deferred (null:
// none may be), and whether it answers a session operation ("$..."), whose tensor results go
// as they are whatever the peer asked of function results (SetKeepAllTensors).
// The staging slots (same host) the frame being encoded lends the peer: taken back unless the
// frame is sent.
class Leases {
 public:
  Leases() = default;
  ~Leases() { Reclaim(); }
  Leases(const Leases&) = delete;
  Leases& operator=(const Leases&) = delete;
  void Add(internal::StagingLease lease, uint64_t bytes) {
    leases_.push_back(std::move(lease));
    bytes_ += bytes;
  }
  void Reclaim() {
    for (const internal::StagingLease& lease : leases_) internal::StagingArea::Reclaim(lease);
    Sent();
  }
  void Sent() {  // the peer has them now: it hands each back once it has copied it
    leases_.clear();
    bytes_ = 0;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  std::vector<internal::StagingLease> leases_;
  uint64_t bytes_ = 0;
};

struct EncodeContext {
  std::vector<Endpoint::DeferredTensor>* deferred = nullptr;
  Leases* leases = nullptr;
  bool session_op_result = false;
  bool by_value = false;  // SendResultByValue: no tensor stays here
};
thread_local EncodeContext t_encode;
// The function being served on this thread called SendResultByValue.
thread_local bool t_result_by_value = false;
// The arguments being decoded go to a function that reads them once (Dispatcher::ReadsArgsOnce).
thread_local bool t_args_read_once = false;

// Sets t_encode for the encoding of one frame.
class EncodeScope {
 public:
  EncodeScope(std::vector<Endpoint::DeferredTensor>* deferred, Leases* leases,
              bool session_op_result = false, bool by_value = false)
      : saved_(t_encode) {
    t_encode = EncodeContext{deferred, leases, session_op_result, by_value};
  }
  ~EncodeScope() { t_encode = saved_; }
  EncodeScope(const EncodeScope&) = delete;
  EncodeScope& operator=(const EncodeScope&) = delete;

 private:
  EncodeContext saved_;
};

std::string FfiVersion() {
  TVMFFIVersion v;
  TVMFFIGetVersion(&v);
  return absl::StrCat(v.major, ".", v.minor, ".", v.patch);
}

void FillError(const ffi::Error& err, v1::Error* out) { EncodeServedError(err, out); }

absl::Status BrokenRegionError(const SharedRegion& region) {
  return ValueError(absl::StrCat(
      "shared memory ", region.name(),
      " was truncated by another process while this side used it (its bytes now read as zeros)"));
}

// After a call: a shared-memory argument whose region was truncated meanwhile (the fault was
// contained, the function saw zeros) makes the call's result meaningless.
absl::Status CheckSharedArgs(const std::vector<ffi::Any>& args) {
  if (internal::NumContainedFaults() == 0) return absl::OkStatus();
  for (const ffi::Any& arg : args) {
    if (arg.type_index() != kTVMFFITensor) continue;
    ffi::Tensor t = arg.cast<ffi::Tensor>();
    std::shared_ptr<SharedRegion> region = SharedRegion::Find(t.data_ptr(), t.GetDataSize());
    if (region != nullptr && region->broken()) return BrokenRegionError(*region);
  }
  return absl::OkStatus();
}

void FillError(const absl::Status& status, v1::Error* out) {
  out->set_kind(ErrorKindOf(status));
  out->set_message(std::string(status.message()));
}
}  // namespace

std::shared_ptr<Endpoint> Endpoint::Create(std::unique_ptr<FrameStream> stream,
                                           std::shared_ptr<Dispatcher> dispatcher,
                                           EndpointOptions options) {
  return std::shared_ptr<Endpoint>(
      new Endpoint(std::move(stream), std::move(dispatcher), std::move(options)));
}

Endpoint::Endpoint(std::unique_ptr<FrameStream> stream, std::shared_ptr<Dispatcher> dispatcher,
                   EndpointOptions options)
    : stream_(std::move(stream)),
      dispatcher_(std::move(dispatcher)),
      options_(std::move(options)),
      exports_(std::make_unique<internal::HandleTable>(options_.max_handles)),
      pending_(std::make_unique<internal::PendingCalls>()),
      proxies_(std::make_unique<internal::ProxyTable>()),
      staging_(std::make_unique<internal::StagingArea>()),
      streams_(options_.session_streams ? std::make_unique<internal::SessionStreams>() : nullptr) {
  max_frame_bytes_.store(options_.max_frame_bytes);
  last_received_ns_.store(absl::GetCurrentTimeNanos());
  internal::ServedCall::InstallSignalCheck();
}

namespace {
// The endpoint's own threads may be the ones destroying it (they hold a reference while they
// run): such a thread is detached, any other joined.
void JoinUnlessSelf(std::thread& thread) {
  if (!thread.joinable()) return;
  if (thread.get_id() == std::this_thread::get_id()) {
    thread.detach();
  } else {
    thread.join();
  }
}
}  // namespace

Endpoint::~Endpoint() {
  Shutdown(ConnectionError("session closed"));
  JoinUnlessSelf(heartbeat_);
  JoinUnlessSelf(reader_);
}

absl::Status Endpoint::SendHello() {
  v1::Frame frame;
  v1::Hello* hello = frame.mutable_hello();
  hello->set_protocol_version(kProtocolVersion);
  hello->set_ffi_version(FfiVersion());
  hello->set_peer_name(options_.local_name);
  if (options_.shared_memory) hello->set_shm_host(SharedMemoryHostId());
  if (options_.shared_memory && options_.import_cuda_ipc && device::CudaStatus().ok()) {
    hello->set_cuda_ipc(true);
  }
  hello->set_max_calls_in_flight(static_cast<uint32_t>(std::max(1, options_.max_calls_in_flight)));
  hello->set_max_bytes_in_flight(options_.max_bytes_in_flight);
  return Write(frame);
}

absl::Status Endpoint::Start() {
  // The reader holds only a weak reference until it runs; it starts before Hello so that a
  // stream the peer refused (e.g. a bad token) is read and its reason kept for the first call.
  std::weak_ptr<Endpoint> weak = weak_from_this();
  reader_ = std::thread([weak] {
    if (auto self = weak.lock()) self->ReadLoop();
  });
  (void)SendHello();  // a failed write shows up as the reader's verdict
  if (options_.heartbeat != absl::InfiniteDuration()) {
    heartbeat_ = std::thread([weak, interval = options_.heartbeat] {
      while (auto self = weak.lock()) {
        {
          std::unique_lock<std::mutex> lock(self->heartbeat_mutex_);
          if (self->heartbeat_cv_.wait_for(lock, absl::ToChronoNanoseconds(interval),
                                           [&self] { return self->closed(); })) {
            return;
          }
        }
        (void)self->Write(v1::Frame());  // empty: the peer only notes that the session lives
      }
    });
  }
  return absl::OkStatus();
}

namespace {
std::atomic<int> g_calls_running{0};
}  // namespace

void SetMaxWorkerThreads(int n) { internal::WorkerPool::Global().SetMaxThreads(n); }
int NumCallsRunning() { return g_calls_running.load(std::memory_order_acquire); }

void EncodeServedError(const ffi::Error& err, v1::Error* out) {
  EncodeError(err, out);
  // Innermost frame first: the first of the engine's entry points cuts it.
  const std::string& bt = out->backtrace();
  size_t engine =
      std::min(bt.find("tvmffi::rpc::Endpoint::ServeCall"), bt.find("tvmffi::rpc::RunCancellable"));
  if (engine != std::string::npos) {
    size_t line_start = bt.rfind('\n', engine);
    out->set_backtrace(bt.substr(0, line_start == std::string::npos ? 0 : line_start + 1));
  }
}

void RunCancellable(absl::Time deadline, std::function<bool()> gone, const ffi::Function& func,
                    const ffi::AnyView* args, int32_t num_args, ffi::Any* result) {
  internal::ServedCall::InstallSignalCheck();
  internal::ServedCall call(deadline, std::move(gone));
  internal::ServedCall::Scope scope(&call);
  g_calls_running.fetch_add(1, std::memory_order_acq_rel);
  struct Done {
    ~Done() { g_calls_running.fetch_sub(1, std::memory_order_acq_rel); }
  } done;
  func.CallPacked(args, num_args, result);
}

// A thread's use of stream_; false when the session is closed and the stream must not be touched.
class Endpoint::StreamUse {
 public:
  explicit StreamUse(Endpoint* endpoint) : endpoint_(endpoint), ok_(endpoint->EnterStream()) {}
  ~StreamUse() {
    if (ok_) endpoint_->LeaveStream();
  }
  explicit operator bool() const { return ok_; }
  // Ends the use before the scope does (a reader that hands reading over).
  void Leave() {
    if (ok_) endpoint_->LeaveStream();
    ok_ = false;
  }

 private:
  Endpoint* endpoint_;
  bool ok_;
};

bool Endpoint::EnterStream() {
  std::lock_guard<std::mutex> lock(stream_mutex_);
  if (stream_closed_) return false;
  ++stream_users_;
  return true;
}

void Endpoint::LeaveStream() {
  bool last;
  {
    std::lock_guard<std::mutex> lock(stream_mutex_);
    last = --stream_users_ == 0 && stream_closed_;
  }
  if (last) stream_cv_.notify_all();
}

void Endpoint::Run() {
  if (SendHello().ok()) {
    ReadLoop();  // returns early when a worker took over reading
  } else {
    Shutdown(ConnectionError("session ended"));
  }
  // The transport (a gRPC handler's stream) must outlive every thread inside it, but not the
  // peer's calls still running: a hung call keeps its worker, never the session.
  std::unique_lock<std::mutex> lock(stream_mutex_);
  stream_cv_.wait(lock, [this] { return stream_closed_ && stream_users_ == 0; });
}

void Endpoint::ReadLoop() {
  v1::Frame frame;
  absl::Status status;
  StreamUse use(this);
  while (use && !closed()) {
    status = stream_->Read(&frame);
    last_received_ns_.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed);
    if (absl::IsInvalidArgument(status)) {
      if (options_.on_malformed_frame) options_.on_malformed_frame(status);
      if (AnswerUnparsed(frame, status)) continue;
    }
    if (!status.ok()) break;
    if (!HandleFrame(&frame, use)) return;  // another thread reads from here on
  }
  use.Leave();
  std::string peer = peer_name();
  if (peer.empty()) peer = "the peer";
  if (HasRemoteError(status)) {
    Shutdown(status);  // the transport knows why the peer is gone (e.g. a worker's crash)
  } else if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    // Refused rather than lost: keep the code so callers see PermissionError.
    Shutdown(
        absl::Status(status.code(), absl::StrCat("refused by ", peer, ": ", status.message())));
  } else if (absl::IsInvalidArgument(status)) {
    Shutdown(WithErrorKind(absl::Status(status.code(), absl::StrCat("protocol error from ", peer,
                                                                    ": ", status.message())),
                           kind::kRPCError));
  } else if (absl::IsResourceExhausted(status)) {
    Shutdown(WithErrorKind(
        absl::Status(status.code(), absl::StrCat("refused by ", peer, ": ", status.message())),
        kind::kRPCError));
  } else {
    Shutdown(ConnectionError(
        absl::StrCat("connection to ", peer, " lost", status.ok() ? "" : ": ", status.message())));
  }
}

bool Endpoint::AnswerUnparsed(const v1::Frame& head, const absl::Status& why) {
  if (head.body_case() == v1::Frame::kCall) {
    v1::Frame reply;
    reply.mutable_ret()->set_id(head.call().id());
    FillError(ValueError(why.message()), reply.mutable_ret()->mutable_error());
    (void)Write(reply);
    return true;
  }
  if (head.body_case() == v1::Frame::kRet) {
    pending_->Complete(head.ret().id(),
                       ValueError(absl::StrCat("the result could not be read: ", why.message())));
    return true;
  }
  return false;  // nothing to answer: the session ends with why as its reason
}

bool Endpoint::HandleFrame(v1::Frame* frame, StreamUse& use) {
  switch (frame->body_case()) {
    case v1::Frame::kHello: {
      if (frame->hello().protocol_version() != kProtocolVersion) {
        Shutdown(RPCError(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("the peer speaks tvmffi-rpc protocol version ",
                                       frame->hello().protocol_version(), ", this side (",
                                       options_.local_name, ") version ", kProtocolVersion)));
        return true;
      }
      {
        std::lock_guard<std::mutex> lock(flow_mutex_);
        hello_seen_ = true;
        // A peer from before the flow limit says 0: this side's own defaults stand in.
        const v1::Hello& hello = frame->hello();
        peer_max_calls_ = hello.max_calls_in_flight() != 0 ? hello.max_calls_in_flight()
                                                           : EndpointOptions().max_calls_in_flight;
        peer_max_bytes_ = hello.max_bytes_in_flight() != 0 ? hello.max_bytes_in_flight()
                                                           : EndpointOptions().max_bytes_in_flight;
      }
      flow_cv_.notify_all();
      std::lock_guard<std::mutex> lock(peer_mutex_);
      peer_name_ = frame->hello().peer_name();
      const std::string& host = frame->hello().shm_host();
      shares_memory_.store(options_.shared_memory && !host.empty() && host == SharedMemoryHostId(),
                           std::memory_order_release);
      peer_imports_ipc_.store(frame->hello().cuda_ipc(), std::memory_order_release);
      break;
    }
    case v1::Frame::kCall: {
      // Arguments are decoded here, in stream order: a reference in them is resolved before
      // any later Release of it is processed.
      uint64_t bytes = frame->ByteSizeLong();
      v1::Call call = std::move(*frame->mutable_call());
      std::vector<ffi::Any> args;
      absl::Status admitted = DecodeArgs(call, &args);
      for (const ffi::Any& arg : args) {
        if (arg.type_index() == kTVMFFITensor) bytes += arg.cast<ffi::Tensor>().GetDataSize();
      }
      if (admitted.ok() && !AdmitCall(bytes)) {
        admitted = RPCError(
            absl::StatusCode::kResourceExhausted,
            absl::StrCat("this session already has ", num_serving(), " calls (",
                         bytes_in_flight_.load(), " bytes) running or queued on ",
                         options_.local_name, ", its limit (", options_.max_calls_in_flight,
                         " calls, ", options_.max_bytes_in_flight,
                         " bytes): wait for some to return"));
      }
      if (!admitted.ok()) {
        v1::Frame reply;
        reply.mutable_ret()->set_id(call.id());
        FillError(admitted, reply.mutable_ret()->mutable_error());
        (void)Write(reply);
        break;
      }
      absl::Time deadline = call.timeout_ms() > 0
                                ? absl::Now() + absl::Milliseconds(call.timeout_ms())
                                : absl::InfiniteFuture();
      auto served = std::make_shared<internal::ServedCall>(deadline);
      {
        std::lock_guard<std::mutex> lock(served_mutex_);
        served_[call.id()] = served;  // a reused id: Cancel reaches the latest
      }
      auto self = shared_from_this();
      // Leader/follower: when a worker can start at once, it takes over reading and this
      // thread runs the call, so the call does not wait for a thread to wake up.
      std::function<void()> read_on = [self] { self->ReadLoop(); };
      if (internal::WorkerPool::Global().TryRunNow(read_on)) {
        use.Leave();  // the new reader has its own
        ServeCall(call, std::move(args), served, bytes);
        return false;
      }
      // Every worker is busy: the call waits for one, and this thread reads on.
      auto queued = std::make_shared<std::pair<v1::Call, std::vector<ffi::Any>>>(std::move(call),
                                                                                 std::move(args));
      internal::WorkerPool::Global().Submit([self, queued, bytes, served] {
        self->ServeCall(queued->first, std::move(queued->second), served, bytes);
      });
      break;
    }
    case v1::Frame::kRet: {
      // Decoded here for the same reason as call arguments.
      const v1::Return& ret = frame->ret();
      absl::StatusOr<ffi::Any> result;
      if (ret.result_case() == v1::Return::kError) {
        v1::Error err = ret.error();
        err.set_peer(peer_name());
        result = RemoteErrorStatus(err);
      } else if (ret.result_case() == v1::Return::kValue) {
        result = DecodeValue(ret.value(), this, options_.limits);
      } else {
        result = ValueError("the peer's return carries no result");
      }
      pending_->Complete(ret.id(), std::move(result));
      break;
    }
    case v1::Frame::kRelease:
      for (uint64_t handle : frame->release().handles()) exports_->Release(handle);
      break;
    case v1::Frame::kCancel: {
      // A queued call will not run; a running one sees it through TVMFFIEnvCheckSignals, and
      // the calls it makes to a peer in turn stop waiting.
      std::lock_guard<std::mutex> lock(served_mutex_);
      auto it = served_.find(frame->cancel().id());
      if (it != served_.end()) it->second->Cancel();
      break;
    }
    case v1::Frame::kChunk:  // the rest of a tensor whose reading failed: dropped
    case v1::Frame::BODY_NOT_SET:
      break;
  }
  return true;
}

absl::Status Endpoint::DecodeArgs(const v1::Call& call, std::vector<ffi::Any>* args) {
  struct ReadOnce {
    explicit ReadOnce(bool once) { t_args_read_once = once; }
    ~ReadOnce() { t_args_read_once = false; }
  } read_once(dispatcher_ != nullptr && call.target_case() == v1::Call::kGlobalName &&
              dispatcher_->ReadsArgsOnce(call.global_name()));
  args->reserve(call.args_size());
  for (const v1::Value& v : call.args()) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any arg, DecodeValue(v, this, options_.limits));
    args->push_back(std::move(arg));
  }
  return absl::OkStatus();
}

absl::StatusOr<ffi::Function> Endpoint::ResolveTarget(const v1::Call& call) {
  if (call.target_case() == v1::Call::kHandle) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::ObjectRef obj, exports_->Get(call.handle()));
    if (const auto* f = obj.as<ffi::FunctionObj>()) return ffi::GetRef<ffi::Function>(f);
    return TypeError(
        absl::StrCat("handle ", call.handle(), " is a `", obj->GetTypeKey(), "`, not a function"));
  }
  if (call.target_case() == v1::Call::kGlobalName) {
    if (dispatcher_ == nullptr) {
      return WithErrorKind(absl::NotFoundError(absl::StrCat("`", call.global_name(),
                                                            "` is not served by this peer")),
                           kind::kValueError);
    }
    return dispatcher_->Resolve(call.global_name(), *this);
  }
  return ValueError("call has no target");
}

bool Endpoint::AdmitCall(uint64_t bytes) {
  int calls = serving_.fetch_add(1, std::memory_order_acq_rel) + 1;
  uint64_t total = bytes_in_flight_.fetch_add(bytes, std::memory_order_acq_rel) + bytes;
  // A lone call is always admitted, however large: the message limit bounds it.
  if (calls == 1 ||
      (calls <= options_.max_calls_in_flight && total <= options_.max_bytes_in_flight)) {
    return true;
  }
  ReleaseCall(bytes);
  return false;
}

void Endpoint::ReleaseCall(uint64_t bytes) {
  bytes_in_flight_.fetch_sub(bytes, std::memory_order_acq_rel);
  serving_.fetch_sub(1, std::memory_order_acq_rel);
}

void Endpoint::ServeCall(const v1::Call& call, std::vector<ffi::Any> args,
                         const std::shared_ptr<internal::ServedCall>& served, uint64_t bytes) {
  g_calls_running.fetch_add(1, std::memory_order_acq_rel);
  const absl::Time started = options_.on_call_done ? absl::Now() : absl::InfinitePast();
  struct Done {
    Endpoint* self;
    uint64_t id;
    internal::ServedCall* served;
    ~Done() {
      g_calls_running.fetch_sub(1, std::memory_order_acq_rel);
      std::lock_guard<std::mutex> lock(self->served_mutex_);
      auto it = self->served_.find(id);
      if (it != self->served_.end() && it->second.get() == served) self->served_.erase(it);
    }
  } done{this, call.id(), served.get()};
  internal::ServedCall::Scope scope(served.get());
  v1::Frame reply;
  v1::Return* ret = reply.mutable_ret();
  ret->set_id(call.id());
  // args and result outlive the Write: a proxy among them is released only after the Return
  // is on the wire, and deferred tensor bytes stay valid until their chunks are.
  ffi::Any result;
  std::vector<DeferredTensor> deferred;
  Leases leases;
  auto drop_value = [&] {
    ret->clear_value();
    deferred.clear();
    leases.Reclaim();
  };
  absl::StatusOr<ffi::Function> func = absl::UnknownError("not resolved");
  try {
    func = ResolveTarget(call);
    absl::Status go = closed() ? ConnectionError("session closed") : served->Check();
    if (!go.ok()) {
      FillError(go, ret->mutable_error());  // cancelled or timed out while it queued
    } else if (!func.ok()) {
      FillError(func.status(), ret->mutable_error());
    } else {
      std::vector<ffi::AnyView> views(args.begin(), args.end());
      // The session's streams for the call and for its result's encoding (copies included).
      std::optional<internal::SessionStreams::Scope> streams;
      if (streams_ != nullptr) streams.emplace(streams_->Enter(args));
      bool saved_by_value = std::exchange(t_result_by_value, false);
      struct Restore {
        bool saved;
        bool by_value = false;
        ~Restore() { t_result_by_value = saved; }
      } restore{saved_by_value};
      func->CallPacked(views.data(), static_cast<int32_t>(views.size()), &result);
      restore.by_value = t_result_by_value;
      bool session_op = call.target_case() == v1::Call::kGlobalName &&
                        !call.global_name().empty() && call.global_name()[0] == '$';
      EncodeScope scope(&deferred, &leases, session_op, restore.by_value);
      absl::Status encoded = CheckSharedArgs(args);
      if (encoded.ok()) encoded = EncodeValue(result, this, ret->mutable_value(), options_.limits);
      if (!encoded.ok()) {
        drop_value();
        FillError(encoded, ret->mutable_error());
      }
    }
  } catch (...) {  // whatever a function throws, `throw 42` included, is the call's error
    drop_value();
    FillError(CurrentExceptionToError(), ret->mutable_error());
  }
  uint64_t limit = max_frame_bytes_.load();
  if (limit != 0 && reply.ByteSizeLong() > limit) {
    size_t size = reply.ByteSizeLong();
    drop_value();
    FillError(ValueError(absl::StrCat("the result is ", size,
                                      " bytes on the wire, over the message limit of ", limit)),
              ret->mutable_error());
  }
  if (options_.on_call_done) {
    std::string_view name = call.target_case() == v1::Call::kGlobalName
                                ? std::string_view(call.global_name())
                                : std::string_view();
    options_.on_call_done(name, func.ok() ? &*func : nullptr, absl::Now() - started,
                          ret->has_error() ? &ret->error() : nullptr);
  }
  // The call leaves the flow limit before its Return goes: the caller, once answered, may send
  // the next at once.
  ReleaseCall(bytes);
  if (WriteWithChunks(reply, deferred).ok()) leases.Sent();  // a vanished peer: see the reader
}

absl::StatusOr<ffi::Any> Endpoint::CallGlobal(std::string_view name, const ffi::AnyView* args,
                                              int32_t num_args, absl::Duration timeout) {
  v1::Call call;
  call.set_global_name(std::string(name));
  return SendCall(&call, args, num_args, timeout);
}

absl::StatusOr<ffi::Any> Endpoint::CallHandle(uint64_t handle, const ffi::AnyView* args,
                                              int32_t num_args, absl::Duration timeout) {
  v1::Call call;
  call.set_handle(handle);
  return SendCall(&call, args, num_args, timeout);
}

absl::StatusOr<ffi::Any> Endpoint::SendCall(v1::Call* call, const ffi::AnyView* args,
                                            int32_t num_args, absl::Duration timeout) {
  if (timeout == kDefault) timeout = options_.call_timeout;
  // A call made while serving the peer's call ends no later than that one.
  internal::ServedCall* served = internal::ServedCall::Current();
  if (served != nullptr) {
    TVMFFI_RPC_RETURN_IF_ERROR(served->Check());
    if (served->deadline() != absl::InfiniteFuture()) {
      timeout = std::min(timeout, served->deadline() - absl::Now());
    }
  }
  std::vector<DeferredTensor> deferred;  // args outlive the write: their bytes stay valid
  Leases leases;
  {
    EncodeScope scope(&deferred, &leases);
    for (int32_t i = 0; i < num_args; ++i) {
      TVMFFI_RPC_RETURN_IF_ERROR(EncodeValue(args[i], this, call->add_args(), options_.limits));
    }
  }
  TVMFFI_RPC_ASSIGN_OR_RETURN(auto slot, pending_->Add());
  call->set_id(slot.first);
  if (timeout != absl::InfiniteDuration()) {
    call->set_timeout_ms(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)));
  }
  v1::Frame frame;
  *frame.mutable_call() = std::move(*call);
  uint64_t frame_bytes = frame.ByteSizeLong();
  uint64_t limit = max_frame_bytes_.load();
  if (limit != 0 && frame_bytes > limit) {
    pending_->Complete(slot.first, absl::CancelledError("not sent"));  // forget the slot
    return ValueError(absl::StrCat("the call is ", frame_bytes,
                                   " bytes on the wire, over the message limit of ", limit));
  }
  // The peer's flow limit: wait for room rather than have the call refused. A call made while
  // serving the peer's call goes at once: its caller may be what holds the window.
  uint64_t window_bytes = frame_bytes;
  for (const DeferredTensor& t : deferred) window_bytes += t.bytes;
  window_bytes += leases.bytes();  // the peer makes room for staged bytes too
  bool windowed = served == nullptr;
  if (windowed) {
    absl::Time deadline =
        timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
    absl::Status room = AcquireWindow(window_bytes, deadline);
    if (!room.ok()) {
      pending_->Complete(slot.first, absl::CancelledError("not sent"));  // forget the slot
      return room;
    }
    if (timeout != absl::InfiniteDuration()) {  // the wait for room counts against the timeout
      timeout = std::max(deadline - absl::Now(), absl::Milliseconds(1));
      frame.mutable_call()->set_timeout_ms(absl::ToInt64Milliseconds(timeout));
    }
  }
  struct WindowRelease {
    Endpoint* self;
    bool windowed;
    uint64_t bytes;
    ~WindowRelease() {
      if (windowed) self->ReleaseWindow(bytes);
    }
  } window_release{this, windowed, window_bytes};
  absl::Status written = WriteWithChunks(frame, deferred);
  if (written.ok()) leases.Sent();
  if (!written.ok()) {
    // The stream is gone; the reader is about to say why (e.g. a refused token). Give it a
    // moment so the caller sees the real reason rather than a bare "cannot send".
    absl::StatusOr<ffi::Any> why = pending_->Wait(slot.first, *slot.second, absl::Seconds(5));
    if (!why.ok() && !absl::IsDeadlineExceeded(why.status())) return why.status();
    return ConnectionError(absl::StrCat("cannot send the call: ", written.message()));
  }
  absl::StatusOr<ffi::Any> result = pending_->Wait(slot.first, *slot.second, timeout);
  if (!result.ok() &&
      (absl::IsDeadlineExceeded(result.status()) || absl::IsCancelled(result.status()))) {
    v1::Frame cancel;
    cancel.mutable_cancel()->set_id(slot.first);
    (void)Write(cancel);
  }
  return result;
}

absl::Status Endpoint::AcquireWindow(uint64_t bytes, absl::Time deadline) {
  std::unique_lock<std::mutex> lock(flow_mutex_);
  auto room = [&] {
    if (closed()) return true;
    if (calls_out_ == 0) return true;  // a lone call always goes: the message limit bounds it
    if (!hello_seen_) return false;    // one call at a time until the peer's bounds are known
    return static_cast<uint64_t>(calls_out_) < peer_max_calls_ &&
           bytes_out_ + bytes <= peer_max_bytes_;
  };
  if (deadline == absl::InfiniteFuture()) {
    flow_cv_.wait(lock, room);
  } else if (!flow_cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline - absl::Now()), room)) {
    return TimeoutError(absl::StrCat(
        "the call waited past its timeout for room under ", peer_name(), "'s flow limit (",
        calls_out_, " calls of this session outstanding, ", bytes_out_, " bytes)"));
  }
  if (closed()) {
    absl::Status why = close_reason();
    return why.ok() ? ConnectionError("session closed") : why;
  }
  ++calls_out_;
  bytes_out_ += bytes;
  return absl::OkStatus();
}

void Endpoint::ReleaseWindow(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(flow_mutex_);
    --calls_out_;
    bytes_out_ -= bytes;
  }
  flow_cv_.notify_all();
}

int Endpoint::num_outstanding() const {
  std::lock_guard<std::mutex> lock(flow_mutex_);
  return calls_out_;
}

absl::Status Endpoint::Write(const v1::Frame& frame) {
  StreamUse use(this);
  if (!use || closed()) {
    return ConnectionError("session closed");
  }
  std::lock_guard<std::mutex> lock(write_mutex_);
  return stream_->Write(frame);
}

absl::Status Endpoint::WriteWithChunks(const v1::Frame& frame,
                                       const std::vector<DeferredTensor>& deferred) {
  if (deferred.empty()) return Write(frame);
  StreamUse use(this);
  if (!use || closed()) {
    return ConnectionError("session closed");
  }
  uint64_t limit = max_frame_bytes_.load();
  uint64_t chunk_bytes = limit != 0 ? std::min<uint64_t>(kChunkBytes, limit / 2) : kChunkBytes;
  std::lock_guard<std::mutex> lock(write_mutex_);
  TVMFFI_RPC_RETURN_IF_ERROR(stream_->Write(frame));
  for (const DeferredTensor& t : deferred) {
    for (uint64_t offset = 0; offset < t.bytes; offset += chunk_bytes) {
      uint64_t n = std::min(chunk_bytes, t.bytes - offset);
      ChunkHeader header{t.stream_id, offset, offset + n == t.bytes};
      TVMFFI_RPC_RETURN_IF_ERROR(stream_->WriteChunk(header, t.data + offset, n, t.keepalive));
    }
  }
  return absl::OkStatus();
}

std::optional<uint64_t> Endpoint::DeferTensorBytes(const char* data, uint64_t bytes,
                                                   TVMFFIObject* owner) {
  std::vector<DeferredTensor>* deferred = t_encode.deferred;
  if (deferred == nullptr || bytes < kChunkThreshold) return std::nullopt;
  uint64_t stream_id = deferred->size() + 1;
  std::shared_ptr<const void> keepalive;
  if (owner != nullptr) {
    TVMFFIObjectIncRef(owner);
    keepalive = std::shared_ptr<const void>(owner, [](const void* obj) {
      TVMFFIObjectDecRef(static_cast<TVMFFIObjectHandle>(const_cast<void*>(obj)));
    });
  }
  deferred->push_back(DeferredTensor{stream_id, data, bytes, std::move(keepalive)});
  return stream_id;
}

// Runs on the reader thread while it decodes a frame: the chunks follow that frame directly.
absl::Status Endpoint::ReadTensorBytes(uint64_t stream_id, char* dest, uint64_t bytes) {
  uint64_t received = 0;
  ChunkHeader chunk;
  while (received < bytes) {
    uint64_t n = 0;
    absl::Status status = stream_->ReadChunk(&chunk, dest + received, bytes - received, &n);
    if (absl::IsInvalidArgument(status)) {
      return ValueError(absl::StrCat("protocol error: ", status.message()));
    }
    if (!status.ok()) {
      return ConnectionError(
          absl::StrCat("stream ended in the middle of a tensor: ", status.message()));
    }
    if (chunk.stream_id != stream_id || chunk.offset != received) {
      return ValueError("protocol error: tensor chunk out of order");
    }
    received += n;
    if (chunk.last != (received == bytes)) {
      return ValueError("protocol error: tensor chunk marked last at the wrong place");
    }
  }
  return absl::OkStatus();
}

bool Endpoint::ShareTensorBytes(const char* data, uint64_t bytes, v1::SharedBytes* out) {
  if (!shares_memory()) return false;
  std::shared_ptr<SharedRegion> region = SharedRegion::Find(data, bytes);
  if (region == nullptr) return false;
  out->set_region(region->name());
  out->set_offset(static_cast<uint64_t>(data - region->base()));
  return true;
}

bool Endpoint::StageTensorBytes(const char* data, uint64_t bytes, v1::SharedBytes* out) {
  Leases* leases = t_encode.leases;
  if (leases == nullptr || bytes < internal::kStagingThreshold || !shares_memory()) return false;
  std::optional<internal::StagingLease> lease = staging_->Lend(data, bytes);
  if (!lease) return false;
  out->set_region(lease->slot->name());
  out->set_offset(internal::kStagingHeaderBytes);
  out->set_lease(lease->id);
  leases->Add(*std::move(lease), bytes);
  return true;
}

absl::Status Endpoint::ReadStagedBytes(const v1::SharedBytes& shared, char* dest, uint64_t bytes) {
  if (!shares_memory()) {
    return ValueError(
        "the peer sent a staged tensor, but this session does not share memory (another host, "
        "or shared memory is off)");
  }
  return staging_->Receive(shared, dest, bytes);
}

absl::StatusOr<std::shared_ptr<char>> Endpoint::AdoptStagedBytes(const v1::SharedBytes& shared,
                                                                 uint64_t bytes) {
  if (!(options_.adopt_staged || t_args_read_once) || !shares_memory()) {
    return nullptr;  // copied (or refused) instead
  }
  return staging_->Adopt(shared, bytes);
}

absl::StatusOr<std::shared_ptr<char>> Endpoint::MapSharedBytes(const v1::SharedBytes& shared,
                                                               uint64_t bytes) {
  if (!shares_memory()) {
    return WithErrorKind(absl::PermissionDeniedError(
                             "the peer sent a shared-memory tensor, but this session does not "
                             "share memory (another host, or shared memory is off)"),
                         kind::kValueError);
  }
  TVMFFI_RPC_ASSIGN_OR_RETURN(std::shared_ptr<SharedRegion> region,
                              SharedRegion::Open(shared.region()));
  if (shared.offset() > region->size() || bytes > region->size() - shared.offset()) {
    return ValueError(absl::StrCat("shared tensor of ", bytes, " bytes at offset ", shared.offset(),
                                   " lies outside its region of ", region->size(), " bytes"));
  }
  if (region->broken()) return BrokenRegionError(*region);
  char* data = region->base() + shared.offset();
  return std::shared_ptr<char>(std::move(region), data);  // aliasing: owns the mapping
}

// Never waits for the peer's calls still running here: they finish on their workers (or hang
// there) and find the session closed when they try to answer.
void Endpoint::Shutdown(const absl::Status& reason) {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  {
    std::lock_guard<std::mutex> lock(peer_mutex_);
    close_reason_ = reason;
  }
  pending_->FailAll(reason);
  {
    std::lock_guard<std::mutex> lock(flow_mutex_);  // callers waiting for room see closed()
  }
  flow_cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(served_mutex_);  // nobody waits for their answers now
    for (auto& [id, served] : served_) served->Cancel();
  }
  stream_->Close();  // blocked reads and writes return
  {
    std::lock_guard<std::mutex> lock(heartbeat_mutex_);  // the heartbeat sees closed() and ends
  }
  heartbeat_cv_.notify_all();
  bool idle;
  {
    std::lock_guard<std::mutex> lock(stream_mutex_);
    stream_closed_ = true;
    idle = stream_users_ == 0;
  }
  if (idle) stream_cv_.notify_all();
  exports_->Clear();
  staging_->Close();
}

absl::Duration Endpoint::idle_for() const {
  if (num_serving() > 0 || pending_->size() > 0) return absl::ZeroDuration();
  return absl::Nanoseconds(absl::GetCurrentTimeNanos() -
                           last_received_ns_.load(std::memory_order_relaxed));
}

absl::Status Endpoint::close_reason() const {
  std::lock_guard<std::mutex> lock(peer_mutex_);
  return close_reason_;
}

std::string Endpoint::peer_name() const {
  std::lock_guard<std::mutex> lock(peer_mutex_);
  return peer_name_;
}

absl::StatusOr<ffi::ObjectRef> Endpoint::ExportedObject(uint64_t handle) const {
  return exports_->Get(handle);
}

absl::Status Endpoint::WithSessionStreams(const std::vector<ffi::Any>& args,
                                          const std::function<absl::Status()>& fn) {
  std::optional<internal::SessionStreams::Scope> streams;
  if (streams_ != nullptr) streams.emplace(streams_->Enter(args));
  return fn();
}

void Endpoint::SetDataChannelOpener(DataChannelOpener open) {
  std::lock_guard<std::mutex> lock(data_channel_mutex_);
  data_channel_opener_ = std::move(open);
  data_channel_tried_ = false;
  data_channel_.reset();
}

std::shared_ptr<DataChannelClient> Endpoint::data_channel() {
  std::lock_guard<std::mutex> lock(data_channel_mutex_);
  if (!data_channel_tried_ && data_channel_opener_ && !closed()) {
    data_channel_tried_ = true;  // one try: a refused or firewalled port costs one timeout
    absl::StatusOr<std::shared_ptr<DataChannelClient>> opened = data_channel_opener_();
    if (opened.ok()) data_channel_ = *std::move(opened);
  }
  if (data_channel_ != nullptr && data_channel_->broken()) data_channel_.reset();
  return data_channel_;
}

size_t Endpoint::num_exported() const { return exports_->size(); }
size_t Endpoint::num_imported() const { return proxies_->size(); }

void Endpoint::OnProxyDestroyed(const ffi::Object* proxy, uint64_t handle) {
  proxies_->Remove(proxy);
  if (closed()) return;
  v1::Frame frame;
  frame.mutable_release()->add_handles(handle);
  (void)Write(frame);
}

absl::StatusOr<v1::RemoteRef> Endpoint::ExportObject(const ffi::ObjectRef& obj) {
  v1::RemoteRef ref;
  if (std::optional<uint64_t> handle = proxies_->Find(obj.get())) {
    ref.set_owner(v1::RemoteRef::RECEIVER);  // the peer's own object goes home
    ref.set_handle(*handle);
    return ref;
  }
  TVMFFI_RPC_ASSIGN_OR_RETURN(uint64_t handle, exports_->Export(obj));
  ref.set_owner(v1::RemoteRef::SENDER);
  ref.set_handle(handle);
  ref.set_type_key(obj->GetTypeKey());
  return ref;
}

void SendResultByValue() { t_result_by_value = true; }

bool Endpoint::KeepRemote(const DLTensor& tensor) {
  if (t_encode.by_value) return false;
  if (!options_.keep_device_tensors) {
    // A peer on this host that maps CUDA memory gets this side's CUDA tensors in place.
    return options_.offer_cuda_ipc && tensor.device.device_type == kDLCUDA && shares_memory() &&
           peer_imports_ipc_.load(std::memory_order_acquire);
  }
  if (!t_encode.session_op_result && keep_all_tensors_.load(std::memory_order_relaxed)) {
    return true;
  }
  if (!options_.keep_device_tensors || !device::IsResident(tensor)) return false;
  if (options_.share_resident_host_tensors && tensor.device.device_type == kDLCPU &&
      shares_memory() && ffi::IsContiguous(tensor) &&
      SharedRegion::Find(static_cast<const char*>(tensor.data) + tensor.byte_offset,
                         ffi::GetDataSize(tensor)) != nullptr) {
    return false;  // by reference through shared memory: the peer sees the same bytes
  }
  return true;
}

void Endpoint::DescribeRemoteTensor(const DLTensor& tensor, v1::RemoteRef* ref) {
  if (!options_.offer_cuda_ipc || tensor.device.device_type != kDLCUDA || !shares_memory() ||
      !peer_imports_ipc_.load(std::memory_order_acquire)) {
    return;
  }
  absl::StatusOr<device::IpcTensorRef> exported = device::ExportIpcTensor(tensor);
  if (!exported.ok()) return;  // the peer gets a plain remote tensor
  v1::CudaIpc* ipc = ref->mutable_cuda_ipc();
  ipc->set_handle(exported->where.handle);
  ipc->set_offset(exported->where.offset);
  ipc->set_device_uuid(exported->where.device_uuid);
  ipc->set_pid(exported->pid);
}

std::optional<ffi::Any> Endpoint::ImportIpcTensor(const v1::RemoteRef& ref) {
  if (!options_.import_cuda_ipc || !shares_memory() || !ref.has_cuda_ipc() ||
      ref.type_key() != "ffi.Tensor") {
    return std::nullopt;
  }
  const v1::Tensor& meta = ref.tensor();
  const v1::DataType& dt = meta.dtype();
  if (meta.device().device_type() != kDLCUDA || dt.code() > 255 || dt.bits() == 0 ||
      dt.bits() > 255 || dt.lanes() == 0 || dt.lanes() > 65535 || meta.shape_size() > 64) {
    return std::nullopt;
  }
  device::IpcTensorRef where;
  where.where.handle = ref.cuda_ipc().handle();
  where.where.offset = ref.cuda_ipc().offset();
  where.where.device_uuid = ref.cuda_ipc().device_uuid();
  where.pid = ref.cuda_ipc().pid();
  std::vector<int64_t> shape(meta.shape().begin(), meta.shape().end());
  DLDataType dtype{static_cast<uint8_t>(dt.code()), static_cast<uint8_t>(dt.bits()),
                   static_cast<uint16_t>(dt.lanes())};
  // The view is a proxy of the peer's handle: it goes home as that handle, and its end
  // releases it (the peer's tensor lives until then).
  auto self = std::make_shared<const ffi::Object*>(nullptr);
  std::weak_ptr<Endpoint> weak = weak_from_this();
  uint64_t handle = ref.handle();
  absl::StatusOr<ffi::Tensor> view = device::OpenIpcTensor(
      where, DLDevice{kDLCUDA, meta.device().device_id()},
      ffi::ShapeView(shape.data(), shape.size()), dtype, [weak, self, handle] {
        if (std::shared_ptr<Endpoint> endpoint = weak.lock()) {
          endpoint->OnProxyDestroyed(*self, handle);
        }
      });
  if (!view.ok()) return std::nullopt;
  *self = view->get();
  proxies_->Add(view->get(), handle);
  return ffi::Any(*std::move(view));
}

absl::StatusOr<ffi::Tensor> Endpoint::StageToHost(const DLTensor& tensor) {
  if (!ffi::IsContiguous(tensor)) {
    return ValueError("cannot send a strided device tensor by value; make it compact first");
  }
  ffi::Tensor host = NewHostTensor(ffi::ShapeView(tensor.shape, tensor.ndim), tensor.dtype);
  TVMFFI_RPC_RETURN_IF_ERROR(device::CopyFromTensor(tensor, host.data_ptr(), host.GetDataSize()));
  return host;
}

absl::StatusOr<ffi::Any> Endpoint::ImportRef(const v1::RemoteRef& ref) {
  if (ref.owner() == v1::RemoteRef::RECEIVER) {
    TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::ObjectRef obj, exports_->Get(ref.handle()));
    return ffi::Any(obj);
  }
  if (ref.owner() != v1::RemoteRef::SENDER) return ValueError("reference with an unknown owner");
  if (std::optional<ffi::Any> mapped = ImportIpcTensor(ref)) return *std::move(mapped);
  ffi::Any proxy = internal::MakeProxy(shared_from_this(), ref);
  proxies_->Add(ffi::details::AnyUnsafe::ObjectPtrFromAny(proxy), ref.handle());
  return proxy;
}

}  // namespace tvmffi::rpc
