// tvmffi: the command-line client of tvmffi-server.
#include <grpc/support/log.h>
#include <tvm/ffi/error.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tvm/ffi/c_api.h>

#include <CLI/CLI.hpp>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "json.h"
#include "npy.h"
#include "tvmffi/grpc/credential_files.h"
#include "tvmffi/proto/error_kind.h"
#include "tvmffi/rpc/client.h"

namespace {
namespace ffi = tvm::ffi;
using tvmffi::rpc::ConnectOptions;

constexpr char kUsage[] = R"(Usage: tvmffi <command> [options] [arguments]

Commands:
  call FUNC [ARG...]   call FUNC on the server; each ARG is a JSON literal (41, 2.5, true,
                       null, "text", [1,2], {"k": 1}), @FILE.npy (a tensor read from a
                       NumPy file), @FILE (a JSON value read from FILE) or - (a JSON value
                       read from stdin); prints the result as JSON on stdout (a small
                       tensor with its values). A stateless call
                       (one RPC, spread over the servers of a dns:/// or ipv4: target by
                       round_robin) unless --session, --device or --out-arg asks for a
                       session
  ls [PREFIX]          list the server's published global functions: each name with its
                       signature, then its docstring (indented) when it has one. With
                       --module M: the functions module M exports; with --available: the
                       modules the server's --module-dir offers
  upload FILE [NAME]   send the shared library FILE to the server (started with
                       --allow-upload), which loads it as module NAME (default: FILE's stem);
                       prints the name, for `call --module NAME`. With --replace, a module
                       of that name is replaced (its globals with the new file's). The file
                       goes in 4 MiB pieces, with progress on a terminal; the server's
                       --max-upload-mb bounds it
  unload NAME          the server stops serving module NAME and its globals, so that it can be
                       loaded again (from --module-dir, or uploaded)
  bench FUNC [ARG...]  time FUNC on the server (ARGs as for call): prints the seconds per call
                       of each repeat, then their mean, median and standard deviation. The
                       device is synchronized around each repeat; the network is not timed
  info                 print the server's versions, limits, loaded modules and devices (with
                       their memory; why CUDA is not available, where it is not)
  ping                 check that the server answers (opens a session: token and all)
  health [SERVICE]     print the server's gRPC health status (SERVING, NOT_SERVING while it
                       drains or lacks a --require-module, ...); exit 0 only when SERVING.
                       No token needed: for container and load-balancer health checks
  stats                print the server's metrics (Prometheus text: calls, errors and
                       latency by function, sessions, workers, ...)

