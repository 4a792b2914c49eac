// The session engine both ends share: one Endpoint per session stream. It sends calls and
// waits for their returns, runs the peer's calls (callbacks, nested to any depth) on worker
// threads, keeps the handle table of objects the peer holds, and turns the peer's references
// into proxies: a remote function is an ordinary ffi::Function. Transport-free: it only sees a
// FrameStream.
#ifndef TVMFFI_SESSION_ENDPOINT_H_
#define TVMFFI_SESSION_ENDPOINT_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/function.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {

class Endpoint;
class DataChannelClient;

// What one side serves to its peer: how a Call by global name is resolved.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // The function the peer's Call of `name` runs; NOT_FOUND (or PERMISSION_DENIED) when the name
  // is not served. Names starting with '$' are session operations.
  virtual absl::StatusOr<tvm::ffi::Function> Resolve(std::string_view name, Endpoint& endpoint) = 0;
  // Whether the function `name` resolves to only reads its tensor arguments before it returns
  // and keeps none: tensors the peer staged in shared memory (same host) are then passed to it
  // in place rather than copied first.
  virtual bool ReadsArgsOnce(std::string_view name) const {
    (void)name;
    return false;
  }
};

struct EndpointOptions {
  std::string local_name = "peer";                         // shown in the peer's error markers
  absl::Duration call_timeout = absl::InfiniteDuration();  // default for outgoing calls
  CodecLimits limits;
  size_t max_handles = 1 << 20;  // objects the peer may hold at once
  // The peer's calls this side runs or queues at once: their number, and the bytes of their
  // frames and tensors. Hello tells the peer, whose calls then wait on its side for room (a
  // flow limit, as in Cap'n Proto); a call past either bound anyway is refused with
  // RESOURCE_EXHAUSTED. Calls wait in the queue while the process's worker threads are all
  // busy (SetMaxWorkerThreads).
  int max_calls_in_flight = 4096;
  uint64_t max_bytes_in_flight = uint64_t{256} << 20;
  uint64_t max_frame_bytes = 0;  // larger calls/returns fail locally (0: no limit)
  // Sends an empty frame this often while the session is open, so that a quiet session is not
  // taken for an idle one by the peer (the server's --session-idle-timeout). Infinite: never.
  absl::Duration heartbeat = absl::InfiniteDuration();
  // Tensors on a device, and those the device layer made, stay on this side and travel as
  // references (the peer gets remote tensors). Off (the C++ client): a device tensor is copied
  // to host memory by the device layer and sent by value.
  bool keep_device_tensors = true;
  // With keep_device_tensors: a host tensor the device layer made whose bytes lie in shared
  // memory goes to a peer on this host by reference instead (the peer maps the same bytes), as
  // from the server to its --isolate workers. Not for clients: theirs must stay remote tensors.
  bool share_resident_host_tensors = false;
  // Tensors in shared memory (CreateSharedTensor) travel by reference when the peer is on this
  // host, and other large host tensors sent by value go through staging slots in shared
  // memory rather than the stream; off: every tensor goes by value through the stream, and the
  // peer's references are refused.
  bool shared_memory = true;
  // A staged tensor from the peer becomes a tensor on the slot itself, handed back when that
  // tensor is freed, instead of a copy. Only where the peer is trusted not to write a slot it
  // lent: a client, of its server (a server copies what its clients stage).
  bool adopt_staged = false;
  // The peer's calls run with this session's own stream on each CUDA device they use, set as
  // the thread's env stream (TVMFFIEnvSetStream) for the call and the encoding of its result:
  // one session's kernels run in order, apart from other sessions'. (The server's sessions.)
  bool session_streams = false;
  // This side opens CUDA IPC handles of the peer's tensors (same host, CUDA here): a CUDA
  // tensor the peer sends arrives as an ffi::Tensor on the peer's own memory, not a remote
  // tensor. (The server's sessions and workers; a client keeps getting RemoteTensors.) And a
  // peer that opens them gets this side's CUDA tensors that way, by value ones included.
  bool import_cuda_ipc = false;
  // This side offers its CUDA tensors to a peer that opens handles (the client to its server,
  // the server to its workers and back). Off for a server's clients: a handle maps the whole
  // allocation a tensor lies in, which may hold more than the client's tensor.
  bool offer_cuda_ipc = true;
  // Told about each of the peer's calls this side answered, on the thread that ran it, just
  // before the answer goes out: the global's name ("" for a call of a function by handle), the
  // function called (null when it did not resolve), how long it took, and its error (null on
  // success). For the server's logs and metrics.
  std::function<void(std::string_view name, const tvm::ffi::Function* function, absl::Duration took,
                     const v1::Error* error)>
      on_call_done;
  // Told about each frame from the peer that did not parse (a malformed or hostile peer), on
  // the reading thread, before it is answered (or the session ends for it).
  std::function<void(const absl::Status& why)> on_malformed_frame;
};

