// Codec between TVM-FFI values (ffi::Any) and the wire's v1::Value, and between ffi::Error and
// v1::Error. Plain values are copied; objects that cannot be copied (functions, modules, opaque
// objects) go through a RefTable, which the session implements with its handle tables.
// Decoding never trusts its input: every malformed value is an error status, never a crash.
#ifndef TVMFFI_PROTO_CODEC_H_
#define TVMFFI_PROTO_CODEC_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/object.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tvmffi/rpc/v1/ffi.pb.h"

namespace tvmffi::rpc {

// How objects that are not copied by value cross a session.
class RefTable {
 public:
  virtual ~RefTable() = default;
  // A reference for a local object the peer cannot copy: a new handle in this side's table
  // (owner SENDER), or the peer's own handle when obj is a proxy of it (owner RECEIVER).
  virtual absl::StatusOr<v1::RemoteRef> ExportObject(const tvm::ffi::ObjectRef& obj) = 0;
  // The local value for a reference received from the peer: a proxy (owner SENDER) or the
  // object this side exported earlier (owner RECEIVER).
  virtual absl::StatusOr<tvm::ffi::Any> ImportRef(const v1::RemoteRef& ref) = 0;

  // Large tensors travel after the frame that carries them, in TensorChunk frames. The encoder
  // offers a contiguous tensor's bytes here; a stream id means "taken: send them after the
  // frame", nullopt means "inline them". owner (the tensor object, or null for a bare
  // DLTensor*) may be kept alive by the transport while it still sends from data.
  virtual std::optional<uint64_t> DeferTensorBytes(const char* data, uint64_t bytes,
                                                   TVMFFIObject* owner) {
    (void)data;
    (void)bytes;
    (void)owner;
    return std::nullopt;
  }
  // Whether a tensor stays with this side and travels as a reference (a remote tensor on the
  // peer's side) rather than by value: a tensor on a device, or one made on a device by the
  // device layer.
  virtual bool KeepRemote(const DLTensor& tensor) {
    (void)tensor;
    return false;
  }
  // A tensor that travels as a reference (KeepRemote): anything more the peer may use to reach
  // it, e.g. a CUDA IPC handle for a peer on this host. The default adds nothing.
  virtual void DescribeRemoteTensor(const DLTensor& tensor, v1::RemoteRef* ref) {
    (void)tensor;
    (void)ref;
  }
  // A tensor on a device whose memory the host cannot read, sent by value: its bytes copied
  // into a new host tensor (by the device layer), or why not. The default cannot.
  virtual absl::StatusOr<tvm::ffi::Tensor> StageToHost(const DLTensor& tensor) {
    (void)tensor;
    return absl::UnimplementedError("no device layer here");
  }
  // Peers on one host share memory: a tensor whose bytes lie in a shared region may travel as
  // the region's name and an offset instead. True when *out was filled.
  virtual bool ShareTensorBytes(const char* data, uint64_t bytes, v1::SharedBytes* out) {
    (void)data;
    (void)bytes;
    (void)out;
    return false;
  }
  // The decoder's side: `bytes` bytes of the shared memory `shared` names, mapped here. The
  // pointer owns the mapping.
  virtual absl::StatusOr<std::shared_ptr<char>> MapSharedBytes(const v1::SharedBytes& shared,
                                                               uint64_t bytes) {
    (void)shared;
    (void)bytes;
    return absl::UnimplementedError("shared-memory tensors need a session on the same host");
  }
  // Peers on one host: a host tensor sent by value may travel through a staging slot in
  // shared memory instead of the stream (copied in here, copied out by the receiver, whose
  // tensor is its own). True when *out was filled (with a lease).
  virtual bool StageTensorBytes(const char* data, uint64_t bytes, v1::SharedBytes* out) {
    (void)data;
    (void)bytes;
    (void)out;
    return false;
  }
  // The decoder's side of a staged tensor, when this side trusts the sender not to write a slot
  // it lent: the bytes in place (the pointer owns the mapping, and hands the slot back when
  // it goes). Null: copy them with ReadStagedBytes instead.
  virtual absl::StatusOr<std::shared_ptr<char>> AdoptStagedBytes(const v1::SharedBytes& shared,
                                                                 uint64_t bytes) {
    (void)shared;
    (void)bytes;
    return nullptr;
  }
  // The decoder's side of a staged tensor: its bytes copied into dest, the slot handed back.
  virtual absl::Status ReadStagedBytes(const v1::SharedBytes& shared, char* dest, uint64_t bytes) {
    (void)shared;
    (void)dest;
    (void)bytes;
    return absl::UnimplementedError("staged tensors need a session on the same host");
  }
  // The decoder asks for the bytes of chunk stream `stream_id` (from the chunk frames that
  // follow the frame being decoded) to be written to dest.
  virtual absl::Status ReadTensorBytes(uint64_t stream_id, char* dest, uint64_t bytes) {
    (void)stream_id;
    (void)dest;
    (void)bytes;
    return absl::UnimplementedError("chunked tensors need a session");
  }
};

struct CodecLimits {
  int max_depth = 64;                      // nesting of arrays/maps/errors
  uint64_t max_tensor_bytes = 1ull << 30;  // one tensor sent by value
  uint64_t max_elements = 1ull << 24;      // elements in one array
  // Entries in one map (or dict), and in all maps of one value. Maps are hash tables, but the
  // hash is not keyed: a client can pick keys that share one chain, and n such keys cost n^2/2
  // comparisons to decode. The bounds keep that worst case bounded (not measured with
  // colliding keys since maps became hash tables).
  uint64_t max_map_entries = 1ull << 14;
  uint64_t max_total_map_entries = 1ull << 16;
};

// Encodes value into *out. refs may be null (stateless calls): objects then fail with TypeError.
// A raw pointer (void*) is a TypeError; so is a tensor whose data is not on the CPU.
[[nodiscard]] absl::Status EncodeValue(const tvm::ffi::AnyView& value, RefTable* refs,
                                       v1::Value* out, const CodecLimits& limits = {});

// Decodes a value received from a peer. refs may be null: references then fail with TypeError.
[[nodiscard]] absl::StatusOr<tvm::ffi::Any> DecodeValue(const v1::Value& value, RefTable* refs,
                                                        const CodecLimits& limits = {});

// How a tensor crossed between processes: its bytes in the message (inline), in chunk frames
// after it (chunked), by reference to shared memory (shared), through a same-host staging
// slot (staged), or not at all: a reference to a tensor that stays with its sender (remote).
enum class TensorCrossing { kInline, kChunked, kShared, kStaged, kRemote };
constexpr int kNumTensorCrossings = 5;
const char* TensorCrossingName(TensorCrossing how);
// Tensors this process's codec sent (received: false) or received so far, by how they
// crossed: every session and stateless call together (the server's metrics).
uint64_t TensorsCrossed(bool received, TensorCrossing how);

// A new, uninitialized compact CPU tensor in the memory received tensors use (64-byte aligned;
// large blocks are recycled, so a fresh one does not page-fault its way in). Throws
// std::bad_alloc when out of memory.
tvm::ffi::Tensor NewHostTensor(tvm::ffi::ShapeView shape, DLDataType dtype);
// "float32[2, 3]": what must match for a copy between two tensors (both ends say it the same).
std::string TensorTypeText(DLDataType dtype, tvm::ffi::ShapeView shape);

// A compact copy (row-major, in NewHostTensor memory) of host tensor t, strided or not; the
// codec's own gather. TypeError for a strided tensor of a sub-byte dtype.
absl::StatusOr<tvm::ffi::Tensor> CompactHostTensor(const DLTensor& t);
// The inverse: compact row-major bytes (GetDataSize(t) of them) copied into host tensor t,
// strided or not. TypeError for a strided tensor of a sub-byte dtype.
absl::Status CopyCompactIntoHostTensor(const void* compact, const DLTensor& t);

// An error's kind, message, backtrace and cause chain.
void EncodeError(const tvm::ffi::Error& error, v1::Error* out);

// The error as the receiver should see it: the same kind and message; the backtrace is the
// peer's, then a marker line naming the peer, so local frames can follow.
tvm::ffi::Error DecodeError(const v1::Error& error, std::string_view peer);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_PROTO_CODEC_H_
