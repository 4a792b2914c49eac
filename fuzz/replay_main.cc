// Runs the codec fuzz target without libFuzzer (any compiler): the built-in seeds, then every
// file named on the command line or found in a named directory (a corpus, or a crash input).
//   codec_fuzz_replay [PATH ...]          replay; exit 0 when nothing aborted
//   codec_fuzz_replay --write-seeds DIR   write the built-in seeds as corpus files
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "codec_fuzz_target.h"

namespace {
namespace fs = std::filesystem;

void Replay(const std::string& bytes) {
  tvmffi::rpc::fuzz::RunCodecInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

bool ReplayFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  Replay(std::string(std::istreambuf_iterator<char>(in), {}));
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds = tvmffi::rpc::fuzz::CodecSeeds();
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") {
    fs::create_directories(argv[2]);
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream(fs::path(argv[2]) / ("seed-" + std::to_string(i)), std::ios::binary)
          << seeds[i];
    }
    std::printf("wrote %zu seeds to %s\n", seeds.size(), argv[2]);
    return 0;
  }
  size_t inputs = 0;
  for (const std::string& seed : seeds) {
    Replay(seed);
    ++inputs;
    for (size_t cut = 0; cut < seed.size(); ++cut) Replay(seed.substr(0, cut));  // truncations
    inputs += seed.size();
  }
  for (int i = 1; i < argc; ++i) {
    fs::path path(argv[i]);
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::directory_iterator(path)) {
        if (entry.is_regular_file() && ReplayFile(entry.path())) ++inputs;
      }
    } else if (!ReplayFile(path)) {
      std::fprintf(stderr, "codec_fuzz_replay: cannot read %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("codec_fuzz_replay: %zu inputs, no findings\n", inputs);
  return 0;
}
