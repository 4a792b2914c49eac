// tvmffi-server: publishes this process's TVM-FFI functions and modules over gRPC.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "tvmffi/grpc/credential_files.h"
#include "tvmffi/server/server.h"

namespace {

constexpr char kUsage[] = R"(Usage: tvmffi-server [options]

Publishes the TVM-FFI global functions of this process and of the modules it loads, so that
clients can call them over gRPC (tvmffi::rpc::Connect, or `tvmffi call`).

Options:
  --listen ADDR          address to serve on (default 127.0.0.1:50051). host:port, with
                         port 0 for any free port, or unix:PATH for a unix socket. Loopback
                         unless you say otherwise.
  --port-file FILE       write the bound port (a number and a newline) to FILE once serving
  --load FILE            load a module (a shared library) at start; published under its file
                         stem, e.g. my_ops.so -> "my_ops". Repeatable.
  --module-dir DIR       let clients load modules by name from DIR (never by path). Off when
                         absent.
  --allow-upload         let clients send a module's file to load (Session::UploadModule,
                         `tvmffi upload`). It runs their code in this server (in a worker with
                         --isolate): turn it on only behind --token-file or mutual TLS.
                         Uploaded files live in a private temporary directory. Off by default.
  --expose PREFIX        publish only globals whose names start with PREFIX. Repeatable.
  --hide PREFIX          do not publish globals whose names start with PREFIX. Repeatable.
                         The runtime's own ffi.* functions are never published.
  --token-file FILE      require "authorization: Bearer <token>" on every RPC, the token being
                         FILE's first line
  --tls-cert FILE        serve TLS with this PEM certificate chain (needs --tls-key)
  --tls-key FILE         the PEM private key of --tls-cert
  --tls-client-ca FILE   require client certificates signed by this PEM CA (mutual TLS;
                         needs --tls-cert and --tls-key)
  --max-message-mb N     largest gRPC message in MiB (default 64)
  --max-sessions N       most concurrent sessions (default 64)
  --max-sessions-per-peer N  most concurrent sessions from one client address (default 32),
                         so one client cannot hold every session
  --session-idle-timeout SECONDS  close a session that has received nothing and had no call
                         in flight for this long (default 300; 0: never). The C++ client
                         sends a heartbeat every 30 s, so its quiet sessions stay open.
  --max-device-memory MB  most memory one session may hold in tensors made on the server
                         (Session::Empty; any device, host memory of CPU tensors included).
                         Past it: MemoryError (default: no bound)
  --max-threads N        most worker threads running clients' calls, over all sessions
                         (default 1024). Past it calls wait in a queue; a session that has
                         4096 calls or 256 MiB of arguments running or queued gets
                         RESOURCE_EXHAUSTED for the next one.
  --drain-timeout SECONDS  on SIGTERM/SIGINT, how long running calls may take to finish
                         before the server exits anyway (default 10)
  --call-timeout SECONDS longest the server waits for a client's callback (a client function
                         passed as an argument) before failing it with TimeoutError
                         (default: no limit)
  --isolate              run each module (--load, --module-dir) in its own worker process: a
                         module that crashes or hangs fails its calls with RemoteCrashError
                         (signal and the worker's backtrace), the server keeps serving and
                         the next call starts a fresh worker. Globals and system-library
                         symbols the module registers are served from its worker.
  --worker-timeout SECONDS  with --isolate: a call running longer is failed with
                         RemoteCrashError and its worker killed (default: no limit)
  --no-shared-memory     refuse tensors passed by reference in shared memory; clients on this
                         host then send their bytes (default: same-host clients' shared
                         tensors are mapped, not copied; never across hosts)
  --name NAME            this server's name in clients' error backtraces
                         (default tvmffi-server)
  --log-level LEVEL      error, warning, info (default) or debug
  --help                 show this text

SIGTERM or SIGINT: stop accepting sessions, let running calls finish (up to --drain-timeout),
exit 0, also when a call is still running then.
)";

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "tvmffi-server: " << message << "\n(see tvmffi-server --help)\n";
  std::exit(2);
}

std::atomic<int> g_signal{0};

