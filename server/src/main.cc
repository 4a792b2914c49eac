// tvmffi-server: publishes this process's TVM-FFI functions and modules over gRPC.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "flags.h"
#include "log.h"
#include "tvmffi/server/server.h"

namespace {

std::atomic<int> g_signal{0};

void OnSignal(int sig) { g_signal.store(sig); }

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--isolate-worker") {
    return tvmffi::rpc::RunIsolatedWorker(argc, argv);  // started by --isolate, not by hand
  }
  tvmffi::rpc::internal::ParsedFlags parsed = tvmffi::rpc::internal::ParseServerFlags(argc, argv);
  if (!parsed.config.has_value()) return parsed.exit_code;  // --help, --version, a mistake
  tvmffi::rpc::ServerOptions& options = parsed.config->options;
  const std::string& port_file = parsed.config->port_file;
  const std::string& log_level = parsed.config->log_level;
  absl::Duration drain_timeout = parsed.config->drain_timeout;
  if (parsed.config->check_config) {
    std::cout << "ok\n";
    return 0;
  }
  // gRPC's own logging: quiet unless debugging.
  if (log_level != "debug") setenv("GRPC_VERBOSITY", "ERROR", 0);
  namespace log = tvmffi::rpc::internal::log;
  log::Init(log_level, parsed.config->log_format);

  auto server = tvmffi::rpc::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "tvmffi-server: " << server.status().message() << "\n";  // as a flag mistake
    return 1;
  }
  int port = (*server)->port();
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), port_file.c_str());  // readers never see a half-written file
  }
  // The effective configuration (never the token itself).
  log::Event(log::Level::kInfo, "server.start",
             {{"listen", options.listen},
              {"port", port},
              {"data_port", (*server)->data_port()},
              {"metrics_port", (*server)->metrics_port()},
              {"name", options.name},
              {"modules", static_cast<int64_t>(options.load.size())},
              {"module_dir", options.module_dir},
              {"allow_upload", options.allow_upload},
              {"isolate", options.isolate},
              {"token", !options.token.empty()},
              {"tls", !options.tls_cert_pem.empty()},
              {"mutual_tls", !options.tls_client_ca_pem.empty()},
              {"shared_memory", options.shared_memory},
              {"max_sessions", options.max_sessions},
              {"max_sessions_per_peer", options.max_sessions_per_peer},
              {"max_message_bytes", options.max_message_bytes},
              {"max_device_memory", options.max_device_memory},
              {"max_threads", options.max_threads},
              {"session_idle_timeout_s", options.session_idle_timeout},
              {"drain_timeout_s", drain_timeout}});
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  while (g_signal.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  log::Event(log::Level::kInfo, "server.drain",
             {{"signal", g_signal.load()}, {"sessions", (*server)->num_sessions()}});
  if (!(*server)->Shutdown(drain_timeout)) {
    // A function that never returns holds a thread; it must not hold the process.
    log::Event(log::Level::kWarning, "server.stop",
               {{"calls_left_running", true}, {"drain_timeout_s", drain_timeout}});
    std::_Exit(0);
  }
  (*server)->Wait();
  log::Event(log::Level::kInfo, "server.stop", {{"calls_left_running", false}});
  return 0;
}
