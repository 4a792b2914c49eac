/*
 * tvmffi-rpc runtime: a hash consistent with StructuralEqual (upstream's
 * <tvm/ffi/extra/structural_hash.h>). Values that are structurally equal hash alike; the numbers
 * themselves are this library's, not upstream's.
 */
#ifndef TVM_FFI_EXTRA_STRUCTURAL_HASH_H_
#define TVM_FFI_EXTRA_STRUCTURAL_HASH_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/extra/base.h>

#include <cstdint>

namespace tvm {
namespace ffi {

/*! \brief Hash by content, following StructuralEqual's rules. */
class StructuralHash {
 public:
  TVM_FFI_EXTRA_CXX_API static uint64_t Hash(const Any& value, bool map_free_vars = false,
                                             bool skip_tensor_content = false);
  TVM_FFI_INLINE uint64_t operator()(const Any& value) const { return Hash(value); }
};

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_STRUCTURAL_HASH_H_
