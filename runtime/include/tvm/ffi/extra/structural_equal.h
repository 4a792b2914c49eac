/*
 * tvmffi-rpc runtime: structural equality of values (upstream's
 * <tvm/ffi/extra/structural_equal.h>).
 */
#ifndef TVM_FFI_EXTRA_STRUCTURAL_EQUAL_H_
#define TVM_FFI_EXTRA_STRUCTURAL_EQUAL_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/extra/base.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/reflection/access_path.h>

namespace tvm {
namespace ffi {

/*! \brief Equality by content: containers element by element, objects by their reflected
 *         fields under their type's structural kind (see runtime/src/extra/structural.cc). */
class StructuralEqual {
 public:
  /*!
   * \param map_free_vars bind free variables met on both sides to each other.
   * \param skip_tensor_content compare tensors by shape and dtype only.
   */
  TVM_FFI_EXTRA_CXX_API static bool Equal(const Any& lhs, const Any& rhs,
                                          bool map_free_vars = false,
                                          bool skip_tensor_content = false);
  /*! \brief Where lhs and rhs first differ, as a path into each; none when they are equal. */
  TVM_FFI_EXTRA_CXX_API static Optional<reflection::AccessPathPair> GetFirstMismatch(
      const Any& lhs, const Any& rhs, bool map_free_vars = false, bool skip_tensor_content = false);
  TVM_FFI_INLINE bool operator()(const Any& lhs, const Any& rhs) const {
    return Equal(lhs, rhs, false, false);
  }
};

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_STRUCTURAL_EQUAL_H_
