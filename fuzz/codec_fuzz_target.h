// The codec fuzz target, shared by the libFuzzer binary (clang, `fuzz` preset) and the corpus
// replay test that every build runs.
#ifndef TVMFFI_FUZZ_CODEC_FUZZ_TARGET_H_
#define TVMFFI_FUZZ_CODEC_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tvmffi::rpc::fuzz {

// Feeds one input to the decoder as an untrusted peer's Value, then as an Error. Aborts (a
// finding) only when a value that decoded fails to encode and decode again.
void RunCodecInput(const uint8_t* data, size_t size);

// Wire encodings of one value of every kind: the starting corpus.
std::vector<std::string> CodecSeeds();

}  // namespace tvmffi::rpc::fuzz

#endif  // TVMFFI_FUZZ_CODEC_FUZZ_TARGET_H_