Options (anywhere on the line, as `--flag value` or `--flag=value`; `--` ends them, for an
argument that starts with '-'):
  --server ADDR        the server (default $TVMFFI_SERVER, else 127.0.0.1:50051; unix:PATH
                       for a unix socket)
  --token-file FILE    send the token on FILE's first line ("authorization: Bearer ...")
                       (default $TVMFFI_TOKEN_FILE)
  --tls                use TLS (trusting --tls-ca, else the system's roots)
  --tls-ca FILE        PEM certificates of the CAs to trust (default $TVMFFI_TLS_CA)
  --tls-cert FILE      this client's PEM certificate, for a server that requires one
                       (mutual TLS; with --tls-key; default $TVMFFI_TLS_CERT)
  --tls-key FILE       its PEM private key (default $TVMFFI_TLS_KEY)
  --timeout SECONDS    give up on a call after this long (default, and 0: no limit)
  --module NAME        (call, bench) FUNC of the server's module NAME instead of a global;
                       (ls) list the functions module NAME exports
  --device DEV         (call, bench) put the tensor arguments on the server's device DEV
                       first (cpu:N, cuda:N): the function gets tensors that live there.
                       Without it they go by value (host memory). bench: also the device
                       synchronized around each repeat (default cpu:0)
  --out FILE.npy       (call) write the tensor result to FILE.npy (one left on the server's
                       device is copied back first)
  --out-arg N:FILE.npy (call, with --device; repeatable) after the call, write tensor
                       argument N (0 = the first) to FILE.npy: for functions that write their
                       results into an argument
  --number N           (bench) calls per repeat (default 1; grown to reach --min-repeat-ms)
  --repeat R           (bench) repeats (default 3)
  --min-repeat-ms MS   (bench) the shortest a repeat may last (default 0)
  --cooldown-ms MS     (bench) pause between repeats (default 0)
  --session            (call) call in a session (one gRPC stream) rather than statelessly:
                       for results that are objects or functions, which live on the server
  --replace            (upload) replace the module of that name, if there is one
  --available          (ls) list the module names the server's --module-dir offers
  --version            print the version and exit
  --help               show this text

Exit status: 0 on success; 1 when the remote function raised (its "Kind: message" and the
server's backtrace go to stderr), and for `health` when the server is not SERVING; 2 for usage
errors and transport errors (unreachable server, timeout, authentication: "Kind: message").
)";

#ifndef TVMFFI_RPC_VERSION
#define TVMFFI_RPC_VERSION "unknown"
#endif

std::string VersionText() {
  TVMFFIVersion v;
  TVMFFIGetVersion(&v);
  return absl::StrCat("tvmffi ", TVMFFI_RPC_VERSION, " (TVM-FFI ABI ", v.major, ".", v.minor, ".",
                      v.patch, ")");
}

int Usage(const std::string& message) {
  std::cerr << "tvmffi: " << message << "\n(see tvmffi --help)\n";
  return 2;
}

// "cpu:0", "cuda:1".
bool ParseDevice(const std::string& text, DLDevice* out) {
  size_t colon = text.find(':');
  std::string type = text.substr(0, colon);
  int id = 0;
  if (colon != std::string::npos && !absl::SimpleAtoi(text.substr(colon + 1), &id)) return false;
  if (id < 0) return false;
  if (type == "cpu") {
    *out = DLDevice{kDLCPU, id};
  } else if (type == "cuda") {
    *out = DLDevice{kDLCUDA, id};
  } else {
    return false;
  }
  return true;
}

// Each repeat's time per call, then mean, median and standard deviation.
void PrintTimes(const ffi::Array<double>& seconds) {
  std::vector<double> v(seconds.begin(), seconds.end());
  for (size_t i = 0; i < v.size(); ++i) {
    std::printf("repeat %zu: %.3f us\n", i + 1, v[i] * 1e6);
  }
  if (v.empty()) return;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  double stddev = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  std::printf("mean %.3f us, median %.3f us, stddev %.3f us (%zu repeats)\n", mean * 1e6,
              median * 1e6, stddev * 1e6, n);
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

// Writes value, a tensor (one left on the server is copied back first), to path as .npy;
// TypeError when it is not a tensor (`what` names it).
void SaveTensor(const ffi::Any& value, const std::string& path, const std::string& what) {
  std::optional<ffi::Tensor> t;
  if (auto remote = value.try_cast<tvmffi::rpc::RemoteTensor>()) {
    t = remote->ToHost();
  } else {
    t = value.try_cast<ffi::Tensor>();
  }
  if (!t.has_value()) TVM_FFI_THROW(TypeError) << what << " is not a tensor; nothing written";
  absl::Status written = tvmffi::rpc::tools::WriteNpy(path, *t);
  if (!written.ok()) TVM_FFI_THROW(ValueError) << std::string(written.message());
}

int Report(const ffi::Error& e, int exit_code) {
  std::cerr << e.kind() << ": " << e.message() << "\n";
  // A remote error's trace from the server's side on. This command's own frames (the proxy,
  // the decoding, the connecting) say nothing about what failed, so an error of this side
  // (an unreachable server, a bad argument) is its message alone.
  std::string trace = e.TracebackMostRecentCallLast();
  size_t remote = trace.find("  File \"<remote>\"");
  if (remote != std::string::npos) {
    std::cerr << "Traceback (most recent call last):\n" << trace.substr(remote);
  }
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
  DLDevice device{kDLCPU, 0};
  tvmffi::rpc::TimeEvaluatorOptions timing;
  std::vector<std::string> positional;
  bool device_given = false;
  std::string out_path;
  std::vector<std::pair<size_t, std::string>> out_args;

  // The flags, through CLI11: `--flag value` or `--flag=value`, anywhere on the line; anything
  // unknown is a usage error; `--` ends the flags (for an argument that starts with '-').
  CLI::App app("tvmffi", "tvmffi");
  app.set_help_flag();  // our own help text, below
  bool help = false, tls = false, replace = false, available = false, in_session = false;
  std::string tls_cert, tls_key;
  std::string token_file, tls_ca, timeout, device_text, number, repeat, min_repeat_ms, cooldown_ms;
  std::vector<std::string> out_arg_texts;
  auto last = CLI::MultiOptionPolicy::TakeLast;
  app.add_flag("-h,--help", help);
  app.set_version_flag("--version", VersionText());
  app.add_option("--server", server)->envname("TVMFFI_SERVER")->multi_option_policy(last);
  app.add_option("--token-file", token_file)
      ->envname("TVMFFI_TOKEN_FILE")
      ->multi_option_policy(last);
  app.add_flag("--tls", tls);
  app.add_flag("--replace", replace);
  app.add_flag("--available", available);
  app.add_flag("--session", in_session);
  app.add_option("--tls-ca", tls_ca)->envname("TVMFFI_TLS_CA")->multi_option_policy(last);
  app.add_option("--tls-cert", tls_cert)->envname("TVMFFI_TLS_CERT")->multi_option_policy(last);
  app.add_option("--tls-key", tls_key)->envname("TVMFFI_TLS_KEY")->multi_option_policy(last);
  app.add_option("--timeout", timeout)->multi_option_policy(last);
  app.add_option("--module", module)->multi_option_policy(last);
  app.add_option("--device", device_text)->multi_option_policy(last);
  app.add_option("--out", out_path)->multi_option_policy(last);
  app.add_option("--out-arg", out_arg_texts)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--number", number)->multi_option_policy(last);
  app.add_option("--repeat", repeat)->multi_option_policy(last);
  app.add_option("--min-repeat-ms", min_repeat_ms)->multi_option_policy(last);
  app.add_option("--cooldown-ms", cooldown_ms)->multi_option_policy(last);
  app.add_option("words", positional)->expected(0, -1);
  // CLI11 splits a positional "[a,b]" into two values; a JSON array must stay whole. Such words
  // get a marker byte for the parse, taken off after.
  constexpr char kWhole = '\x02';
  std::vector<std::string> words(argv + 1, argv + argc);
  for (std::string& w : words) {
    if (!w.empty() && w.front() == '[') w.insert(w.begin(), kWhole);
  }
  std::reverse(words.begin(), words.end());  // CLI11's vector form takes them last first
  try {
    app.parse(words);
  } catch (const CLI::CallForVersion&) {
    std::cout << VersionText() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    return Usage(e.what());
  }
  for (std::string& w : positional) {
    if (!w.empty() && w.front() == kWhole) w.erase(w.begin());
  }
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = tvmffi::rpc::ReadTokenFile(token_file);
    if (!token.ok()) return Usage("--token-file: " + std::string(token.status().message()));
    options.token = *std::move(token);
  }
  options.tls = tls;
  if (!tls_ca.empty()) {
    absl::StatusOr<std::string> pem = tvmffi::rpc::ReadWholeFile(tls_ca);
    if (!pem.ok()) return Usage("--tls-ca: " + std::string(pem.status().message()));
    options.tls_root_certs_pem = *std::move(pem);
    options.tls = true;
  }
  if (tls_cert.empty() != tls_key.empty()) return Usage("--tls-cert and --tls-key go together");
  if (!tls_cert.empty()) {
    for (auto [flag, path, to] :
         {std::make_tuple("--tls-cert", &tls_cert, &options.tls_client_cert_pem),
          std::make_tuple("--tls-key", &tls_key, &options.tls_client_key_pem)}) {
      absl::StatusOr<std::string> pem = tvmffi::rpc::ReadWholeFile(*path);
      if (!pem.ok()) return Usage(std::string(flag) + ": " + std::string(pem.status().message()));
      *to = *std::move(pem);
    }
    options.tls = true;
  }
  if (!timeout.empty()) {
    double seconds = -1;
    if (!absl::SimpleAtod(timeout, &seconds) || !(seconds >= 0)) {
      return Usage("--timeout takes a number of seconds (0: no limit)");
    }
    options.call_timeout_s = seconds;  // 0: no limit on calls (connecting keeps its 10 s)
    if (seconds > 0) {
      options.connect_timeout_s = std::min(options.connect_timeout_s, options.call_timeout_s);
    }
  }
  if (!device_text.empty()) {
    if (!ParseDevice(device_text, &device)) return Usage("--device takes cpu:N or cuda:N");
    device_given = true;
  }
  for (const std::string& v : out_arg_texts) {
    size_t colon = v.find(':'), index = 0;
    if (colon == std::string::npos || colon + 1 == v.size() ||
        !absl::SimpleAtoi(v.substr(0, colon), &index)) {
      return Usage("--out-arg takes N:FILE.npy (N: the argument's position, from 0)");
    }
    out_args.emplace_back(index, v.substr(colon + 1));
  }
  for (auto [flag, text, to] :
       {std::make_tuple("--number", &number, &timing.number),
        std::make_tuple("--repeat", &repeat, &timing.repeat),
        std::make_tuple("--min-repeat-ms", &min_repeat_ms, &timing.min_repeat_ms),
        std::make_tuple("--cooldown-ms", &cooldown_ms, &timing.cooldown_ms)}) {
    if (text->empty()) continue;
    bool positive = std::string(flag) == "--number" || std::string(flag) == "--repeat";
    int n = 0;
    if (!absl::SimpleAtoi(*text, &n) || n < (positive ? 1 : 0)) {
      return Usage(std::string(flag) +
                   (positive ? " takes a positive number" : " takes a number >= 0"));
    }
    *to = n;
  }
  if (positional.empty()) return Usage("missing command");
  std::string command = positional[0];
  if (command != "call" && command != "bench" && command != "ls" && command != "info" &&
      command != "ping" && command != "upload" && command != "unload" && command != "stats" &&
      command != "health") {
    return Usage("unknown command " + command);
  }
  if ((command == "call" || command == "bench") && positional.size() < 2) {
    return Usage(command + " needs a function name");
  }
  if (command == "upload" && (positional.size() < 2 || positional.size() > 3)) {
    return Usage("upload needs a FILE (and optionally a NAME)");
  }
  if (command == "unload" && positional.size() != 2) return Usage("unload needs a module NAME");
  if (replace && command != "upload") return Usage("--replace is for upload");
  if (in_session && command != "call") return Usage("--session is for call");
  if (command == "health" && positional.size() > 2) return Usage("health takes one SERVICE");
  if (available && command != "ls") return Usage("--available is for ls");
  if (available && !module.empty()) return Usage("ls takes --available or --module, not both");
  if (command == "ls" && !module.empty() && positional.size() > 1) {
    return Usage("ls --module M lists all of M's functions (no PREFIX)");
  }

  if ((!out_path.empty() || !out_args.empty()) && command != "call") {
    return Usage("--out and --out-arg are for call");
  }
  if (!out_args.empty() && !device_given) {
    return Usage(
        "--out-arg needs --device: without it tensor arguments go by value, and what "
        "the function writes into them stays in the server's copy");
  }
  // Arguments are checked before connecting: a typo is a usage error, not a server error.
  std::vector<ffi::Any> args;
  if (std::count(positional.begin() + std::min<size_t>(2, positional.size()), positional.end(),
                 "-") > 1) {
    return Usage("only one argument can come from stdin (-)");
  }
  for (size_t i = 2; (command == "call" || command == "bench") && i < positional.size(); ++i) {
    std::string text = positional[i];
    if (text.rfind('@', 0) == 0 && absl::EndsWith(text, ".npy")) {
      absl::StatusOr<ffi::Tensor> t = tvmffi::rpc::tools::ReadNpy(text.substr(1));
      if (!t.ok()) return Usage(std::string(t.status().message()));
      args.push_back(*std::move(t));
      continue;
    }
    if (text.rfind('@', 0) == 0) {  // one JSON value from a file
      absl::StatusOr<std::string> file = tvmffi::rpc::ReadWholeFile(text.substr(1));
      if (!file.ok()) return Usage(std::string(file.status().message()));
      text = *std::move(file);
    } else if (text == "-") {  // one JSON value from stdin
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    auto parsed = tvmffi::rpc::tools::ParseJson(text);
    if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
    args.push_back(*parsed);
  }
  for (const auto& [index, path] : out_args) {
    if (index >= args.size() || args[index].type_index() != kTVMFFITensor) {
      return Usage("--out-arg " + std::to_string(index) + ": argument " + std::to_string(index) +
                   " is not a tensor (@FILE.npy)");
    }
  }

  if (command == "stats") {  // one unary RPC, no session
    try {
      std::cout << tvmffi::rpc::Client(server, options).Stats() << std::flush;
      return 0;
    } catch (const ffi::Error& e) {
      return Report(e, 2);
    }
  }
  if (command == "health") {  // gRPC's health service: no session, no token needed
    try {
      std::string status =
          tvmffi::rpc::Client(server, options).Health(positional.size() > 1 ? positional[1] : "");
      std::cout << status << "\n";
      return status == "SERVING" ? 0 : 1;
    } catch (const ffi::Error& e) {
      return Report(e, 2);
    }
  }
  if (command == "call" && !in_session && !device_given && out_args.empty()) {
    // Stateless: one RPC, which a load-balancing policy may send to any of the target's servers.
    tvmffi::rpc::Client::Failure failure = tvmffi::rpc::Client::Failure::kNone;
    try {
      ffi::Any result =
          tvmffi::rpc::Client(server, options).Call(positional[1], args, module, &failure);
      if (!out_path.empty()) SaveTensor(result, out_path, "the result");
      std::cout << tvmffi::rpc::tools::ToJson(result) << std::endl;
      return 0;
    } catch (const ffi::Error& e) {
      bool transport = failure == tvmffi::rpc::Client::Failure::kTransport ||
                       tvmffi::rpc::IsTransportKind(std::string(e.kind()));
      int code = Report(e, transport ? 2 : 1);
      if (!transport && std::string(e.message()).find("needs a session") != std::string::npos) {
        std::cerr << "(a result that lives on the server, such as an object or a function, "
                     "needs a session: call with --session)\n";
      }
      return code;
    }
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
      std::cout << "limits (0: none):\n";
      for (const auto& [name, value] : info.limits) {
        std::cout << "  " << name << ": " << value << "\n";
      }
      return 0;
    }
    if (command == "upload") {
      std::string name =
          positional.size() > 2 ? positional[2] : tvmffi::rpc::ModuleStem(positional[1]);
      // Progress on the terminal (stderr) when there is one: a line rewritten in place.
      std::function<void(uint64_t, uint64_t)> progress;
      if (::isatty(STDERR_FILENO) != 0) {
        progress = [&](uint64_t sent, uint64_t total) {
          std::fprintf(stderr, "\rupload %s: %3d%% (%.1f of %.1f MiB)", positional[1].c_str(),
                       total == 0 ? 100 : static_cast<int>(100 * sent / total),
                       static_cast<double>(sent) / (1 << 20),
                       static_cast<double>(total) / (1 << 20));
          if (sent == total) std::fprintf(stderr, "\n");
        };
      }
      session.UploadModule(positional[1], name, replace, progress);
      std::cout << name << "\n";
      return 0;
    }
    if (command == "unload") {
      session.UnloadModule(positional[1]);
      return 0;
    }
    if (command == "ls" && (available || !module.empty())) {
      for (const std::string& name :
           available ? session.AvailableModules() : session.ModuleFunctionNames(module)) {
        std::cout << name << "\n";
      }
      return 0;
    }
    if (command == "ls") {  // name, signature when known, then the docstring indented
      for (const tvmffi::rpc::FunctionDescription& f :
           session.DescribeGlobals(positional.size() > 1 ? positional[1] : "")) {
        std::cout << f.name;
        if (!f.signature.empty()) std::cout << f.signature;
        std::cout << "\n";
        if (!f.doc.empty()) std::cout << "    " << f.doc << "\n";
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
    // With --device, each tensor argument becomes a tensor that lives on the server's device.
    if (device_given) {
      for (ffi::Any& arg : args) {
        if (arg.type_index() != kTVMFFITensor) continue;
        ffi::Tensor host = arg.cast<ffi::Tensor>();
        tvmffi::rpc::RemoteTensor remote = session.Empty(
            ffi::Shape(std::vector<int64_t>(host.shape().begin(), host.shape().end())),
            host.dtype(), device);
        remote.CopyFrom(host);
        arg = remote;
      }
    }
    std::vector<ffi::AnyView> views(args.begin(), args.end());
    ffi::Any result;
    if (command == "bench") {
      ffi::Function timer = session.TimeEvaluator(func, device, timing);
      timer.CallPacked(views.data(), static_cast<int32_t>(views.size()), &result);
      PrintTimes(result.cast<ffi::Array<double>>());
      return 0;
    }
    func.CallPacked(views.data(), static_cast<int32_t>(views.size()), &result);
    if (!out_path.empty()) SaveTensor(result, out_path, "the result");
    for (const auto& [index, path] : out_args) {
      SaveTensor(args[index], path, "argument " + std::to_string(index));
    }
    std::cout << tvmffi::rpc::tools::ToJson(result) << std::endl;  // flushed before exit
    return 0;
  } catch (const ffi::Error& e) {
    return Report(e, tvmffi::rpc::IsTransportKind(std::string(e.kind())) ? 2 : 1);
  }
}
