// Issue #13: a developer edits, rebuilds, re-uploads and calls a module again without
// restarting the server. `upload --replace` swaps a module and its globals (calls in flight
// finish on the old code, the next call reaches the new one, a file that does not load leaves
// the old module), `unload` stops serving one, in the server's process and under --isolate.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
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
