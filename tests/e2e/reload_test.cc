// Issue #13: a developer edits, rebuilds, re-uploads and calls a module again without
// restarting the server. `upload --replace` swaps a module and its globals (calls in flight
// finish on the old code, the next call reaches the new one, a file that does not load leaves
// the old module), `unload` stops serving one, in the server's process and under --isolate.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "testing/error_of.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;

int ModuleVersion(const Session& session, const std::string& module) {
  ffi::Module mod = session.LoadModule(module);
  return mod->GetFunction("module_version").value()().cast<int>();
}

int GlobalVersion(const Session& session) {
  return session.GetGlobalRequired("reload.version")().cast<int>();
}

void Copy(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to + ".tmp", std::ios::binary);
  out << in.rdbuf();
  out.close();
  ASSERT_EQ(::rename((to + ".tmp").c_str(), to.c_str()), 0);  // as a build replaces its output
}

TEST(ReplaceModules, AnUploadReplacesAModuleAndItsGlobalsCallsInFlightFinishOnTheOldCode) {
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "--isolate" : "in the server's process");
    std::vector<std::string> args = {"--allow-upload"};
    if (isolate) args.push_back("--isolate");
    ServerProcess server(args);
    Session session = Connect(server.address());
    session.UploadModule(TVMFFI_RELOAD_V1, "dev");
    ffi::Function held = session.GetGlobalRequired("reload.version");
    EXPECT_EQ(held().cast<int>(), 1);
    EXPECT_EQ(ModuleVersion(session, "dev"), 1);
    // A plain upload under a taken name is refused, and says how to replace.
    EXPECT_NE(ErrorOf([&] {
                session.UploadModule(TVMFFI_RELOAD_V2, "dev");
              }).find("`tvmffi upload --replace`"),
              std::string::npos);

    // A call running on version 1 while version 2 replaces it.
    const std::string marker = testing::TempDir() + "/in_flight";
    std::atomic<int> in_flight{0};
    std::thread caller(
        [&] { in_flight = session.GetGlobalRequired("reload.version_when")(marker).cast<int>(); });
    ASSERT_TRUE(testing::WaitForFile(marker));
    session.UploadModule(TVMFFI_RELOAD_V2, "dev", /*replace=*/true);
    std::ofstream(marker + ".go") << "go\n";
    caller.join();
    EXPECT_EQ(in_flight.load(), 1);
    EXPECT_EQ(GlobalVersion(session), 2);  // the next call by name reaches the new code
    EXPECT_EQ(ModuleVersion(session, "dev"), 2);
    if (!isolate) {
      EXPECT_EQ(held().cast<int>(), 1);  // a proxy held from before keeps the old code
    } else {                             // ... whose worker is gone
      EXPECT_EQ(ErrorOf([&] { held(); }),
                "ValueError: the isolated module `dev` was unloaded or replaced: look "
                "`reload.version` up again");
    }

    // A file that does not load leaves the module as it was.
    const std::string junk = testing::TempDir() + "/junk.so";
    std::ofstream(junk) << "not a shared library\n";
    EXPECT_EQ(ErrorOf([&] {
                session.UploadModule(junk, "dev", /*replace=*/true);
              }).rfind("ValueError: the uploaded module `dev` cannot be loaded", 0),
              0u);
    EXPECT_EQ(GlobalVersion(session), 2);
    EXPECT_EQ(ModuleVersion(session, "dev"), 2);

    // Unloaded: the module and its globals are gone; the name can be used again.
    session.UnloadModule("dev");
    EXPECT_FALSE(session.GetGlobal("reload.version").has_value());
    EXPECT_EQ(ErrorOf([&] { session.LoadModule("dev"); }).rfind("PermissionError: ", 0), 0u);
    EXPECT_EQ(ErrorOf([&] { session.UnloadModule("dev"); }),
              "ValueError: no module `dev` is loaded");
    session.UploadModule(TVMFFI_RELOAD_V1, "dev");
    EXPECT_EQ(GlobalVersion(session), 1);
    EXPECT_EQ(ModuleVersion(session, "dev"), 1);
    EXPECT_TRUE(server.Alive());
  }
}

