// Issue #13: the server says what happens: start (with its configuration), sessions opening and
// closing, modules, failed calls at debug, refused tokens (throttled), the drain and the stop;
// as text or JSON lines, at the level asked for.
#include <gtest/gtest.h>
#include <signal.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/tvm_ffi.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "testing/error_of.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Each stderr line as a JSON object (every line must be one), by event.
std::multimap<std::string, ffi::Map<ffi::String, ffi::Any>> Events(const std::string& text) {
  std::multimap<std::string, ffi::Map<ffi::String, ffi::Any>> events;
  for (const std::string& line : Lines(text)) {
    using Event = ffi::Map<ffi::String, ffi::Any>;
    Event event;
    try {
      event = ffi::json::Parse(line).cast<Event>();
    } catch (const ffi::Error& e) {
      ADD_FAILURE() << "not a JSON object: " << line;
    }
    if (event.empty()) continue;
    EXPECT_TRUE(event.count("time") && event.count("level")) << line;
    events.emplace(event["event"].cast<std::string>(), event);
  }
  return events;
}

TEST(ServerLog, JsonLinesTellTheSessionsModulesAndFailedCallsOfARun) {
  const std::string token_file = testing::TempDir() + "/token";
  std::ofstream(token_file) << "s3cret\n";
  ServerProcess server({"--log-format", "json", "--log-level", "debug", "--token-file", token_file,
                        "--load", TVMFFI_MY_EXT_MODULE});
  ConnectOptions options;
  options.token = "s3cret";
  {
    Session session = Connect(server.address(), options);
    EXPECT_EQ(ErrorOf([&] { session.GetGlobalRequired("my_ext.throw_error")(-1); }),
              "ValueError: x must be non-negative, got -1");
  }
  ConnectOptions wrong;
  wrong.token = "guess";
  wrong.connect_timeout_s = 2;
  for (int i = 0; i < 20; ++i) (void)ErrorOf([&] { Connect(server.address(), wrong); });
  ASSERT_EQ(server.Stop(SIGTERM), 0);
  auto events = Events(server.Stderr());

  ASSERT_EQ(events.count("server.start"), 1u) << server.Stderr();
  auto start = events.find("server.start")->second;
  EXPECT_EQ(start["token"].cast<bool>(), true);
  EXPECT_EQ(start["max_sessions"].cast<int64_t>(), 64);
  EXPECT_EQ(server.Stderr().find("s3cret"), std::string::npos);  // never the token itself
  ASSERT_EQ(events.count("module.load"), 1u);
  EXPECT_EQ(events.find("module.load")->second["module"].cast<std::string>(), "my_ext");
  ASSERT_GE(events.count("session.open"), 1u);
  ASSERT_GE(events.count("session.close"), 1u);
  EXPECT_GE(events.find("session.close")->second["duration_s"].cast<double>(), 0.0);
  ASSERT_EQ(events.count("call.error"), 1u) << server.Stderr();
  auto failed = events.find("call.error")->second;
  EXPECT_EQ(failed["kind"].cast<std::string>(), "ValueError");
  EXPECT_EQ(failed["level"].cast<std::string>(), "debug");
  // 20 refused tokens within a second or two: a few lines, the rest counted.
  size_t refused = events.count("auth.refused");
  EXPECT_GE(refused, 1u);
  EXPECT_LE(refused, 4u) << server.Stderr();
  EXPECT_EQ(events.count("server.drain"), 1u);
  EXPECT_EQ(events.count("server.stop"), 1u);
}

TEST(ServerLog, TextLinesAndLevelsThatDropWhatIsBelowThem) {
  ServerProcess chatty({"--log-level", "info", "--load", TVMFFI_MY_EXT_MODULE});
  { Session session = Connect(chatty.address()); }
  ASSERT_EQ(chatty.Stop(SIGTERM), 0);
  std::string text = chatty.Stderr();
  EXPECT_NE(text.find(" info server.start listen=127.0.0.1:0 port="), std::string::npos) << text;
  EXPECT_NE(text.find(" info session.open peer=ipv4:127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find(" info module.load module=my_ext path="), std::string::npos) << text;
  EXPECT_EQ(text.find("call.error"), std::string::npos);  // debug only

  ServerProcess quiet({"--log-level", "warning", "--load", TVMFFI_MY_EXT_MODULE});
  { Session session = Connect(quiet.address()); }
  ASSERT_EQ(quiet.Stop(SIGTERM), 0);
  EXPECT_EQ(quiet.Stderr(), "");
}

}  // namespace
}  // namespace tvmffi::rpc
