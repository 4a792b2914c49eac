#include "handle_table.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {

absl::StatusOr<uint64_t> HandleTable::Export(const tvm::ffi::ObjectRef& obj) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_object_.find(obj.get());
  if (it != by_object_.end()) {
    ++by_handle_[it->second].count;
    return it->second;
  }
  if (by_handle_.size() >= max_handles_) {
    return WithErrorKind(absl::ResourceExhaustedError(absl::StrCat(
                             "the peer holds ", by_handle_.size(), " objects, the limit")),
                         kind::kRuntimeError);
  }
  uint64_t handle = next_handle_++;
  by_handle_.emplace(handle, Entry{obj, 1});
  by_object_.emplace(obj.get(), handle);
  return handle;
}

absl::StatusOr<tvm::ffi::ObjectRef> HandleTable::Get(uint64_t handle) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) {
    return ValueError(absl::StrCat("unknown or released handle ", handle));
  }
  return it->second.obj;
}

void HandleTable::Release(uint64_t handle) {
  tvm::ffi::ObjectRef dropped;  // destroyed after the lock
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return;
  if (--it->second.count == 0) {
    dropped = std::move(it->second.obj);
    by_object_.erase(dropped.get());
    by_handle_.erase(it);
  }
}

void HandleTable::Clear() {
  std::unordered_map<uint64_t, Entry> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped.swap(by_handle_);
    by_object_.clear();
  }
}

size_t HandleTable::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return by_handle_.size();
}

}  // namespace tvmffi::rpc::internal
