// tvmffi-server as a library: a gRPC server that publishes the process's global functions,
// the operator's modules and (when allowed) modules from a directory, over Session streams
// and stateless Calls.
#ifndef TVMFFI_SERVER_SERVER_H_
#define TVMFFI_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tvmffi::rpc {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // host:port (port 0 picks one) or unix:PATH
  std::vector<std::string> load;           // module files loaded at start, named by file stem
  std::string module_dir;                  // clients may load modules by name from here ("" = off)
  bool allow_upload = false;  // clients may send a module's bytes to load (runs their code!)
  uint64_t max_upload_bytes = 1ull << 30;  // the largest module a client may upload (0: none)
  std::string token;                       // required as "authorization: Bearer <token>" ("" = off)
  std::string tls_cert_pem, tls_key_pem;   // both set: TLS
  std::string tls_client_ca_pem;           // set: clients must present a certificate it signed
  std::vector<std::string> expose;         // only globals with these prefixes are published
  std::vector<std::string> hide;           // globals with these prefixes are not published
  uint64_t max_message_bytes = 64ull << 20;  // one gRPC message
  int max_sessions = 64;                     // concurrent Session streams
  int max_sessions_per_peer = 32;            // of those, from one client address
  // Device memory (any device, host memory of CPU tensors included) one session may hold in
  // tensors made on the server (Session::Empty). 0: no bound.
  uint64_t max_device_memory = 0;
  // A session that has received nothing (clients send a heartbeat every 30 s) and has no call
  // in flight for this long is closed. Infinite: never.
  absl::Duration session_idle_timeout = absl::Seconds(300);
  absl::Duration call_timeout = absl::InfiniteDuration();  // limit on callbacks into clients
  std::string name = "tvmffi-server";                      // shown in clients' error backtraces
  // Clients on this host may pass shared-memory tensors by reference (never across hosts).
  bool shared_memory = true;
  // The data channel (session/data_channel.h): clients copy remote tensors' bytes over a plain
  // TCP connection to this port on the --listen host, beside the gRPC stream, authorized by a
  // ticket their session got. -1: off. 0: a free port. Never with TLS (it is not encrypted)
  // nor for a unix-socket listen address; clients on this host use shared memory instead.
  int data_port = 0;
  // Serve the metrics (Prometheus text) over HTTP at http://ADDR/metrics ("" = off; they are
  // also answered by the GetStats RPC, token and TLS included).
  std::string metrics_listen;
  // Run each module in its own worker process (a crash or hang fails its calls, not the server).
  bool isolate = false;
  absl::Duration worker_timeout = absl::InfiniteDuration();  // longest call before a kill
  // Worker threads running clients' calls, over all sessions; past it calls queue.
  int max_threads = 1024;
  std::string worker_program;  // the binary started with --isolate-worker ("": this one)
  // Modules (by name) the server needs before its health service says SERVING; those not
  // loaded by `load` are loaded from module_dir at start when there, else awaited (an upload).
  // The health status follows them: unloading one turns it NOT_SERVING again.
  std::vector<std::string> require_modules;
  // Serve gRPC's channelz (grpc.channelz.v1: channels, sockets, peers' addresses; no token).
  bool channelz = false;
};

class Server {
 public:
  // Loads the operator's modules, binds and starts serving. Errors: a module that fails to
  // load, an address that cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);
  virtual ~Server() = default;
  // The bound TCP port (0 for unix sockets).
  virtual int port() const = 0;
  // The data channel's port (0: none).
  virtual int data_port() const = 0;
  // The metrics' HTTP port (0: none).
  virtual int metrics_port() const = 0;
  // Drains: the health service says NOT_SERVING and no new session is admitted (stateless
  // calls still are); sessions end once their calls are done. Then stops taking new RPCs,
  // lets in-flight ones finish (all within grace), and cancels the rest.
  // Returns within about grace whatever the calls do: false when some are still running
  // (a hung function holds its thread): the process should then end without destroying the
  // server, e.g. with std::_Exit, as tvmffi-server does.
  virtual bool Shutdown(absl::Duration grace) = 0;
  // Blocks until the server has shut down.
  virtual void Wait() = 0;
  // Session streams open right now.
  virtual int num_sessions() const = 0;
};

// The body of `tvmffi-server --isolate-worker ...`: serves one module to the front that
// started it. Returns the process's exit code.
int RunIsolatedWorker(int argc, char** argv);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SERVER_SERVER_H_