void OnSignal(int sig) { g_signal.store(sig); }

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--isolate-worker") {
    return tvmffi::rpc::RunIsolatedWorker(argc, argv);  // started by --isolate, not by hand
  }
  tvmffi::rpc::ServerOptions options;
  std::string port_file, log_level = "info";
  absl::Duration drain_timeout = absl::Seconds(10);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) Fail(std::string(flag) + " needs a value");
      return argv[++i];
    };
    auto checked = [&](const char* flag, absl::StatusOr<std::string> text) {
      if (!text.ok()) Fail(std::string(flag) + ": " + std::string(text.status().message()));
      return *std::move(text);
    };
    // A PEM file holding `what` (e.g. "CERTIFICATE"), read now so a wrong file is named here.
    auto pem = [&](const char* flag, const char* what) {
      std::string path = value(flag);
      std::string text = checked(flag, tvmffi::rpc::ReadWholeFile(path));
      if (text.find("-----BEGIN ") == std::string::npos ||
          text.find(std::string(what) + "-----") == std::string::npos) {
        Fail(std::string(flag) + ": " + path + " holds no PEM " + what);
      }
      return text;
    };
    auto seconds = [&](const char* flag) {
      double s = 0;
      if (!absl::SimpleAtod(value(flag), &s) || s <= 0) {
        Fail(std::string(flag) + " takes a positive number of seconds");
      }
      return absl::Seconds(s);
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--listen") {
      options.listen = value("--listen");
    } else if (arg == "--port-file") {
      port_file = value("--port-file");
    } else if (arg == "--load") {
      options.load.push_back(value("--load"));
    } else if (arg == "--module-dir") {
      options.module_dir = value("--module-dir");
    } else if (arg == "--expose") {
      options.expose.push_back(value("--expose"));
    } else if (arg == "--hide") {
      options.hide.push_back(value("--hide"));
    } else if (arg == "--token-file") {
      options.token = checked("--token-file", tvmffi::rpc::ReadTokenFile(value("--token-file")));
      if (options.token.empty()) Fail("--token-file has an empty first line");
    } else if (arg == "--tls-cert") {
      options.tls_cert_pem = pem("--tls-cert", "CERTIFICATE");
    } else if (arg == "--tls-key") {
      options.tls_key_pem = pem("--tls-key", "PRIVATE KEY");
    } else if (arg == "--tls-client-ca") {
      options.tls_client_ca_pem = pem("--tls-client-ca", "CERTIFICATE");
    } else if (arg == "--max-message-mb") {
      int mb = 0;
      if (!absl::SimpleAtoi(value("--max-message-mb"), &mb) || mb <= 0 || mb > 2047) {
        Fail("--max-message-mb takes a number from 1 to 2047");
      }
      options.max_message_bytes = static_cast<uint64_t>(mb) << 20;
    } else if (arg == "--max-sessions") {
      if (!absl::SimpleAtoi(value("--max-sessions"), &options.max_sessions) ||
          options.max_sessions <= 0) {
        Fail("--max-sessions takes a positive number");
      }
    } else if (arg == "--max-sessions-per-peer") {
      if (!absl::SimpleAtoi(value("--max-sessions-per-peer"), &options.max_sessions_per_peer) ||
          options.max_sessions_per_peer <= 0) {
        Fail("--max-sessions-per-peer takes a positive number");
      }
    } else if (arg == "--session-idle-timeout") {
      double s = -1;
      if (!absl::SimpleAtod(value("--session-idle-timeout"), &s) || s < 0) {
        Fail("--session-idle-timeout takes a number of seconds (0: never)");
      }
      options.session_idle_timeout = s == 0 ? absl::InfiniteDuration() : absl::Seconds(s);
    } else if (arg == "--max-device-memory") {
      uint64_t mb = 0;
      if (!absl::SimpleAtoi(value("--max-device-memory"), &mb) || mb == 0 || mb > (1ull << 40)) {
        Fail("--max-device-memory takes a positive number of MiB");
      }
      options.max_device_memory = mb << 20;
    } else if (arg == "--max-threads") {
      if (!absl::SimpleAtoi(value("--max-threads"), &options.max_threads) ||
          options.max_threads <= 0) {
        Fail("--max-threads takes a positive number");
      }
    } else if (arg == "--drain-timeout") {
      drain_timeout = seconds("--drain-timeout");
    } else if (arg == "--call-timeout") {
      options.call_timeout = seconds("--call-timeout");
    } else if (arg == "--isolate") {
      options.isolate = true;
    } else if (arg == "--worker-timeout") {
      options.worker_timeout = seconds("--worker-timeout");
    } else if (arg == "--allow-upload") {
      options.allow_upload = true;
    } else if (arg == "--no-shared-memory") {
      options.shared_memory = false;
    } else if (arg == "--name") {
      options.name = value("--name");
    } else if (arg == "--log-level") {
      log_level = value("--log-level");
      if (log_level != "error" && log_level != "warning" && log_level != "info" &&
          log_level != "debug") {
        Fail("--log-level takes error, warning, info or debug");
      }
    } else {
      Fail("unknown option " + arg);
    }
  }
  if (options.worker_timeout != absl::InfiniteDuration() && !options.isolate) {
    Fail("--worker-timeout needs --isolate");
  }
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    Fail("--tls-cert and --tls-key go together");
  }
  if (!options.tls_client_ca_pem.empty() && options.tls_cert_pem.empty()) {
    Fail(
        "--tls-client-ca needs --tls-cert and --tls-key (client certificates are checked only "
        "over TLS; without them the server would serve plaintext)");
  }
  // gRPC's own logging: quiet unless debugging.
  if (log_level != "debug") setenv("GRPC_VERBOSITY", "ERROR", 0);

  auto server = tvmffi::rpc::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "tvmffi-server: " << server.status().message() << "\n";
    return 1;
  }
  int port = (*server)->port();
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), port_file.c_str());  // readers never see a half-written file
  }
  if (log_level != "error" && log_level != "warning") {
    std::cerr << "tvmffi-server: serving on " << options.listen
              << (port != 0 && options.listen.rfind("unix:", 0) != 0
                      ? " (port " + std::to_string(port) + ")"
                      : "")
              << "\n";
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  while (g_signal.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (log_level != "error" && log_level != "warning") {
    std::cerr << "tvmffi-server: signal " << g_signal.load() << ", draining\n";
  }
  if (!(*server)->Shutdown(drain_timeout)) {
    // A function that never returns holds a thread; it must not hold the process.
    std::cerr << "tvmffi-server: calls still running after --drain-timeout ("
              << absl::FormatDuration(drain_timeout) << "); exiting without them\n";
    std::cerr.flush();
    std::_Exit(0);
  }
  (*server)->Wait();
  return 0;
}
