/*
 * tvmffi-rpc runtime: where in a tree an error was raised. A visitor that fails on a node
 * attaches a VisitErrorContext to the Error (its extra_context): the nodes it was visiting, the
 * innermost first, one appended by each enclosing visit as the error unwinds.
 * VisitErrorContext::FindAccessPaths then finds, from the root, the access paths
 * (root.field[3]["key"]...) that lead through exactly those nodes.
 *   TVM_FFI_VISIT_BEGIN(); ... TVM_FFI_VISIT_END(node);       record node, rethrow
 *   TVM_FFI_VISIT_THROW(ValueError, node) << "message";        raise with node as the context
 */
#ifndef TVM_FFI_EXTRA_VISIT_ERROR_CONTEXT_H_
#define TVM_FFI_EXTRA_VISIT_ERROR_CONTEXT_H_

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/expected.h>
#include <tvm/ffi/extra/base.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/reflection/access_path.h>

#include <optional>
#include <utility>

namespace tvm {
namespace ffi {

class VisitErrorContextObj : public Object {
 public:
  /*! \brief The nodes being visited when the error passed, innermost first. */
  List<ObjectRef> reverse_visit_pattern;
  /*! \brief The extra context the error carried before this one replaced it. */
  Optional<ObjectRef> prev_error_context;

  static constexpr bool _type_mutable = true;
  static constexpr TVMFFISEqHashKind _type_s_eq_hash_kind = kTVMFFISEqHashKindUnsupported;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("ffi.VisitErrorContext", VisitErrorContextObj, Object);
};

class VisitErrorContext : public ObjectRef {
 public:
  explicit VisitErrorContext(ObjectPtr<VisitErrorContextObj> n) : ObjectRef(std::move(n)) {}

  /*! \brief The visit context an error carries, if it carries one. */
  TVM_FFI_COLD_CODE static Optional<VisitErrorContext> TryGetFromError(const Error& err) {
    std::optional<ObjectRef> extra = err.extra_context();
    if (extra && extra->as<VisitErrorContextObj>() != nullptr) {
      return details::ObjectUnsafe::ObjectRefFromUnowned<VisitErrorContext>(
          const_cast<Object*>(extra->get()));
    }
    return std::nullopt;
  }

  /*!
   * \brief The access paths from root through every recorded node, outermost to innermost.
   *        With allow_prefix_match, a path that matches only the outer part of the record is
   *        reported too (at the deepest node that matched), when nothing matches it all.
   *        Never throws on a malformed tree: what cannot be walked is skipped.
   */
  TVM_FFI_COLD_CODE TVM_FFI_EXTRA_CXX_API static Array<reflection::AccessPath> FindAccessPaths(
      const ObjectRef& root, const VisitErrorContext& visit_context,
      bool allow_prefix_match = false);

  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NOTNULLABLE(VisitErrorContext, ObjectRef, VisitErrorContextObj);
};

#define TVM_FFI_VISIT_BEGIN() try {
#define TVM_FFI_VISIT_END(node)                                                \
  }                                                                            \
  catch (::tvm::ffi::Error & _tvm_ffi_visit_err_) {                            \
    ::tvm::ffi::details::UpdateVisitErrorContext(_tvm_ffi_visit_err_, (node)); \
    throw;                                                                     \
  }
#define TVM_FFI_VISIT_END_RETURN_EXPECTED(node)                                \
  }                                                                            \
  catch (::tvm::ffi::Error & _tvm_ffi_visit_err_) {                            \
    ::tvm::ffi::details::UpdateVisitErrorContext(_tvm_ffi_visit_err_, (node)); \
    return ::tvm::ffi::Unexpected(_tvm_ffi_visit_err_);                        \
  }
#define TVM_FFI_VISIT_THROW(ErrorKind, node)                                                    \
  ::tvm::ffi::details::ErrorBuilder(                                                            \
      #ErrorKind, TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0),                     \
      TVM_FFI_ALWAYS_LOG_BEFORE_THROW, ::std::nullopt,                                          \
      ::std::optional<::tvm::ffi::ObjectRef>(::tvm::ffi::details::MakeVisitErrorContext(node))) \
      .stream()

namespace details {
/*! \brief A context recording node alone. */
TVM_FFI_COLD_CODE inline VisitErrorContext MakeVisitErrorContext(const ObjectRef& node) {
  ObjectPtr<VisitErrorContextObj> context = make_object<VisitErrorContextObj>();
  context->reverse_visit_pattern.push_back(node);
  return VisitErrorContext(std::move(context));
}

/*! \brief Appends node to the error's visit context, giving it one (and keeping any other
 *         context it had as prev_error_context) when it has none. */
TVM_FFI_COLD_CODE inline void UpdateVisitErrorContext(Error& err,
                                                      const ObjectRef& node) {  // NOLINT
  std::optional<ObjectRef> extra = err.extra_context();
  if (extra) {
    if (const VisitErrorContextObj* context = extra->as<VisitErrorContextObj>()) {
      const_cast<VisitErrorContextObj*>(context)->reverse_visit_pattern.push_back(node);
      return;
    }
  }
  ObjectPtr<VisitErrorContextObj> context = make_object<VisitErrorContextObj>();
  context->reverse_visit_pattern.push_back(node);
  if (extra) context->prev_error_context = *extra;
  ErrorObj* cell = static_cast<ErrorObj*>(ObjectUnsafe::RawObjectPtrFromObjectRef(err));
  if (cell->extra_context != nullptr) ObjectUnsafe::DecRefObjectHandle(cell->extra_context);
  cell->extra_context = ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(std::move(context));
}
}  // namespace details

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_EXTRA_VISIT_ERROR_CONTEXT_H_