// Bounds the worker threads of this process that run peers' calls, over all sessions (default
// 1024). Past it, calls wait for a free worker; the bound also keeps the process clear of the
// system's thread limit, whose hit would otherwise end it.
void SetMaxWorkerThreads(int n);
// Called by a function a session is serving, on its thread: the tensors of its result go to the
// peer by value, even those the device layer made, which otherwise stay here and reach the
// peer as remote tensors. (The server's ToHost returns the remote tensor itself this way, so
// its bytes are read once, straight from where they live.)
void SendResultByValue();
// Calls func(args) into *result as a call that TVMFFIEnvCheckSignals can stop, for calls served
// outside a session (the stateless Call RPC): past deadline it reports TimeoutError, and once
// gone() says the caller went away, RPCError (cancelled). Calls func makes to peers in turn
// inherit the deadline. What func throws goes through (see EncodeServedError).
void RunCancellable(absl::Time deadline, std::function<bool()> gone, const tvm::ffi::Function& func,
                    const tvm::ffi::AnyView* args, int32_t num_args, tvm::ffi::Any* result);
// An error raised by a function this process served (in a session, or by RunCancellable) as
// the wire's Error. Its backtrace ends where the serving engine begins: the serving thread's
// own frames mean nothing to the caller.
void EncodeServedError(const tvm::ffi::Error& err, v1::Error* out);
// Peers' calls running in this process right now, over all sessions (closed ones included: a
// hung call outlives its session).
int NumCallsRunning();

namespace internal {
class HandleTable;
class PendingCalls;
class ProxyTable;
class ServedCall;
class SessionStreams;
class StagingArea;
}  // namespace internal

class Endpoint : public std::enable_shared_from_this<Endpoint>, private RefTable {
 public:
  static std::shared_ptr<Endpoint> Create(std::unique_ptr<FrameStream> stream,
                                          std::shared_ptr<Dispatcher> dispatcher,
                                          EndpointOptions options);
  ~Endpoint() override;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Sends Hello and starts a reader thread (the client side). The reader keeps the endpoint
  // alive until the session ends: call Shutdown to end it.
  [[nodiscard]] absl::Status Start();
  // Sends Hello and reads frames on this thread until the stream ends, then shuts down (the
  // server side: a gRPC handler thread).
  void Run();

  // Calls the peer's global `name` (or session operation "$...") and waits for the result.
  // Errors keep the peer's ffi error kind; also TimeoutError and ConnectionError.
  absl::StatusOr<tvm::ffi::Any> CallGlobal(std::string_view name, const tvm::ffi::AnyView* args,
                                           int32_t num_args, absl::Duration timeout = kDefault);
  // Calls a function in the peer's handle table.
  absl::StatusOr<tvm::ffi::Any> CallHandle(uint64_t handle, const tvm::ffi::AnyView* args,
                                           int32_t num_args, absl::Duration timeout = kDefault);

  // Fails every pending call with `reason`, drops every object the peer held, closes the
  // stream. Idempotent; runs by itself when the stream ends.
  void Shutdown(const absl::Status& reason);

  bool closed() const { return closed_.load(std::memory_order_acquire); }
  // Why the session ended (OK while open), e.g. the peer's protocol version differs.
  absl::Status close_reason() const;
  // The peer's name from its Hello ("" until it arrives).
  std::string peer_name() const;
  const std::string& local_name() const { return options_.local_name; }
  // Objects the peer holds in this side's table.
  size_t num_exported() const;
  // Proxies of the peer's objects alive on this side.
  size_t num_imported() const;
  // Both sides share memory (same host, both allow it); known once the peer's Hello arrived.
  bool shares_memory() const { return shares_memory_.load(std::memory_order_acquire); }
  // The peer's calls running or queued on this side right now.
  int num_serving() const { return serving_.load(std::memory_order_acquire); }
  // This side's calls sent and not yet answered, counted against the peer's flow limit.
  int num_outstanding() const;
  // How long the session has been idle: no frame received and no call in flight either way
  // (zero while a call is).
  absl::Duration idle_for() const;

