// The tvmffi-rpc client: connect to a tvmffi-server and call its functions through ordinary
// ffi::Function proxies, errors and backtraces included.
//
//   auto session = tvmffi::rpc::Connect("gpu-host:50051");
//   ffi::Function add_one = session.GetGlobalRequired("my_ext.add_one");
//   int r = add_one(41).cast<int>();                       // 42
//   ffi::Module mod = session.LoadModule("my_ops");        // from the server's --module-dir
//   ffi::Function add_two = mod->GetFunction("add_two").value();
//
// Everything here throws ffi::Error: the server's own errors keep their kind and message, with
// the server's backtrace first; transport failures are ConnectionError (peer gone),
// TimeoutError (deadline) or RPCError (other gRPC failures, with the status code).
#ifndef TVMFFI_RPC_CLIENT_H_
#define TVMFFI_RPC_CLIENT_H_

#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tvmffi/session/remote_tensor.h"

namespace tvmffi::rpc {

class Endpoint;

struct ConnectOptions {
  std::string token;                // sent as "authorization: Bearer <token>"
  bool tls = false;                 // use TLS (roots below, else the system's)
  std::string tls_root_certs_pem;   // trust these CAs
  std::string tls_client_cert_pem;  // mutual TLS: this client's certificate...
  std::string tls_client_key_pem;   // ...and key
  std::string tls_server_name;      // expected name in the server's certificate ("" = host)
  double connect_timeout_s = 10;    // waiting for the server at Connect
  double call_timeout_s = 0;        // default limit per remote call (0 = none)
  uint64_t max_message_bytes = 64ull << 20;
  std::string name = "tvmffi-client";  // this side's name in the server's backtraces
  bool shared_memory = true;           // same host: tensors from NewSharedTensor go by reference
  // RemoteTensor::CopyFrom and ToHost move bytes over the server's data channel (a plain TCP
  // connection beside the session, opened on first use; see tvmffi-server --data-port) when
  // the server offers one and the session neither shares memory nor uses TLS; where it cannot
  // be reached they go through the stream.
  bool data_channel = true;
  // An empty frame this often keeps a quiet session from the server's --session-idle-timeout
  // (0 = none); gRPC keepalive pings every 60 s find a vanished server.
  double heartbeat_s = 30;
  // Every tensor a server function returns stays on the server and arrives as a RemoteTensor
  // (by default only tensors on a device do; host tensors come by value).
  bool keep_tensor_results_remote = false;
  // gRPC's load balancing over the addresses a target resolves to (dns:///name:port, or
  // ipv4:a:p,b:q): "round_robin" (default) spreads a Client's stateless calls over every
  // server; "pick_first" sends them all to one. A Session is one stream: it stays on the server
  // that took it, whatever the policy.
  std::string load_balancing = "round_robin";
  // Client only: a stateless call that failed with UNAVAILABLE (its server went away) is made
  // again, on another server: by gRPC's retry policy when it never reached a server, and by
  // the Client when it had (up to 4 attempts, 50 ms backoff doubling, within call_timeout_s).
  // Only for functions that may run twice: the first attempt may have run before its server
  // went.
  bool retry_unavailable = false;
  // gRPC's service config (JSON) for the channel. "" (default): the one load_balancing and
  // retry_unavailable make; set, it replaces that one whole (so it names its own policy, its
  // retries, its health checking). ValueError when it is not a JSON object.
  std::string service_config;
  // More gRPC channel arguments (GRPC_ARG_* names: "grpc.max_receive_message_length", ...), set
  // after the client's own, which they override.
  std::map<std::string, int> channel_int_args;
  std::map<std::string, std::string> channel_string_args;
};

// A published function as the server describes it.
struct FunctionDescription {
  std::string name;
  std::string doc;        // the docstring it was registered with; "" when none
  std::string signature;  // "(int, ffi.Tensor) -> int" from its type schema; "" when unknown
};

// A device the server drives.
struct DeviceInfo {
  DLDevice device{kDLCPU, 0};
  std::string name;                  // "NVIDIA H100 80GB HBM3", or the CPU's model name
  uint64_t total_memory = 0;         // bytes
  uint64_t free_memory = 0;          // bytes, when the server answered
  int compute_capability_major = 0;  // CUDA only
  int compute_capability_minor = 0;
  int multiprocessor_count = 0;  // CUDA SMs; CPU: online cores
};

// Information a server reports about itself.
struct ServerInfo {
  std::string server_version;
  std::string ffi_version;
  uint32_t protocol_version = 0;
  bool module_dir_enabled = false;
  bool auth_required = false;
  bool isolate = false;            // the server runs modules in worker processes (--isolate)
  bool upload_enabled = false;     // clients may upload modules (--allow-upload)
  uint64_t max_message_bytes = 0;  // the server's --max-message-mb
  std::vector<std::string> loaded_modules;
  std::vector<DeviceInfo> devices;  // CPU first
  std::string cuda_status;          // "" when the server can use CUDA, else why not
  // The server's limits by name (docs/operations.md), 0 where there is none:
  // max_message_bytes, max_sessions, max_sessions_per_peer, session_idle_timeout_ms,
  // call_timeout_ms, max_threads, max_device_memory, max_calls_in_flight, max_bytes_in_flight,
  // worker_timeout_ms, shared_memory (1: same-host clients may share memory). Empty from a
  // server that does not say.
  std::vector<std::pair<std::string, int64_t>> limits;
};

// A tensor that lives on the server (made by Session::Empty, or a tensor result left there,
// e.g. on its GPU). Passing it to a remote function passes the server's own tensor: no bytes
// move. It is an object of its own type, never an ffi::Tensor with a foreign data pointer, so
// local code cannot dereference the server's memory by mistake. The server frees it when the
// last RemoteTensor of it goes, or when the session ends.
class RemoteTensor : public tvm::ffi::ObjectRef {
 public:
  const std::vector<int64_t>& shape() const { return get()->shape(); }
  DLDataType dtype() const { return get()->dtype(); }
  DLDevice device() const { return get()->device(); }
  // Copies host's bytes into it (same dtype and shape; host may be strided). ValueError for a
  // tensor that is not in host memory.
  void CopyFrom(const tvm::ffi::Tensor& host) const;
  void CopyFrom(const DLTensor* host) const;
  // Its bytes, copied into a new host tensor.
  tvm::ffi::Tensor ToHost() const;
  // Its bytes, copied into host: an existing tensor in host memory of the same dtype and shape
  // (strided too). A compact one is written in place, with no new allocation (what a loop that
  // reads a result every time wants). ValueError for a tensor that is not in host memory or
  // whose dtype or shape differ.
  void CopyTo(const tvm::ffi::Tensor& host) const;
  void CopyTo(DLTensor* host) const;
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(RemoteTensor, tvm::ffi::ObjectRef, RemoteTensorObj);
};

// How Session::TimeEvaluator times (as Apache TVM's time_evaluator).
struct TimeEvaluatorOptions {
  int number = 1;         // calls per repeat (grown until a repeat lasts min_repeat_ms)
  int repeat = 3;         // repeats, one result each
  int min_repeat_ms = 0;  // the shortest a repeat may last
  int cooldown_ms = 0;    // pause between repeats
};

// One session: a bidirectional stream to one server. Copies share the session; it ends when
// the last copy and every proxy made from it are gone, or at Close().
class Session {
 public:
  // The server's global `name` as a proxy function, or nullopt when the server has none.
  std::optional<tvm::ffi::Function> GetGlobal(const std::string& name) const;
  // Like GetGlobal; ValueError "Function <name> not found" when missing.
  tvm::ffi::Function GetGlobalRequired(const std::string& name) const;
  // The server's published global names starting with prefix.
  std::vector<std::string> ListGlobalNames(const std::string& prefix = "") const;
  // The same functions with their docstrings and signatures (those of an --isolate module's
  // functions are not known to the server's front and come back empty).
  std::vector<FunctionDescription> DescribeGlobals(const std::string& prefix = "") const;
  // A module the server loaded (--load, by file stem) or loads from its --module-dir.
  tvm::ffi::Module LoadModule(const std::string& name) const;
  // Sends the shared library at local_path to the server, which loads it and serves it as a
  // module named `name` (default: the file's stem, e.g. my_ops.so -> "my_ops"). Needs a server
  // started with --allow-upload (else PermissionError); ValueError when the name is taken.
  // With replace, a module of that name is replaced: its globals go and the new file's come,
  // calls in flight finish on the old code and the next call reaches the new one (under
  // --isolate, a worker on the new file); if the new file does not load, the old one stays.
  // The file goes in pieces of at most 4 MiB (no message-size limit; the server's is
  // --max-upload-mb, ValueError past it); progress, when set, is called after each piece with
  // the bytes sent so far and the file's size.
  tvm::ffi::Module UploadModule(
      const std::string& local_path, const std::string& name = "", bool replace = false,
      const std::function<void(uint64_t sent, uint64_t total)>& progress = nullptr) const;
  // The server stops serving the module `name` and the globals it registered (calls in flight
  // finish), so it can be loaded again from --module-dir or uploaded anew. Proxies of its
  // functions already held keep working on the old code. PermissionError for a module of the
  // operator's (--load) unless the server allows uploads; ValueError when it is not loaded.
  void UnloadModule(const std::string& name) const;
  // The functions module `name` exports (its library's `__tvm_ffi_<fn>` symbols), sorted; the
  // module is loaded as by LoadModule first.
  std::vector<std::string> ModuleFunctionNames(const std::string& name) const;
  // The module names LoadModule may take from the server's --module-dir, sorted (at most 4096);
  // PermissionError when the server has none.
  std::vector<std::string> AvailableModules() const;
  // The server's system library for prefix (see ffi.SystemLib).
  tvm::ffi::Module SystemLib(const std::string& prefix = "") const;
  // Registers proxies of the server's globals starting with prefix in this process's global
  // registry (overriding same-named ones), so unchanged code that looks functions up by name
  // (TVMFFIFunctionGetGlobal + TVMFFIFunctionCall) calls the server. Returns how many.
  int ImportGlobals(const std::string& prefix) const;
  ServerInfo Info() const;
  // The server's devices with their facts (Info().devices).
  std::vector<DeviceInfo> Devices() const;
  // A new, uninitialized tensor on the server's device (kDLCPU or kDLCUDA). ValueError for a
  // device the server does not have, MemoryError when it is full.
  RemoteTensor Empty(tvm::ffi::Shape shape, DLDataType dtype, DLDevice device) const;
  // A timer of the server's function remote_fn: timer(args...) runs remote_fn(args...) on the
  // server options.number times per repeat, the device synchronized around each repeat (after
  // one untimed warm-up call), and returns an ffi::Array<double> of seconds per call, one per
  // repeat: the function's time, not the network's. Pass remote tensors to time a kernel on
  // data that stays on the server.
  tvm::ffi::Function TimeEvaluator(const tvm::ffi::Function& remote_fn, DLDevice device,
                                   TimeEvaluatorOptions options = {}) const;
  // True when the server is on this host and both sides allow shared memory: tensors made by
  // NewSharedTensor then cross by reference (the server sees and writes the same bytes).
  bool SharesMemory() const;
  // True when RemoteTensor copies of this session go over the server's data channel (opened
  // here on first use when the session does not share memory; see ConnectOptions).
  bool UsesDataChannel() const;
  // Ends the session: later calls through its proxies fail with ConnectionError.
  void Close();
  const std::string& target() const { return target_; }

