#include "flags.h"

#include <tvm/ffi/c_api.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tvmffi/grpc/credential_files.h"

#ifndef TVMFFI_RPC_VERSION
#define TVMFFI_RPC_VERSION "unknown"
#endif

namespace tvmffi::rpc::internal {
namespace {

constexpr char kDescription[] =
    R"(Publishes the TVM-FFI global functions of this process and of the modules it loads, so that
clients can call them over gRPC (tvmffi::rpc::Connect, or `tvmffi call`).
Every flag takes its value as `--flag value` or `--flag=value`.)";

constexpr char kFooter[] = R"(
SIGTERM or SIGINT: stop accepting sessions, let running calls finish (up to --drain-timeout),
exit 0, also when a call is still running then.

Exit status: 0 after serving (or --check-config, --help, --version); 1 when the server cannot
start (a port in use, a module that does not load); 2 for a mistake on the command line.)";

// A mistake on the command line: said once, on stderr, with where to read more.
struct Mistake {
  std::string message;
};

std::string VersionText() {
  TVMFFIVersion v;
  TVMFFIGetVersion(&v);
  return absl::StrCat("tvmffi-server ", TVMFFI_RPC_VERSION, " (TVM-FFI ABI ", v.major, ".", v.minor,
                      ".", v.patch, ")");
}

// Every flag's value as the user wrote it; turned into ServerConfig by Convert.
struct Raw {
  std::string listen, port_file, module_dir, token_file, tls_cert, tls_key, tls_client_ca;
  std::string max_message_mb, max_sessions, max_sessions_per_peer, session_idle_timeout;
  std::string max_device_memory, max_threads, drain_timeout, call_timeout, worker_timeout;
  std::string name, log_level, log_format, data_port, metrics_listen, max_upload_mb;
  std::vector<std::string> load, expose, hide, require_modules;
  bool allow_upload = false, isolate = false, no_shared_memory = false, check_config = false;
  bool channelz = false;
  bool no_data_channel = false;
};

