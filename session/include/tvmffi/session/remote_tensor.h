// A tensor that lives on the peer (for a client: on the server, e.g. on its GPU). It is an
// object of its own type, never an ffi::Tensor with a foreign data pointer, so local code cannot
// dereference the peer's memory by mistake. Passed back to the peer, it is the peer's own
// tensor again: no bytes move. Its shape, dtype and device came with the reference.
#ifndef TVMFFI_SESSION_REMOTE_TENSOR_H_
#define TVMFFI_SESSION_REMOTE_TENSOR_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/object.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace tvmffi::rpc {
class Endpoint;
class SharedRegion;

class RemoteTensorObj : public tvm::ffi::Object {
 public:
  RemoteTensorObj(std::weak_ptr<Endpoint> endpoint, uint64_t handle, std::vector<int64_t> shape,
                  DLDataType dtype, DLDevice device, std::shared_ptr<void> keepalive);
  ~RemoteTensorObj();

  const std::vector<int64_t>& shape() const { return shape_; }
  DLDataType dtype() const { return dtype_; }
  DLDevice device() const { return device_; }
  // Calls the peer's session operation `op`(this tensor, args...): ConnectionError once the
  // session is gone.
  absl::StatusOr<tvm::ffi::Any> CallOp(const char* op,
                                       const std::vector<tvm::ffi::AnyView>& args) const;
  // Copies `bytes` bytes (its compact size) into it, or itself into a new host tensor, with no
  // session call: on the server's host straight through its memory when the server made it in
  // shared memory (a large CPU tensor), else over the session's data channel. nullopt when
  // neither is there (a small or device tensor on one host, TLS, refused, or the channel
  // broke): the caller then uses CallOp's "$tensor.copy_from" / "$tensor.to_host".
  std::optional<absl::Status> WriteDirect(const void* data, uint64_t bytes) const;
  std::optional<absl::StatusOr<tvm::ffi::Tensor>> ReadDirect() const;
  // The same into dest (compact, `bytes` long: its compact size). On nullopt dest may hold
  // part of the bytes; the caller's copy through the session overwrites it.
  std::optional<absl::Status> ReadDirect(void* dest, uint64_t bytes) const;

  static constexpr const char* kTypeKey = "tvmffi.rpc.RemoteTensor";
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("tvmffi.rpc.RemoteTensor", RemoteTensorObj, tvm::ffi::Object);

 private:
  std::weak_ptr<Endpoint> endpoint_;
  uint64_t handle_;
  std::vector<int64_t> shape_;
  DLDataType dtype_;
  DLDevice device_;
  std::shared_ptr<void> keepalive_;
  // The tensor's bytes mapped in this process (see WriteDirect), asked for once.
  char* MappedBytes() const;
  mutable std::mutex map_mutex_;
  mutable std::shared_ptr<SharedRegion> mapped_;  // under map_mutex_
  mutable std::optional<char*> mapped_data_;      // under map_mutex_; null: not mapped
};

}  // namespace tvmffi::rpc

#endif  // TVMFFI_SESSION_REMOTE_TENSOR_H_