 private:
  friend Session Connect(const std::string& target, const ConnectOptions& options);
  Session(std::shared_ptr<Endpoint> endpoint, std::string target, double call_timeout_s);
  tvm::ffi::Any Op(const char* op, std::vector<tvm::ffi::Any> args) const;

  std::shared_ptr<Endpoint> endpoint_;
  std::shared_ptr<void> closer_;  // shuts the session down when the last copy goes
  std::string target_;
  double call_timeout_s_ = 0;
};

// Stateless calls (the Call RPC): each call is one request and one response, on whichever
// server of the target the load balancing picks, so calls spread over every server a DNS name
// or address list resolves to. Values only: arguments and results are copied (tensors included,
// within the message limit); functions, modules and other objects cannot cross (TypeError).
// Copies share one channel; thread-safe.
class Client {
 public:
  // Connects lazily: the first call waits up to options.connect_timeout_s for a server.
  explicit Client(const std::string& target, const ConnectOptions& options = {});
  // The server's global `name`(args...), or module `module`'s function when module is set.
  // Throws ffi::Error as a proxy does: the server's errors with their kind and backtrace, and
  // ConnectionError / TimeoutError / RPCError for the transport.
  tvm::ffi::Any Call(const std::string& name, const std::vector<tvm::ffi::Any>& args = {},
                     const std::string& module = "") const;
  // Where a failed Call failed: reaching the server or being let in (unreachable, refused
  // token or certificate, past the deadline, the server going away: the RPC itself failed),
  // or on the server, answering (the function threw, no such function, a value it cannot
  // send). The CLI tells them apart by exit status.
  enum class Failure { kNone, kTransport, kServer };
  // As Call; *failure says where it failed when it throws (kNone when it returns).
  tvm::ffi::Any Call(const std::string& name, const std::vector<tvm::ffi::Any>& args,
                     const std::string& module, Failure* failure) const;
  // The server's metrics (the GetStats RPC): Prometheus text, as on its --metrics-listen.
  std::string Stats() const;
  // The status the server's gRPC health service (grpc.health.v1) gives `service` ("": the
  // server as a whole): "SERVING", "NOT_SERVING" (draining, or a --require-module missing),
  // "SERVICE_UNKNOWN" or "UNKNOWN". Throws ConnectionError / TimeoutError when it cannot ask.
  std::string Health(const std::string& service = "") const;
  const std::string& target() const { return target_; }

 private:
  struct State;
  void WaitConnected() const;  // the first call's wait for a server; throws when none came
  std::shared_ptr<State> state_;
  std::string target_;
};

// The name a module file is served under: its file stem (/x/my_ops.so -> "my_ops").
std::string ModuleStem(const std::string& path);

// A CPU tensor whose bytes live in shared memory. Passed to a session that SharesMemory(), it
// travels as a reference: nothing is copied, and the server's writes are visible here (and
// a tensor the server returns that lies in it comes back as a view of the same bytes). To
// any other session it is sent by value like any tensor. MemoryError when /dev/shm is full.
tvm::ffi::Tensor NewSharedTensor(tvm::ffi::Shape shape, DLDataType dtype);

// Opens a session with the server at target ("host:port", "unix:PATH", "dns:///name:port").
// ConnectionError when the server cannot be reached in time; PermissionError for a bad token.
Session Connect(const std::string& target, const ConnectOptions& options = {});

}  // namespace tvmffi::rpc

#endif  // TVMFFI_RPC_CLIENT_H_