void Describe(CLI::App& app, Raw& raw) {
  // Given twice, the last one counts (as a later layer of arguments overrides an earlier one).
  auto text = [&](const char* flag, std::string* to, const char* type, const char* help) {
    return app.add_option(flag, *to, help)
        ->type_name(type)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  auto list = [&](const char* flag, std::vector<std::string>* to, const char* type,
                  const char* help) {
    return app.add_option(flag, *to, help)
        ->type_name(type)
        ->expected(1)
        ->allow_extra_args(false)  // `--load a b`: b is no second value
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  text("--listen", &raw.listen, "ADDR",
       "address to serve on (default 127.0.0.1:50051). host:port, with\n"
       "port 0 for any free port, or unix:PATH for a unix socket. Loopback\n"
       "unless you say otherwise.");
  text("--port-file", &raw.port_file, "FILE",
       "write the bound port (a number and a newline) to FILE once serving");
  list("--load", &raw.load, "FILE",
       "load a module (a shared library) at start; published under its file\n"
       "stem, e.g. my_ops.so -> \"my_ops\". Repeatable.");
  text("--module-dir", &raw.module_dir, "DIR",
       "let clients load modules by name from DIR (never by path). Off when\nabsent.");
  list("--require-module", &raw.require_modules, "NAME",
       "the health service says NOT_SERVING until module NAME is loaded\n"
       "(by --load, from --module-dir at start, or uploaded), and again\n"
       "while it is unloaded. Repeatable.");
  app.add_flag("--allow-upload", raw.allow_upload,
               "let clients send a module's file to load (Session::UploadModule,\n"
               "`tvmffi upload`). It runs their code in this server (in a worker with\n"
               "--isolate): turn it on only behind --token-file or mutual TLS.\n"
               "Uploaded files live in a private temporary directory. Off by default.");
  text("--max-upload-mb", &raw.max_upload_mb, "N",
       "with --allow-upload: the largest module file a client may send, in\n"
       "MiB (default 1024). Uploads stream in pieces (no message-size limit)");
  list("--expose", &raw.expose, "PREFIX",
       "publish only globals whose names start with PREFIX. Repeatable.");
  list("--hide", &raw.hide, "PREFIX",
       "do not publish globals whose names start with PREFIX. Repeatable.\n"
       "The runtime's own ffi.* functions are never published.");
  text("--token-file", &raw.token_file, "FILE",
       "require \"authorization: Bearer <token>\" on every RPC, the token being\n"
       "FILE's first line")
      ->envname("TVMFFI_TOKEN_FILE");
  text("--tls-cert", &raw.tls_cert, "FILE",
       "serve TLS with this PEM certificate chain (needs --tls-key)")
      ->envname("TVMFFI_TLS_CERT");
  text("--tls-key", &raw.tls_key, "FILE", "the PEM private key of --tls-cert")
      ->envname("TVMFFI_TLS_KEY");
  text("--tls-client-ca", &raw.tls_client_ca, "FILE",
       "require client certificates signed by this PEM CA (mutual TLS;\n"
       "needs --tls-cert and --tls-key)")
      ->envname("TVMFFI_TLS_CLIENT_CA");
  text("--max-message-mb", &raw.max_message_mb, "N", "largest gRPC message in MiB (default 64)");
  text("--max-sessions", &raw.max_sessions, "N", "most concurrent sessions (default 64)");
  text("--max-sessions-per-peer", &raw.max_sessions_per_peer, "N",
       "most concurrent sessions from one client address (default 32),\n"
       "so one client cannot hold every session");
  text("--session-idle-timeout", &raw.session_idle_timeout, "SECONDS",
       "close a session that has received nothing and had no call\n"
       "in flight for this long (default 300; 0: never). The C++ client\n"
       "sends a heartbeat every 30 s, so its quiet sessions stay open.");
  text("--max-device-memory", &raw.max_device_memory, "MB",
       "most memory one session may hold in tensors made on the server\n"
       "(Session::Empty; any device, host memory of CPU tensors included).\n"
       "Past it: MemoryError (default: no bound)");
  text("--max-threads", &raw.max_threads, "N",
       "most worker threads running clients' calls, over all sessions\n"
       "(default 1024). Past it calls wait in a queue; a session that has\n"
       "4096 calls or 256 MiB of arguments running or queued gets\n"
       "RESOURCE_EXHAUSTED for the next one.");
  text("--drain-timeout", &raw.drain_timeout, "SECONDS",
       "on SIGTERM/SIGINT, how long running calls may take to finish\n"
       "before the server exits anyway (default 10)");
  text("--call-timeout", &raw.call_timeout, "SECONDS",
       "longest the server waits for a client's callback (a client function\n"
       "passed as an argument) before failing it with TimeoutError\n"
       "(default: no limit)");
  app.add_flag("--isolate", raw.isolate,
               "run each module (--load, --module-dir) in its own worker process: a\n"
               "module that crashes or hangs fails its calls with RemoteCrashError\n"
               "(signal and the worker's backtrace), the server keeps serving and\n"
               "the next call starts a fresh worker. Globals and system-library\n"
               "symbols the module registers are served from its worker.");
  text("--worker-timeout", &raw.worker_timeout, "SECONDS",
       "with --isolate: a call running longer is failed with\n"
       "RemoteCrashError and its worker killed (default: no limit)");
  app.add_flag("--no-shared-memory", raw.no_shared_memory,
               "clients on this host send every tensor through the socket: their\n"
               "shared tensors are refused and by-value tensors are not staged in\n"
               "shared memory (default: same-host clients' shared tensors are\n"
               "mapped, not copied, and large by-value ones are staged; never\n"
               "across hosts)");
  text("--data-port", &raw.data_port, "PORT",
       "the data channel's TCP port on the --listen host (default 0: a free\n"
       "one; clients learn it from their session). RemoteTensor CopyFrom and\n"
       "ToHost from other hosts move bytes over it instead of the gRPC\n"
       "stream, each connection authorized by its session's ticket. Off\n"
       "with TLS (it is not encrypted) and for a unix: listen address");
  text("--metrics-listen", &raw.metrics_listen, "HOST:PORT",
       "serve the metrics as Prometheus text at http://HOST:PORT/metrics\n"
       "(calls, errors and latency by function, sessions, workers, ...;\n"
       "no token or TLS there: keep it on a trusted network). Default:\n"
       "off; the GetStats RPC (`tvmffi stats`) answers them either way");
  app.add_flag("--channelz", raw.channelz,
               "serve gRPC's channelz (grpc.channelz.v1: channels, sockets and their\n"
               "peers' addresses, call counts) for grpcdebug and the like. No token\n"
               "there: keep it on a trusted network. Off by default");
  app.add_flag("--no-data-channel", raw.no_data_channel,
               "no data channel: remote tensors' bytes go through the gRPC stream");
  text("--name", &raw.name, "NAME",
       "this server's name in clients' error backtraces (default tvmffi-server)");
  text("--log-level", &raw.log_level, "LEVEL",
       "error, warning, info (default) or debug: info logs the start with\n"
       "the effective configuration, every session's open and close, module\n"
       "loads, worker crashes and the stop; debug adds every failed call");
  text("--log-format", &raw.log_format, "FORMAT",
       "text (default: one line per event, key=value fields) or json (one\n"
       "JSON object per line)");
  app.add_flag("--check-config", raw.check_config,
               "check every flag and value (files are not read), print \"ok\" and\n"
               "exit 0 without serving; exit 2 naming the first mistake");
}

// A positive number of MiB, at most max_mb, in bytes.
uint64_t PositiveMiB(const std::string& flag, const std::string& text, uint64_t max_mb) {
  uint64_t mb = 0;
  if (!absl::SimpleAtoi(text, &mb) || mb == 0 || mb > max_mb) {
    throw Mistake{flag + " takes a positive number of MiB"};
  }
  return mb << 20;
}

int PositiveInt(const std::string& flag, const std::string& text) {
  int n = 0;
  if (!absl::SimpleAtoi(text, &n) || n <= 0) throw Mistake{flag + " takes a positive number"};
  return n;
}

absl::Duration PositiveSeconds(const std::string& flag, const std::string& text) {
  double s = 0;
  if (!absl::SimpleAtod(text, &s) || !(s > 0)) {
    throw Mistake{flag + " takes a positive number of seconds"};
  }
  return absl::Seconds(s);
}

// A PEM file holding `what` (e.g. "CERTIFICATE"), read now so a wrong file is named here.
std::string Pem(const std::string& flag, const std::string& path, const char* what) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) throw Mistake{flag + ": " + std::string(text.status().message())};
  if (text->find("-----BEGIN ") == std::string::npos ||
      text->find(std::string(what) + "-----") == std::string::npos) {
    throw Mistake{flag + ": " + path + " holds no PEM " + what};
  }
  return *std::move(text);
}