  // Every tensor this side sends from now on stays here and travels as a reference, host
  // tensors included (the peer asked for its results to stay remote).
  void SetKeepAllTensors(bool keep) { keep_all_tensors_.store(keep); }

  // Calls and returns larger than this fail with ValueError instead of breaking the stream
  // (the transport's message limit, e.g. the peer's --max-message-mb). 0: no limit.
  void SetMaxFrameBytes(uint64_t bytes) { max_frame_bytes_.store(bytes); }
  uint64_t max_frame_bytes() const { return max_frame_bytes_.load(); }

  // Proxies made from now on hold a strong reference to `keepalive` (e.g. the client's session
  // object, whose destruction ends the session), so a session lives while its proxies do.
  void SetProxyKeepAlive(std::weak_ptr<void> keepalive) { keepalive_ = std::move(keepalive); }
  std::shared_ptr<void> ProxyKeepAlive() const { return keepalive_.lock(); }

  // The object the peer holds as `handle` in this side's table (INVALID_ARGUMENT when it holds
  // none): for a side channel that names it, the data channel.
  absl::StatusOr<tvm::ffi::ObjectRef> ExportedObject(uint64_t handle) const;
  // Runs fn as a call of the peer's with args would run: with this session's streams as the
  // thread's env streams (EndpointOptions::session_streams), so device copies are ordered
  // after the session's kernels.
  absl::Status WithSessionStreams(const std::vector<tvm::ffi::Any>& args,
                                  const std::function<absl::Status()>& fn);

  // The client's data channel (see data_channel.h), opened by `open` on first use; without an
  // opener, or when opening failed, tensor bytes go through the stream.
  using DataChannelOpener = std::function<absl::StatusOr<std::shared_ptr<DataChannelClient>>()>;
  void SetDataChannelOpener(DataChannelOpener open);
  // The open data channel, or null (then use the stream).
  std::shared_ptr<DataChannelClient> data_channel();

  // Internal: a tensor's bytes to send after the frame that refers to them.
  struct DeferredTensor {
    uint64_t stream_id;
    const char* data;
    uint64_t bytes;
    std::shared_ptr<const void> keepalive;  // the tensor object; null for a bare DLTensor*
  };

  // Internal: a proxy of handle (the peer's) was destroyed.
  void OnProxyDestroyed(const tvm::ffi::Object* proxy, uint64_t handle);

  // Means "the endpoint's default timeout" for CallGlobal/CallHandle.
  static constexpr absl::Duration kDefault = absl::ZeroDuration();

 private:
  Endpoint(std::unique_ptr<FrameStream> stream, std::shared_ptr<Dispatcher> dispatcher,
           EndpointOptions options);
  // RefTable: how objects cross this session.
  absl::StatusOr<v1::RemoteRef> ExportObject(const tvm::ffi::ObjectRef& obj) override;
  absl::StatusOr<tvm::ffi::Any> ImportRef(const v1::RemoteRef& ref) override;
  bool KeepRemote(const DLTensor& tensor) override;
  void DescribeRemoteTensor(const DLTensor& tensor, v1::RemoteRef* ref) override;
  // A tensor the peer shared by CUDA IPC, mapped here as a proxy of its handle; nullopt when it
  // cannot be (the caller makes a plain remote tensor).
  std::optional<tvm::ffi::Any> ImportIpcTensor(const v1::RemoteRef& ref);
  absl::StatusOr<tvm::ffi::Tensor> StageToHost(const DLTensor& tensor) override;
  std::optional<uint64_t> DeferTensorBytes(const char* data, uint64_t bytes,
                                           TVMFFIObject* owner) override;
  absl::Status ReadTensorBytes(uint64_t stream_id, char* dest, uint64_t bytes) override;
  bool ShareTensorBytes(const char* data, uint64_t bytes, v1::SharedBytes* out) override;
  bool StageTensorBytes(const char* data, uint64_t bytes, v1::SharedBytes* out) override;
  absl::Status ReadStagedBytes(const v1::SharedBytes& shared, char* dest, uint64_t bytes) override;
  absl::StatusOr<std::shared_ptr<char>> AdoptStagedBytes(const v1::SharedBytes& shared,
                                                         uint64_t bytes) override;
  absl::StatusOr<std::shared_ptr<char>> MapSharedBytes(const v1::SharedBytes& shared,
                                                       uint64_t bytes) override;

  // Writes frame, then the chunk frames of deferred, with no other frame in between.
  absl::Status WriteWithChunks(const v1::Frame& frame, const std::vector<DeferredTensor>& deferred);

