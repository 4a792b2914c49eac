// tvmffi: the command-line client of tvmffi-server.
#include <grpc/support/log.h>
#include <tvm/ffi/error.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "json.h"
#include "tvmffi/grpc/credential_files.h"
#include "tvmffi/proto/error_kind.h"
#include "tvmffi/rpc/client.h"

namespace {
namespace ffi = tvm::ffi;
using tvmffi::rpc::ConnectOptions;

constexpr char kUsage[] = R"(Usage: tvmffi <command> [options] [arguments]

Commands:
  call FUNC [ARG...]   call FUNC on the server; each ARG is a JSON literal (41, 2.5, true,
                       null, "text", [1,2], {"k": 1}); prints the result as JSON on stdout
  ls [PREFIX]          list the server's published global functions
  upload FILE [NAME]   send the shared library FILE to the server (started with
                       --allow-upload), which loads it as module NAME (default: FILE's stem);
                       prints the name, for `call --module NAME`
  info                 print the server's versions, limits, loaded modules and devices (with
                       their memory; why CUDA is not available, where it is not)
  ping                 check that the server answers

Options (any command):
  --server ADDR        the server (default 127.0.0.1:50051; unix:PATH for a unix socket)
  --token-file FILE    send the token on FILE's first line ("authorization: Bearer ...")
  --tls                use TLS (trusting --tls-ca, else the system's roots)
  --tls-ca FILE        PEM certificates of the CAs to trust
  --timeout SECONDS    give up on a call after this long (default: no limit)
  --module NAME        (call) call FUNC in the server's module NAME instead of a global
  --help               show this text

Exit status: 0 on success; 1 when the remote function raised (its "Kind: message" and
backtrace go to stderr); 2 for usage errors and transport errors (unreachable server,
timeout, authentication).
)";

int Usage(const std::string& message) {
  std::cerr << "tvmffi: " << message << "\n(see tvmffi --help)\n";
  return 2;
}

// "  cuda:0  NVIDIA H100 80GB HBM3  memory 79.1 GiB (78.6 GiB free)  compute 9.0  132 SMs"
void PrintDevice(const tvmffi::rpc::DeviceInfo& d) {
  auto gib = [](uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
    return std::string(text);
  };
  bool cuda = d.device.device_type == kDLCUDA;
  std::string type = d.device.device_type == kDLCPU ? "cpu"
                     : cuda                         ? "cuda"
                            : "type" + std::to_string(static_cast<int>(d.device.device_type));
  std::cout << "  " << type << ":" << d.device.device_id << "  " << d.name << "  memory "
            << gib(d.total_memory) << " (" << gib(d.free_memory) << " free)";
  if (cuda) {
    std::cout << "  compute " << d.compute_capability_major << "." << d.compute_capability_minor
              << "  " << d.multiprocessor_count << " SMs";
  } else {
    std::cout << "  " << d.multiprocessor_count << " cores";
  }
  std::cout << "\n";
}

int Report(const ffi::Error& e, int exit_code) {
  std::cerr << e.kind() << ": " << e.message() << "\n";
  std::string trace = e.TracebackMostRecentCallLast();
  if (!trace.empty()) std::cerr << "Traceback (most recent call last):\n" << trace;
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // gRPC's own log lines ("E1130 ... Handshake failed") repeat what the error printed below
  // says; GRPC_VERBOSITY=debug (or any value) brings them back.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
  std::string server = "127.0.0.1:50051", module;
  ConnectOptions options;
  options.name = "tvmffi-cli";
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag, std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      (void)flag;
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--server") {
      if (!value("--server", &server)) return Usage("--server needs a value");
    } else if (arg == "--token-file") {
      if (!value("--token-file", &v)) return Usage("--token-file needs a value");
      absl::StatusOr<std::string> token = tvmffi::rpc::ReadTokenFile(v);
      if (!token.ok()) return Usage("--token-file: " + std::string(token.status().message()));
      options.token = *std::move(token);
    } else if (arg == "--tls") {
      options.tls = true;
    } else if (arg == "--tls-ca") {
      if (!value("--tls-ca", &v)) return Usage("--tls-ca needs a value");
      absl::StatusOr<std::string> pem = tvmffi::rpc::ReadWholeFile(v);
      if (!pem.ok()) return Usage("--tls-ca: " + std::string(pem.status().message()));
      options.tls_root_certs_pem = *std::move(pem);
      options.tls = true;
    } else if (arg == "--timeout") {
      if (!value("--timeout", &v)) return Usage("--timeout needs a value");
      try {
        options.call_timeout_s = std::stod(v);
      } catch (...) {
        return Usage("--timeout takes a number of seconds");
      }
      options.connect_timeout_s = std::min(options.connect_timeout_s, options.call_timeout_s);
    } else if (arg == "--module") {
      if (!value("--module", &module)) return Usage("--module needs a value");
    } else if (arg.size() > 2 && arg.rfind("--", 0) == 0 && positional.empty()) {
      return Usage("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty()) return Usage("missing command");
  std::string command = positional[0];
  if (command != "call" && command != "ls" && command != "info" && command != "ping" &&
      command != "upload") {
    return Usage("unknown command " + command);
  }
  if (command == "call" && positional.size() < 2) return Usage("call needs a function name");
  if (command == "upload" && (positional.size() < 2 || positional.size() > 3)) {
    return Usage("upload needs a FILE (and optionally a NAME)");
  }

  // Arguments are checked before connecting: a typo is a usage error, not a server error.
  std::vector<ffi::Any> args;
  for (size_t i = 2; command == "call" && i < positional.size(); ++i) {
    auto parsed = tvmffi::rpc::tools::ParseJson(positional[i]);
    if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
    args.push_back(*parsed);
  }

  std::optional<tvmffi::rpc::Session> connected;
  try {
    connected = tvmffi::rpc::Connect(server, options);
  } catch (const ffi::Error& e) {
    return Report(e, 2);  // unreachable, refused token, TLS mismatch: all transport
  }
  tvmffi::rpc::Session& session = *connected;
  try {
    if (command == "ping") {
      std::cout << "ok " << server << "\n";
      return 0;
    }
    if (command == "info") {
      tvmffi::rpc::ServerInfo info = session.Info();
      std::cout << "server: " << server << "\nserver version: " << info.server_version
                << "\nffi version: " << info.ffi_version
                << "\nprotocol version: " << info.protocol_version
                << "\nmodule dir: " << (info.module_dir_enabled ? "enabled" : "disabled")
                << "\nauth required: " << (info.auth_required ? "yes" : "no")
                << "\nisolated modules: " << (info.isolate ? "yes" : "no")
                << "\nmodule upload: " << (info.upload_enabled ? "enabled" : "disabled")
                << "\nshared memory: " << (session.SharesMemory() ? "yes" : "no")
                << "\nloaded modules:";
      for (const std::string& m : info.loaded_modules) std::cout << " " << m;
      std::cout << "\ndevices:\n";
      for (const tvmffi::rpc::DeviceInfo& d : info.devices) PrintDevice(d);
      std::cout << "cuda: " << (info.cuda_status.empty() ? "available" : info.cuda_status) << "\n";
      return 0;
    }
    if (command == "upload") {
      std::string name =
          positional.size() > 2 ? positional[2] : tvmffi::rpc::ModuleStem(positional[1]);
      session.UploadModule(positional[1], name);
      std::cout << name << "\n";
      return 0;
    }
    if (command == "ls") {
      for (const std::string& name :
           session.ListGlobalNames(positional.size() > 1 ? positional[1] : "")) {
        std::cout << name << "\n";
      }
      return 0;
    }
    ffi::Function func(nullptr);
    if (module.empty()) {
      func = session.GetGlobalRequired(positional[1]);
    } else {
      auto f = session.LoadModule(module)->GetFunction(positional[1]);
      if (!f.has_value()) {
        TVM_FFI_THROW(ValueError) << "module " << module << " has no function " << positional[1];
      }
      func = f.value();
    }
    std::vector<ffi::AnyView> views(args.begin(), args.end());
    ffi::Any result;
    func.CallPacked(views.data(), static_cast<int32_t>(views.size()), &result);
    std::cout << tvmffi::rpc::tools::ToJson(result) << std::endl;  // flushed before exit
    return 0;
  } catch (const ffi::Error& e) {
    return Report(e, tvmffi::rpc::IsTransportKind(std::string(e.kind())) ? 2 : 1);
  }
}