ServerConfig Convert(const Raw& raw) {
  ServerConfig config;
  ServerOptions& o = config.options;
  if (!raw.listen.empty()) o.listen = raw.listen;
  config.port_file = raw.port_file;
  o.load = raw.load;
  o.module_dir = raw.module_dir;
  o.allow_upload = raw.allow_upload;
  if (!raw.max_upload_mb.empty()) {
    o.max_upload_bytes = PositiveMiB("--max-upload-mb", raw.max_upload_mb, 1ull << 20);
    if (!raw.allow_upload) throw Mistake{"--max-upload-mb needs --allow-upload"};
  }
  o.expose = raw.expose;
  o.hide = raw.hide;
  for (const std::string& name : raw.require_modules) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      throw Mistake{"--require-module takes a module name (a file stem, no '/'), not " + name};
    }
  }
  o.require_modules = raw.require_modules;
  o.channelz = raw.channelz;
  if (!raw.max_message_mb.empty()) {
    int mb = 0;
    if (!absl::SimpleAtoi(raw.max_message_mb, &mb) || mb <= 0 || mb > 2047) {
      throw Mistake{"--max-message-mb takes a number from 1 to 2047"};
    }
    o.max_message_bytes = static_cast<uint64_t>(mb) << 20;
  }
  if (!raw.max_sessions.empty()) o.max_sessions = PositiveInt("--max-sessions", raw.max_sessions);
  if (!raw.max_sessions_per_peer.empty()) {
    o.max_sessions_per_peer = PositiveInt("--max-sessions-per-peer", raw.max_sessions_per_peer);
  }
  if (!raw.session_idle_timeout.empty()) {
    double s = -1;
    if (!absl::SimpleAtod(raw.session_idle_timeout, &s) || !(s >= 0)) {
      throw Mistake{"--session-idle-timeout takes a number of seconds (0: never)"};
    }
    o.session_idle_timeout = s == 0 ? absl::InfiniteDuration() : absl::Seconds(s);
  }
  if (!raw.max_device_memory.empty()) {
    o.max_device_memory = PositiveMiB("--max-device-memory", raw.max_device_memory, 1ull << 40);
  }
  if (!raw.max_threads.empty()) o.max_threads = PositiveInt("--max-threads", raw.max_threads);
  if (!raw.drain_timeout.empty()) {
    config.drain_timeout = PositiveSeconds("--drain-timeout", raw.drain_timeout);
  }
  if (!raw.call_timeout.empty()) {
    o.call_timeout = PositiveSeconds("--call-timeout", raw.call_timeout);
  }
  o.isolate = raw.isolate;
  if (!raw.worker_timeout.empty()) {
    o.worker_timeout = PositiveSeconds("--worker-timeout", raw.worker_timeout);
    if (!o.isolate) throw Mistake{"--worker-timeout needs --isolate"};
  }
  o.shared_memory = !raw.no_shared_memory;
  if (!raw.data_port.empty()) {
    int port = -1;
    if (!absl::SimpleAtoi(raw.data_port, &port) || port < 0 || port > 65535) {
      throw Mistake{"--data-port takes a port number, 0 to 65535 (0: a free one)"};
    }
    if (raw.no_data_channel) throw Mistake{"--data-port and --no-data-channel contradict"};
    if (raw.listen.rfind("unix:", 0) == 0) {
      throw Mistake{"--data-port: a unix: listen address has no data channel"};
    }
    if (!raw.tls_cert.empty()) {
      throw Mistake{"--data-port: the data channel is not encrypted, so it is off with TLS"};
    }
    o.data_port = port;
  }
  if (raw.no_data_channel) o.data_port = -1;
  if (!raw.metrics_listen.empty()) {
    size_t colon = raw.metrics_listen.rfind(':');
    int port = -1;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(raw.metrics_listen.substr(colon + 1), &port) || port < 0 ||
        port > 65535) {
      throw Mistake{"--metrics-listen takes HOST:PORT (port 0: a free one)"};
    }
    o.metrics_listen = raw.metrics_listen;
  }
  if (!raw.name.empty()) o.name = raw.name;
  if (!raw.log_level.empty()) {
    if (raw.log_level != "error" && raw.log_level != "warning" && raw.log_level != "info" &&
        raw.log_level != "debug") {
      throw Mistake{"--log-level takes error, warning, info or debug"};
    }
    config.log_level = raw.log_level;
  }
  if (!raw.log_format.empty()) {
    if (raw.log_format != "text" && raw.log_format != "json") {
      throw Mistake{"--log-format takes text or json"};
    }
    config.log_format = raw.log_format;
  }
  if (raw.tls_cert.empty() != raw.tls_key.empty()) {
    throw Mistake{"--tls-cert and --tls-key go together"};
  }
  if (!raw.tls_client_ca.empty() && raw.tls_cert.empty()) {
    throw Mistake{
        "--tls-client-ca needs --tls-cert and --tls-key (client certificates are checked only "
        "over TLS; without them the server would serve plaintext)"};
  }
  config.check_config = raw.check_config;
  if (config.check_config)
    return config;  // files are read when serving (they may be mounted
                    // only where it runs)
  if (!raw.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(raw.token_file);
    if (!token.ok()) throw Mistake{"--token-file: " + std::string(token.status().message())};
    if (token->empty()) throw Mistake{"--token-file has an empty first line"};
    o.token = *std::move(token);
  }
  if (!raw.tls_cert.empty()) o.tls_cert_pem = Pem("--tls-cert", raw.tls_cert, "CERTIFICATE");
  if (!raw.tls_key.empty()) o.tls_key_pem = Pem("--tls-key", raw.tls_key, "PRIVATE KEY");
  if (!raw.tls_client_ca.empty()) {
    o.tls_client_ca_pem = Pem("--tls-client-ca", raw.tls_client_ca, "CERTIFICATE");
  }
  return config;
}

}  // namespace

ParsedFlags ParseServerFlags(int argc, char** argv) {
  CLI::App app(kDescription, "tvmffi-server");
  app.footer(kFooter);
  app.set_version_flag("--version", VersionText(), "print the version and exit");
  app.get_formatter()->column_width(30);
  Raw raw;
  Describe(app, raw);
  ParsedFlags parsed;
  try {
    app.parse(argc, argv);
    parsed.config = Convert(raw);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    parsed.exit_code = 0;
  } catch (const CLI::CallForVersion&) {
    std::cout << VersionText() << "\n";
    parsed.exit_code = 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "tvmffi-server: " << e.what() << "\n(see tvmffi-server --help)\n";
    parsed.exit_code = 2;
  } catch (const Mistake& m) {
    std::cerr << "tvmffi-server: " << m.message << "\n(see tvmffi-server --help)\n";
    parsed.exit_code = 2;
  }
  return parsed;
}

}  // namespace tvmffi::rpc::internal
