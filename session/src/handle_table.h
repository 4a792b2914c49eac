// Objects this side exported to the peer: handle -> object, with the number of references the
// peer holds (one per time the object was sent).
#ifndef TVMFFI_SESSION_SRC_HANDLE_TABLE_H_
#define TVMFFI_SESSION_SRC_HANDLE_TABLE_H_

#include <tvm/ffi/object.h>

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace tvmffi::rpc::internal {

class HandleTable {
 public:
  explicit HandleTable(size_t max_handles) : max_handles_(max_handles) {}
  // The object's handle (the same one each time it is exported); RESOURCE_EXHAUSTED when the
  // table is full.
  absl::StatusOr<uint64_t> Export(const tvm::ffi::ObjectRef& obj);
  // The object behind handle; INVALID_ARGUMENT for a handle the peer does not hold.
  absl::StatusOr<tvm::ffi::ObjectRef> Get(uint64_t handle) const;
  // The peer dropped one reference; the object goes when none remain. Unknown handles are
  // ignored (a misbehaving peer cannot make us crash).
  void Release(uint64_t handle);
  // Drops everything (the session ended). Destructors run outside the lock.
  void Clear();
  size_t size() const;

 private:
  struct Entry {
    tvm::ffi::ObjectRef obj;
    uint64_t count;
  };
  const size_t max_handles_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Entry> by_handle_;
  std::unordered_map<const tvm::ffi::Object*, uint64_t> by_object_;
  uint64_t next_handle_ = 1;
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_HANDLE_TABLE_H_
