// Host memory for tensors received from the wire: 64-byte aligned. Large blocks are recycled
// through a small cache, because a fresh mapping costs a page fault per 4 KiB on first touch,
// which is most of a large receive's time (the same bytes reused cost none).
#ifndef TVMFFI_PROTO_SRC_HOST_MEMORY_H_
#define TVMFFI_PROTO_SRC_HOST_MEMORY_H_

#include <cstddef>

namespace tvmffi::rpc {

// nullptr for 0 bytes; throws std::bad_alloc when out of memory.
void* AllocTensorMemory(size_t bytes);
// bytes: what was asked of AllocTensorMemory.
void FreeTensorMemory(void* data, size_t bytes);

}  // namespace tvmffi::rpc

#endif  // TVMFFI_PROTO_SRC_HOST_MEMORY_H_