  absl::StatusOr<tvm::ffi::Any> SendCall(v1::Call* call, const tvm::ffi::AnyView* args,
                                         int32_t num_args, absl::Duration timeout);
  absl::Status SendHello();
  void ReadLoop();
  class StreamUse;
  // Answers a frame that did not parse (its head only): fails its call, if it has one. False
  // when there is none, and the session must end.
  bool AnswerUnparsed(const v1::Frame& head, const absl::Status& why);
  // False when this thread handed the reading over (it ran a call meanwhile).
  bool HandleFrame(v1::Frame* frame, StreamUse& use);
  absl::Status DecodeArgs(const v1::Call& call, std::vector<tvm::ffi::Any>* args);
  absl::StatusOr<tvm::ffi::Function> ResolveTarget(const v1::Call& call);
  // Runs the peer's call and answers it; releases its `bytes` from the flow limit just before.
  void ServeCall(const v1::Call& call, std::vector<tvm::ffi::Any> args,
                 const std::shared_ptr<internal::ServedCall>& served, uint64_t bytes);
  // Counts an incoming call of `bytes` against this session's in-flight bounds; false when over.
  bool AdmitCall(uint64_t bytes);
  void ReleaseCall(uint64_t bytes);
  absl::Status Write(const v1::Frame& frame);
  // Waits (until deadline) for room under the peer's flow limit for a call of `bytes`, and
  // takes it; ReleaseWindow gives it back once the call is answered.
  absl::Status AcquireWindow(uint64_t bytes, absl::Time deadline);
  void ReleaseWindow(uint64_t bytes);
  // Threads inside stream_ (reading or writing). Shutdown stops new ones; Run returns once the
  // last has left, because the transport (a gRPC handler's stream) dies with Run.
  bool EnterStream();
  void LeaveStream();

  std::unique_ptr<FrameStream> stream_;
  std::shared_ptr<Dispatcher> dispatcher_;
  EndpointOptions options_;
  std::unique_ptr<internal::HandleTable> exports_;
  std::unique_ptr<internal::PendingCalls> pending_;
  std::unique_ptr<internal::ProxyTable> proxies_;
  std::unique_ptr<internal::StagingArea> staging_;     // same host: slots lent and mapped
  std::unique_ptr<internal::SessionStreams> streams_;  // null without options.session_streams
  // The peer's calls admitted and not yet answered, by id: Cancel frames find them here.
  std::mutex served_mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<internal::ServedCall>> served_;
  std::atomic<bool> closed_{false};
  std::atomic<int> serving_{0};
  std::atomic<uint64_t> bytes_in_flight_{0};
  std::atomic<uint64_t> max_frame_bytes_{0};
  std::atomic<bool> shares_memory_{false};
  std::atomic<bool> peer_imports_ipc_{false};  // the peer's Hello said cuda_ipc
  std::atomic<bool> keep_all_tensors_{false};
  // The flow window: this side's calls outstanding, against the bounds the peer's Hello said.
  mutable std::mutex flow_mutex_;
  std::condition_variable flow_cv_;
  int calls_out_ = 0;            // under flow_mutex_
  uint64_t bytes_out_ = 0;       // under flow_mutex_
  bool hello_seen_ = false;      // under flow_mutex_
  uint32_t peer_max_calls_ = 0;  // under flow_mutex_; from the peer's Hello (or our defaults)
  uint64_t peer_max_bytes_ = 0;  // under flow_mutex_
  mutable std::mutex peer_mutex_;
  std::string peer_name_;
  absl::Status close_reason_;  // under peer_mutex_
  std::weak_ptr<void> keepalive_;
  std::mutex write_mutex_;  // a frame and its tensor chunks go out together
  std::mutex stream_mutex_;
  std::condition_variable stream_cv_;
  int stream_users_ = 0;
  bool stream_closed_ = false;  // Shutdown closed it: no thread enters stream_ any more
  std::thread reader_;
  std::mutex data_channel_mutex_;
  DataChannelOpener data_channel_opener_;            // under data_channel_mutex_
  std::shared_ptr<DataChannelClient> data_channel_;  // under data_channel_mutex_
  bool data_channel_tried_ = false;                  // under data_channel_mutex_
  std::atomic<int64_t> last_received_ns_;  // absl::GetCurrentTimeNanos() of the last frame
  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_cv_;  // Shutdown wakes the heartbeat to end it
  std::thread heartbeat_;
};

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_ENDPOINT_H_
