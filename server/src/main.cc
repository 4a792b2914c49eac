// tvmffi-server: publishes this process's TVM-FFI functions and modules over gRPC.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "flags.h"
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
