// Issue #13: what deploy/ ships works, as far as a machine without Docker or a booted systemd
// can show. The image's runtime stage installs every Debian package the installed binaries
// need, runs as a non-root user, and its entry point's arguments and health check work; the
// systemd unit verifies clean (`systemd-analyze verify`) and its arguments pass the server's
// own check. (The Kubernetes manifest's arguments are checked in tests/server/flags_test.cc.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "testing/server_process.h"

namespace tvmffi::rpc {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A shell command's stdout (its stderr goes away), and its exit status.
std::pair<int, std::string> Shell(const std::string& cmd) {
  FILE* pipe = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The Dockerfile's logical lines (continuations joined), comments dropped.
std::vector<std::string> LogicalLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line, joined;
  while (std::getline(in, line)) {
    if (joined.empty() && (line.empty() || line[0] == '#')) continue;
    if (!line.empty() && line.back() == '\\') {
      joined += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    lines.push_back(joined + line);
    joined.clear();
  }
  return lines;
}

// The JSON-array form of a Dockerfile instruction (["a", "b"]) as words.
std::vector<std::string> ExecForm(const std::string& text) {
  std::vector<std::string> words;
  size_t at = text.find('[');
  while ((at = text.find('"', at)) != std::string::npos) {
    size_t end = text.find('"', at + 1);
    words.push_back(text.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return words;
}

// The Debian package that installed file (by its real path, merged /usr or not); "" if none.
std::string PackageOf(const std::string& file) {
  std::string real = Shell("readlink -f '" + file + "'").second;
  real.erase(real.find_last_not_of('\n') + 1);
  for (std::string path : {real, real.rfind("/usr/", 0) == 0 ? real.substr(4) : "/usr" + real}) {
    auto [rc, out] = Shell("dpkg -S '" + path + "'");
    if (rc == 0 && out.find(':') != std::string::npos) return out.substr(0, out.find(':'));
  }
  return "";
}

// packages and everything they depend on (every alternative), as installed here.
std::set<std::string> DependencyClosure(std::vector<std::string> packages) {
  std::set<std::string> seen;
  while (!packages.empty()) {
    std::string p = packages.back();
    packages.pop_back();
    if (!seen.insert(p).second) continue;
    std::string depends = Shell("dpkg-query -W -f='${Depends},${Pre-Depends}' '" + p + "'").second;
    for (char& c : depends) {
      if (c == ',' || c == '|') c = ' ';
    }
    // "libc6 (>= 2.34) libfoo:any": names are the words outside parentheses.
    int depth = 0;
    for (const std::string& w : Words(depends)) {
      if (w[0] == '(') ++depth;
      if (depth == 0) packages.push_back(w.substr(0, w.find(':')));
      if (w.back() == ')') --depth;
    }
  }
  return seen;
}

TEST(Deploy, TheImageHasEveryLibraryItsBinariesNeedAndRunsThemAsItSays) {
  const std::string source = TVMFFI_SOURCE_DIR;
  std::vector<std::string> lines = LogicalLines(Slurp(source + "/deploy/docker/Dockerfile"));
  ASSERT_FALSE(lines.empty());
  // The last stage is the image.
  size_t last_from = 0;
  int stages = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("FROM ", 0) == 0) {
      last_from = i;
      ++stages;
    }
  }
  EXPECT_GE(stages, 2) << "multi-stage: the build tools stay out of the image";
  EXPECT_EQ(Words(lines[last_from])[1], "debian:12-slim");
  std::vector<std::string> runtime_packages;
  std::string user, healthcheck, entrypoint, cmd;
  for (size_t i = last_from; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    size_t install = l.find("apt-get install");
    if (install != std::string::npos) {
      for (const std::string& w : Words(l.substr(install + 15))) {
        if (w == "&&") break;
        if (w[0] != '-') runtime_packages.push_back(w);
      }
    }
    if (l.rfind("USER ", 0) == 0) user = Words(l)[1];
    if (l.rfind("HEALTHCHECK ", 0) == 0) healthcheck = l.substr(l.find(" CMD ") + 5);
    if (l.rfind("ENTRYPOINT ", 0) == 0) entrypoint = l.substr(11);
    if (l.rfind("CMD ", 0) == 0) cmd = l.substr(4);
  }
  ASSERT_FALSE(runtime_packages.empty());
  EXPECT_FALSE(user.empty() || user == "root" || user.rfind("0:", 0) == 0 || user == "0")
      << "the image runs as a non-root user, not " << user;

  // Install as the build stage does, then ask the dynamic linker what the binaries need.
  std::string prefix = testing::TempDir() + "/prefix";
  ASSERT_EQ(Shell("cmake --install " TVMFFI_BUILD_DIR " --prefix " + prefix).first, 0);
  std::set<std::string> needed;  // packages
  for (const char* binary : {"/bin/tvmffi-server", "/bin/tvmffi"}) {
    auto [rc, ldd] = Shell("ldd " + prefix + binary);
    ASSERT_EQ(rc, 0) << binary;
    EXPECT_EQ(ldd.find("not found"), std::string::npos) << ldd;
    std::istringstream in(ldd);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> w = Words(line);
      if (w.size() < 3 || w[1] != "=>" || w[2].rfind(prefix, 0) == 0) continue;
      std::string package = PackageOf(w[2]);
      EXPECT_FALSE(package.empty()) << w[2] << " belongs to no Debian package";
      if (!package.empty()) needed.insert(package);
    }
  }
  EXPECT_TRUE(needed.count("libgrpc++1.51")) << "the check saw the binaries' libraries";
  // What the image has: its packages and their dependencies, and debian:12-slim's own (the
  // required packages and apt's dependencies).
  std::vector<std::string> roots = runtime_packages;
  roots.push_back("apt");
  for (const std::string& p : Words(
           Shell("dpkg-query -W -f='${Package} ${Priority}\\n' | awk '$2==\"required\"{print $1}'")
               .second)) {
    roots.push_back(p);
  }
  std::set<std::string> present = DependencyClosure(roots);
  for (const std::string& p : needed) {
    EXPECT_TRUE(present.count(p)) << "the image's runtime stage does not install " << p
                                  << " (nor anything that depends on it)";
  }

  // The entry point is the installed server and its default arguments pass its own check.
  std::vector<std::string> entry = ExecForm(entrypoint), args = ExecForm(cmd);
  ASSERT_EQ(entry, std::vector<std::string>{"tvmffi-server"});
  args.insert(args.begin(), "--check-config");
  testing::CommandResult checked = testing::RunProgram(prefix + "/bin/tvmffi-server", args);
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_EQ(checked.out, "ok\n");
  // The health check, pointed at a server, says SERVING and exits 0 (and 2 without a server).
  std::vector<std::string> probe = ExecForm(healthcheck);
  ASSERT_GE(probe.size(), 2u);
  ASSERT_EQ(probe[0], "tvmffi");
  ASSERT_EQ(probe[1], "health");
  auto server_flag = std::find(probe.begin(), probe.end(), "--server");
  ASSERT_NE(server_flag, probe.end());
  testing::ServerProcess server({});
  *(server_flag + 1) = server.address();
  std::vector<std::string> probe_args(probe.begin() + 1, probe.end());
  testing::CommandResult healthy = testing::RunProgram(prefix + "/bin/tvmffi", probe_args);
  EXPECT_EQ(healthy.exit_code, 0) << healthy.err;
  EXPECT_EQ(healthy.out, "SERVING\n");
  *(server_flag + 1) = "127.0.0.1:1";  // nothing there
  testing::CommandResult nobody = testing::RunProgram(
      prefix + "/bin/tvmffi", std::vector<std::string>(probe.begin() + 1, probe.end()));
  EXPECT_EQ(nobody.exit_code, 2) << nobody.out;
}

TEST(Deploy, TheSystemdUnitVerifiesCleanAndItsArgumentsPassTheServersCheck) {
  if (Shell("command -v systemd-analyze").first != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed (scripts/deps.sh installs systemd)";
  }
  const std::string unit = Slurp(TVMFFI_SOURCE_DIR "/deploy/systemd/tvmffi-server.service");
  ASSERT_FALSE(unit.empty());
  std::string exec;
  std::istringstream in(unit);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("ExecStart=", 0) == 0) exec = line.substr(10);
  }
  std::vector<std::string> words = Words(exec);
  ASSERT_FALSE(words.empty());
  EXPECT_EQ(words[0], "/usr/local/bin/tvmffi-server");  // where `cmake --install` puts it
  // Verified with the binary where this build has it (verify checks that it exists).
  std::string dir = testing::TempDir();
  std::string copy = unit;
  copy.replace(copy.find(words[0]), words[0].size(), TVMFFI_SERVER_BINARY);
  std::ofstream(dir + "/tvmffi-server.service") << copy;
  auto [rc, out] = Shell("systemd-analyze verify " + dir + "/tvmffi-server.service 2>&1");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << "systemd-analyze has something to say about the unit";
  // Its arguments, with the credentials directory (%d) filled in and no extra arguments.
  std::vector<std::string> args = {"--check-config"};
  for (size_t i = 1; i < words.size(); ++i) {
    std::string w = words[i];
    if (w == "$TVMFFI_SERVER_ARGS") continue;
    size_t d = w.find("%d");
    if (d != std::string::npos) w.replace(d, 2, dir);
    args.push_back(w);
  }
  testing::CommandResult checked = testing::RunProgram(TVMFFI_SERVER_BINARY, args);
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_EQ(checked.out, "ok\n");
  for (const char* hardening :
       {"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
        "CapabilityBoundingSet=\n", "LoadCredential=token:", "KillSignal=SIGTERM"}) {
    EXPECT_NE(unit.find(hardening), std::string::npos) << hardening;
  }
}

}  // namespace
}  // namespace tvmffi::rpc