TEST(ReplaceModules, AModuleDirModuleIsRebuiltUnloadedAndLoadedAgain) {
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "--isolate" : "in the server's process");
    const std::string dir = testing::TempDir();
    Copy(TVMFFI_RELOAD_V1, dir + "/dev.so");
    std::vector<std::string> args = {"--module-dir", dir};
    if (isolate) args.push_back("--isolate");
    ServerProcess server(args);
    Session session = Connect(server.address());
    EXPECT_EQ(ModuleVersion(session, "dev"), 1);
    EXPECT_EQ(GlobalVersion(session), 1);
    Copy(TVMFFI_RELOAD_V2, dir + "/dev.so");      // the developer rebuilt it
    EXPECT_EQ(ModuleVersion(session, "dev"), 1);  // still the loaded one
    session.UnloadModule("dev");
    EXPECT_EQ(ModuleVersion(session, "dev"), 2);  // loaded again, from the new file
    EXPECT_EQ(GlobalVersion(session), 2);
    // Without --allow-upload, replacing by upload is not possible.
    EXPECT_EQ(ErrorOf([&] {
                session.UploadModule(TVMFFI_RELOAD_V1, "dev", true);
              }).rfind("PermissionError: ", 0),
              0u);
  }
}

TEST(ReplaceModules, TheOperatorsModulesAreTheOperatorsUnlessUploadsAreAllowed) {
  ServerProcess fixed({"--load", TVMFFI_RELOAD_V1});
  Session session = Connect(fixed.address());
  EXPECT_EQ(ErrorOf([&] { session.UnloadModule("reload_v1"); }).rfind("PermissionError: ", 0), 0u);
  EXPECT_EQ(GlobalVersion(session), 1);

  ServerProcess open({"--load", TVMFFI_RELOAD_V1, "--allow-upload"});
  Session dev = Connect(open.address());
  dev.UploadModule(TVMFFI_RELOAD_V2, "reload_v1", /*replace=*/true);
  EXPECT_EQ(GlobalVersion(dev), 2);
  EXPECT_EQ(ErrorOf([&] { dev.UnloadModule("no_such"); }),
            "ValueError: no module `no_such` is loaded");
}

TEST(ReplaceModules, TheCommandLineReplacesAndUnloads) {
  ServerProcess server({"--allow-upload"});
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", server.address()});
    return testing::RunCli(args);
  };
  EXPECT_EQ(cli({"upload", TVMFFI_RELOAD_V1, "dev"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "reload.version"}).out, "1\n");
  testing::CommandResult again = cli({"upload", TVMFFI_RELOAD_V2, "dev"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_EQ(cli({"upload", "--replace", TVMFFI_RELOAD_V2, "dev"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "reload.version"}).out, "2\n");
  EXPECT_EQ(cli({"call", "--module", "dev", "module_version"}).out, "2\n");
  testing::CommandResult unloaded = cli({"unload", "dev"});
  EXPECT_EQ(unloaded.exit_code, 0) << unloaded.err;
  testing::CommandResult gone = cli({"call", "reload.version"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("reload.version not found"), std::string::npos) << gone.err;
  EXPECT_EQ(cli({"unload"}).exit_code, 2);
  EXPECT_EQ(cli({"ls", "--replace"}).exit_code, 2);
}

// `tvmffi ls --module M` and `ls --available`: what a module exports and what the module
// directory offers (the runtime's module interface finds functions by name only).
// A copy of module file `from` padded with zeros past its end to `bytes` (the loader reads
// only what the file's headers name, so it loads as before).
std::string PaddedModule(const std::string& from, uint64_t bytes) {
  std::string path = testing::TempDir() + "/padded.so";
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(path, std::ios::binary);
  out << in.rdbuf();
  uint64_t size = static_cast<uint64_t>(out.tellp());
  std::string zeros(1 << 20, '\0');
  for (; size < bytes; size += std::min<uint64_t>(zeros.size(), bytes - size)) {
    out.write(zeros.data(),
              static_cast<std::streamsize>(std::min<uint64_t>(zeros.size(), bytes - size)));
  }
  return path;
}

// Uploads stream in pieces (#13): a module over the 64 MiB message limit goes up, its
// progress told piece by piece, and loads; --max-upload-mb refuses a larger one before any
// byte moves.
TEST(StreamedUploads, AModuleOverTheMessageLimitGoesUpInPiecesWithProgress) {
  // 20 MiB against a message limit of 8 (the default 64 would need a 70 MiB module, which took
  // 20 s under TSan).
  const uint64_t size = 20ull << 20;
  const std::string big = PaddedModule(TVMFFI_RELOAD_V1, size);
  ServerProcess server({"--allow-upload", "--max-upload-mb", "100", "--max-message-mb", "8"});
  Session session = Connect(server.address());
  std::vector<uint64_t> seen;
  session.UploadModule(big, "big", false, [&](uint64_t sent, uint64_t total) {
    EXPECT_EQ(total, size);
    seen.push_back(sent);
  });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), size);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_GE(seen.size(), 5u) << "pieces of at most 4 MiB";
  EXPECT_EQ(ModuleVersion(session, "big"), 1);

  ServerProcess small({"--allow-upload", "--max-upload-mb", "16"});
  Session other = Connect(small.address());
  int calls = 0;
  std::string error =
      ErrorOf([&] { other.UploadModule(big, "big", false, [&](uint64_t, uint64_t) { ++calls; }); });
  EXPECT_EQ(error.rfind("ValueError: ", 0), 0u) << error;
  EXPECT_NE(error.find("(--max-upload-mb)"), std::string::npos) << error;
  EXPECT_EQ(calls, 0) << "refused before any piece";
  testing::CommandResult info = testing::RunCli({"info", "--server", small.address()});
  EXPECT_NE(info.out.find("max_upload_bytes: 16777216\n"), std::string::npos) << info.out;
}

