#include "codec_fuzz_target.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/function.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <google/protobuf/stubs/logging.h>

#include "testing/host_tensor.h"
#include "tvmffi/proto/codec.h"

namespace tvmffi::rpc::fuzz {
namespace ffi = tvm::ffi;
namespace {

// Stands in for a session: any handle imports as one function, exports get fresh handles,
// chunked tensor bytes read as a pattern (or fail for an odd stream id, the broken-stream case)
// and shared bytes map into a static buffer.
class FuzzRefTable : public RefTable {
 public:
  absl::StatusOr<v1::RemoteRef> ExportObject(const ffi::ObjectRef& obj) override {
    v1::RemoteRef ref;
    ref.set_owner(v1::RemoteRef::SENDER);
    ref.set_handle(++next_handle_);
    ref.set_type_key(obj->GetTypeKey());
    return ref;
  }
  absl::StatusOr<ffi::Any> ImportRef(const v1::RemoteRef& ref) override {
    if (ref.handle() == 0) return absl::InvalidArgumentError("handle 0");
    return ffi::Any(ffi::Function::FromTyped([](int64_t x) { return x; }));
  }
  absl::Status ReadTensorBytes(uint64_t stream_id, char* dest, uint64_t bytes) override {
    if (stream_id % 2 == 1) return absl::UnavailableError("stream broke");
    std::memset(dest, 0x5a, bytes);
    return absl::OkStatus();
  }
  // A peer's shared memory: views of one static buffer, refused past its end.
  absl::StatusOr<std::shared_ptr<char>> MapSharedBytes(const v1::SharedBytes& shared,
                                                       uint64_t bytes) override {
    static char region[1 << 16];
    if (shared.offset() > sizeof(region) || bytes > sizeof(region) - shared.offset()) {
      return absl::InvalidArgumentError("outside the region");
    }
    return std::shared_ptr<char>(std::shared_ptr<char>(), region + shared.offset());
  }

 private:
  uint64_t next_handle_ = 0;
};

// Small limits keep each input cheap; the bounds themselves are what is under test.
CodecLimits FuzzLimits() {
  CodecLimits limits;
  limits.max_depth = 32;
  limits.max_tensor_bytes = 1 << 20;
  limits.max_elements = 1 << 12;
  return limits;
}

[[noreturn]] void Finding(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "codec fuzz finding: %s: %s\n", what, std::string(status.message()).c_str());
  std::abort();
}

}  // namespace

void RunCodecInput(const uint8_t* data, size_t size) {
  // protobuf logs each invalid UTF-8 string it parses; a fuzzer produces millions.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  const CodecLimits limits = FuzzLimits();
  v1::Value value;
  if (value.ParseFromArray(data, static_cast<int>(size))) {
    FuzzRefTable refs;
    absl::StatusOr<ffi::Any> decoded = DecodeValue(value, &refs, limits);
    if (decoded.ok()) {
      // Whatever decoded must travel again: encode and decode it once more.
      v1::Value again;
      absl::Status encoded = EncodeValue(*decoded, &refs, &again, limits);
      if (!encoded.ok()) Finding("a decoded value does not encode", encoded);
      absl::StatusOr<ffi::Any> redecoded = DecodeValue(again, &refs, limits);
      if (!redecoded.ok()) Finding("a re-encoded value does not decode", redecoded.status());
    }
    DecodeValue(value, nullptr, limits).IgnoreError();  // a stateless Call: no references
  }
  v1::Error error;
  if (error.ParseFromArray(data, static_cast<int>(size))) {
    ffi::Error err = DecodeError(error, "fuzz-peer");
    v1::Error again;
    EncodeError(err, &again);
  }
}

std::vector<std::string> CodecSeeds() {
  FuzzRefTable refs;
  std::vector<ffi::Any> values;
  values.emplace_back(nullptr);
  values.emplace_back(int64_t{-41});
  values.emplace_back(true);
  values.emplace_back(2.5);
  values.emplace_back(DLDataType{kDLBfloat, 16, 4});
  values.emplace_back(DLDevice{kDLCUDA, 3});
  values.emplace_back(ffi::String("a string longer than the small form"));
  values.emplace_back(ffi::Bytes(std::string("\0\1\2", 3)));
  values.emplace_back(ffi::Shape({2, 3, 4}));
  ffi::Array<ffi::Any> arr{ffi::Any(1), ffi::Any(ffi::String("two")), ffi::Any(3.5)};
  values.emplace_back(arr);
  values.emplace_back(ffi::Map<ffi::Any, ffi::Any>{{ffi::Any(ffi::String("k")), ffi::Any(arr)}});
  values.emplace_back(ffi::Error("ValueError", "message", "frame one\nframe two"));
  values.emplace_back(ffi::Function::FromTyped([](int64_t x) { return x; }));
  ffi::Tensor t = testing::HostTensor(ffi::Shape({4, 4}), DLDataType{kDLFloat, 32, 1});
  std::memset(t.data_ptr(), 0, 64);
  values.emplace_back(t);
  std::vector<std::string> seeds;
  for (const ffi::Any& v : values) {
    v1::Value wire;
    if (EncodeValue(v, &refs, &wire).ok()) seeds.push_back(wire.SerializeAsString());
  }
  // A tensor by reference to shared memory (what a same-host peer sends).
  v1::Value shared;
  if (EncodeValue(t, &refs, &shared).ok()) {
    shared.mutable_tensor()->clear_data();
    shared.mutable_tensor()->mutable_shared()->set_region(
        "/tvmffi-0123456789abcdef0123456789abcdef");
    shared.mutable_tensor()->mutable_shared()->set_offset(128);
    seeds.push_back(shared.SerializeAsString());
  }
  return seeds;
}

}  // namespace tvmffi::rpc::fuzz

// libFuzzer's entry point (also called by the replay driver).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tvmffi::rpc::fuzz::RunCodecInput(data, size);
  return 0;
}
