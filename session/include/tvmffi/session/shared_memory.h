// Same-host tensors by reference. A tensor allocated in a shared-memory region crosses a
// session to a peer on the same host as the region's name and an offset; the peer maps the
// same pages. No byte is copied either way, and both sides see one buffer.
#ifndef TVMFFI_SESSION_SHARED_MEMORY_H_
#define TVMFFI_SESSION_SHARED_MEMORY_H_

#include <tvm/ffi/container/tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tvmffi::rpc {

// A POSIX shared-memory object mapped into this process. Every live region is findable by
// name and by address, so a peer's reference to it resolves to this process's own mapping.
class SharedRegion {
 public:
  // A new region of `bytes` bytes, readable and writable by this user only. Its space is
  // reserved now, so a full /dev/shm is an error here rather than a SIGBUS on first touch. The
  // name is removed when the region is destroyed (mappings elsewhere stay valid).
  static absl::StatusOr<std::shared_ptr<SharedRegion>> Create(uint64_t bytes);
  // The region called `name`: this process's mapping when it has one, else a new mapping.
  // Only names Create makes are accepted (no other shared-memory object can be opened).
  static absl::StatusOr<std::shared_ptr<SharedRegion>> Open(std::string_view name);
  // The live region of this process that holds [data, data + bytes), or null.
  static std::shared_ptr<SharedRegion> Find(const void* data, uint64_t bytes);

  ~SharedRegion();
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;

  const std::string& name() const { return name_; }
  char* base() const { return base_; }
  uint64_t size() const { return size_; }
  // Another process shrank the region's file under this mapping and an access faulted: the
  // fault was contained (see session/src/bus_guard.h) and the region now reads as zeros.
  bool broken() const;

 private:
  SharedRegion(std::string name, char* base, uint64_t size, bool owner, int guard)
      : name_(std::move(name)), base_(base), size_(size), owner_(owner), guard_(guard) {}
  // Guards and registers a new mapping; an error (and the mapping undone) past the guard's
  // bound of mapped regions.
  static absl::StatusOr<std::shared_ptr<SharedRegion>> Register(std::string name, char* base,
                                                                uint64_t size, bool owner);

  std::string name_;
  char* base_;
  uint64_t size_;
  bool owner_;  // created here: unlinks the name at the end
  int guard_;   // its slot in the SIGBUS guard
};

// Who can open this process's regions: equal ids mean the same kernel and the same /dev/shm
// (a container with its own /dev/shm differs). Empty when shared memory is unusable here.
const std::string& SharedMemoryHostId();

// A server makes a remote CPU tensor of at least this many bytes for a client on its host in
// shared memory, and the client maps it: CopyFrom and ToHost then copy in place, with no call.
// (Below it a region per tensor costs more than the call it saves.)
inline constexpr uint64_t kSharedTensorMinBytes = 256 << 10;

// A CPU tensor of shape and dtype whose bytes live in a new shared region of their own.
absl::StatusOr<tvm::ffi::Tensor> CreateSharedTensor(tvm::ffi::ShapeView shape, DLDataType dtype);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_SHARED_MEMORY_H_