// At most 8 uploads are under way at once; one its client gives up on (here: its progress
// callback throws) ends on the server, and its place is free again.
TEST(StreamedUploads, UploadsUnderWayAreBoundedAndAnAbandonedOneIsDropped) {
  const std::string big = PaddedModule(TVMFFI_RELOAD_V1, 9ull << 20);  // three pieces
  ServerProcess server({"--allow-upload"});
  std::mutex mutex;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  std::vector<std::thread> uploads;
  std::vector<std::string> errors(8);
  for (int i = 0; i < 8; ++i) {
    uploads.emplace_back([&, i] {
      Session session = Connect(server.address());
      errors[i] = ErrorOf([&] {
        session.UploadModule(big, "m" + std::to_string(i), false, [&](uint64_t, uint64_t) {
          std::unique_lock<std::mutex> lock(mutex);
          ++started;
          cv.notify_all();
          cv.wait(lock, [&] { return release; });
          TVM_FFI_THROW(RuntimeError) << "given up";
        });
      });
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return started == 8; }));
  }
  Session session = Connect(server.address());
  std::string refused = ErrorOf([&] { session.UploadModule(big, "ninth"); });
  EXPECT_EQ(refused.rfind("MemoryError: ", 0), 0u) << refused;
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : uploads) t.join();
  for (const std::string& e : errors) EXPECT_NE(e.find("given up"), std::string::npos) << e;
  // The abandoned uploads' handles were released: their places are free again (the release
  // reaches the server asynchronously).
  std::string last;
  for (int i = 0; i < 200; ++i) {
    last = ErrorOf([&] { session.UploadModule(big, "ninth"); });
    if (last == "(no error)") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(last, "(no error)");
  EXPECT_EQ(ModuleVersion(session, "ninth"), 1);
}

TEST(ModuleListing, AModulesFunctionsAndTheModuleDirectorysOffer) {
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "--isolate" : "in the server's process");
    const std::string dir = testing::TempDir();
    Copy(TVMFFI_RELOAD_V1, dir + "/dev.so");
    Copy(TVMFFI_MY_EXT_MODULE, dir + "/other.so");
    std::ofstream(dir + "/notes.txt") << "not a module\n";
    Copy(TVMFFI_RELOAD_V1, dir + "/.hidden.so");
    std::vector<std::string> args = {"--module-dir", dir};
    if (isolate) args.push_back("--isolate");
    ServerProcess server(args);
    Session session = Connect(server.address());
    EXPECT_EQ(session.AvailableModules(), (std::vector<std::string>{"dev", "other"}));
    EXPECT_EQ(session.ModuleFunctionNames("dev"), (std::vector<std::string>{"module_version"}));
    EXPECT_EQ(session.ModuleFunctionNames("other"), (std::vector<std::string>{"add_two"}));
    EXPECT_EQ(ErrorOf([&] { session.ModuleFunctionNames("missing"); }).rfind("ValueError: ", 0),
              0u);
    testing::CommandResult ls =
        testing::RunCli({"ls", "--server", server.address(), "--available"});
    EXPECT_EQ(ls.out, "dev\nother\n") << ls.err;
    ls = testing::RunCli({"ls", "--server", server.address(), "--module", "dev"});
    EXPECT_EQ(ls.out, "module_version\n") << ls.err;
    EXPECT_EQ(testing::RunCli({"ls", "--available", "--module", "dev"}).exit_code, 2);
  }
  ServerProcess without({"--load", TVMFFI_RELOAD_V1});
  Session session = Connect(without.address());
  EXPECT_EQ(ErrorOf([&] { session.AvailableModules(); }).rfind("PermissionError: ", 0), 0u);
  EXPECT_EQ(session.ModuleFunctionNames("reload_v1"), (std::vector<std::string>{"module_version"}));
}

}  // namespace
}  // namespace tvmffi::rpc
