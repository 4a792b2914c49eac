// tvmffi-server's command line: flags through CLI11 (`--flag value` and `--flag=value`, unknown
// flags refused, --help, --version, environment defaults for the secret files), then each value
// checked and turned into ServerOptions, the files it names read, with one message per mistake.
#ifndef TVMFFI_SERVER_SRC_FLAGS_H_
#define TVMFFI_SERVER_SRC_FLAGS_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "tvmffi/server/server.h"

namespace tvmffi::rpc::internal {

struct ServerConfig {
  ServerOptions options;
  std::string port_file;
  std::string log_level = "info";
  std::string log_format = "text";
  absl::Duration drain_timeout = absl::Seconds(10);
  bool check_config = false;  // check the flags, then exit without serving
};

// The configuration argv asks for; or, when the process is to exit now (--help, --version, a
// mistake, already printed to stdout or stderr), its exit status.
struct ParsedFlags {
  std::optional<ServerConfig> config;
  int exit_code = 0;
};
ParsedFlags ParseServerFlags(int argc, char** argv);

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_FLAGS_H_
