/*
 * tvmffi-rpc runtime: walking a value's structure. A StructuralVisitorObj visits a value through
 * its vtable's `visit` function (a C function pointer, so a visitor made in one library runs
 * in another); DefaultVisitExpected descends: a type's __s_visit__ attribute when it has one
 * (Array, List, Map and Dict have theirs in the library), else its reflected fields (those not
 * SEqHashIgnore'd), each under the def-region kind its flags give. Results travel as
 * Expected<Optional<VisitInterrupt>>: None to go on, a VisitInterrupt to stop the whole walk
 * (its payload returned to the caller), or an Error.
 *
 * StructuralWalk<WalkOrder::kPreOrder>(root, callbacks...) is the convenient form: each value is
 * offered to the callbacks in order; the first whose argument type the value is (AnyView and Any
 * take all) runs, taking (value) or (value, TVMFFIDefRegionKind), and returns a WalkResult:
 * Advance, Skip (do not descend; pre-order only), or Interrupt(payload). An Error a callback
 * raises comes back from StructuralWalk with the nodes it passed as its VisitErrorContext.
 */
#ifndef TVM_FFI_EXTRA_STRUCTURAL_VISIT_H_
#define TVM_FFI_EXTRA_STRUCTURAL_VISIT_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/cast.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/tuple.h>
#include <tvm/ffi/container/variant.h>
#include <tvm/ffi/expected.h>
#include <tvm/ffi/extra/visit_error_context.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/function_details.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/reflection/accessor.h>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

/*! \brief Stops a walk; value is handed back to whoever started it. */
class VisitInterruptObj : public Object {
 public:
  Any value;
  VisitInterruptObj() = default;
  explicit VisitInterruptObj(Any value) : value(std::move(value)) {}
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIVisitInterrupt;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIVisitInterrupt, VisitInterruptObj,
                                     Object);
};

class VisitInterrupt : public ObjectRef {
 public:
  VisitInterrupt() : VisitInterrupt(Any(nullptr)) {}
  explicit VisitInterrupt(Any value)
      : ObjectRef(make_object<VisitInterruptObj>(std::move(value))) {}
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NOTNULLABLE(VisitInterrupt, ObjectRef, VisitInterruptObj);
};

class StructuralVisitorObj;
/*! \brief A visit: returns an owned Any holding None, a VisitInterrupt or an Error. */
using FStructuralVisit = TVMFFIAny (*)(StructuralVisitorObj* visitor, AnyView value) noexcept;

namespace details {
inline Expected<Optional<VisitInterrupt>> VisitReflectedFieldsExpected(
    StructuralVisitorObj* visitor, const Object* obj) noexcept;
}  // namespace details

struct StructuralVisitorVTable {
  FStructuralVisit visit = nullptr;
};

class StructuralVisitorObj : public Object {
 public:
  /*! \brief Visits value; throws the Error a visit returns. */
  Optional<VisitInterrupt> Visit(AnyView value) { return VisitExpected(value).value(); }
  Expected<Optional<VisitInterrupt>> VisitExpected(AnyView value) noexcept {
    return details::ExpectedUnsafe::MoveFromTVMFFIAny<Optional<VisitInterrupt>>(
        (*vtable_->visit)(this, value));
  }
  /*! \brief How the value being visited defines variables (set by the field that holds it). */
  TVMFFIDefRegionKind def_region_kind() const { return def_region_mode_; }
  /*! \brief Runs callback with the def-region kind set to kind, then restores it. */
  template <typename Callback>
  auto WithDefRegionKind(TVMFFIDefRegionKind kind, Callback&& callback) {
    struct Restore {
      StructuralVisitorObj* self;
      TVMFFIDefRegionKind old;
      ~Restore() { self->def_region_mode_ = old; }
    } restore{this, def_region_mode_};
    def_region_mode_ = kind;
    return std::forward<Callback>(callback)();
  }
  /*! \brief Descends into value's children (see the file comment). */
  Expected<Optional<VisitInterrupt>> DefaultVisitExpected(AnyView value) noexcept {
    int32_t type_index = value.type_index();
    static reflection::TypeAttrColumn column(reflection::type_attr::kStructuralVisit);
    AnyView hook = column[type_index];
    if (hook.type_index() == TypeIndex::kTVMFFIOpaquePtr) {
      FStructuralVisit fn = reinterpret_cast<FStructuralVisit>(hook.cast<void*>());
      return details::ExpectedUnsafe::MoveFromTVMFFIAny<Optional<VisitInterrupt>>(fn(this, value));
    }
    if (hook.type_index() == TypeIndex::kTVMFFIFunction) {
      return hook.cast<Function>().CallExpected<Optional<VisitInterrupt>>(this, value);
    }
    if (TVM_FFI_PREDICT_FALSE(hook.type_index() != TypeIndex::kTVMFFINone)) {
      return Unexpected(Error("TypeError",
                              std::string(reflection::type_attr::kStructuralVisit) +
                                  " must be an opaque function pointer or ffi.Function",
                              ""));
    }
    if (type_index < TypeIndex::kTVMFFIStaticObjectBegin) {
      return Optional<VisitInterrupt>(std::nullopt);
    }
    return details::VisitReflectedFieldsExpected(this, value.cast<const Object*>());
  }

  static constexpr bool _type_mutable = true;
  TVM_FFI_DECLARE_OBJECT_INFO("ffi.StructuralVisitor", StructuralVisitorObj, Object);

 protected:
  explicit StructuralVisitorObj(const StructuralVisitorVTable* vtable) : vtable_(vtable) {}
  const StructuralVisitorVTable* vtable_ = nullptr;
  TVMFFIDefRegionKind def_region_mode_ = kTVMFFIDefRegionKindNone;
};

class StructuralVisitor : public ObjectRef {
 public:
  explicit StructuralVisitor(ObjectPtr<StructuralVisitorObj> n) : ObjectRef(std::move(n)) {}
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NOTNULLABLE(StructuralVisitor, ObjectRef, StructuralVisitorObj);
};

namespace details {
/*! \brief Whether a visit result ends the walk (an Error or an interrupt). */
template <typename T>
bool StructuralVisitNeedEarlyReturn(const Expected<T>& result) noexcept {
  int32_t type_index = result.type_index();
  return type_index == TypeIndex::kTVMFFIError || type_index == TypeIndex::kTVMFFIVisitInterrupt;
}

inline Expected<Optional<VisitInterrupt>> VisitReflectedFieldsExpected(
    StructuralVisitorObj* visitor, const Object* obj) noexcept {
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(obj->type_index());
  TVMFFIDefRegionKind inherited = visitor->def_region_kind();
  // A free variable met inside a non-recursive definition does not define what it holds.
  if (inherited == kTVMFFIDefRegionKindNonRecursive && info->metadata != nullptr &&
      info->metadata->structural_eq_hash_kind == kTVMFFISEqHashKindFreeVar) {
    inherited = kTVMFFIDefRegionKindNone;
  }
  Expected<Optional<VisitInterrupt>> result = Optional<VisitInterrupt>(std::nullopt);
  reflection::ForEachFieldInfoWithEarlyStop(info, [&](const TVMFFIFieldInfo* field) -> bool {
    if (field->flags & kTVMFFIFieldFlagBitMaskSEqHashIgnore) return false;
    Any child;
    void* addr = const_cast<char*>(reinterpret_cast<const char*>(obj)) + field->offset;
    if (TVM_FFI_PREDICT_FALSE(field->getter(addr, reinterpret_cast<TVMFFIAny*>(&child)) != 0)) {
      result = Unexpected(MoveFromSafeCallRaised());
      return true;
    }
    TVMFFIDefRegionKind kind = inherited;
    if (field->flags & kTVMFFIFieldFlagBitMaskSEqHashDefNonRecursive) {
      kind = kTVMFFIDefRegionKindNonRecursive;
    } else if (field->flags & kTVMFFIFieldFlagBitMaskSEqHashDefRecursive) {
      kind = kTVMFFIDefRegionKindRecursive;
    }
    result = visitor->WithDefRegionKind(kind, [&]() { return visitor->VisitExpected(child); });
    return StructuralVisitNeedEarlyReturn(result);
  });
  return result;
}
}  // namespace details

/*! \brief What a walk callback returns: go on, skip the value's children, or stop. */
class WalkResult : public Variant<VisitInterrupt, int32_t> {
 public:
  static constexpr int32_t kAdvanceTag = 0;
  static constexpr int32_t kSkipTag = 1;
  using Storage = Variant<VisitInterrupt, int32_t>;
  static WalkResult Advance() { return WalkResult(kAdvanceTag); }
  static WalkResult Skip() { return WalkResult(kSkipTag); }
  static WalkResult Interrupt(VisitInterrupt signal = VisitInterrupt()) {
    return WalkResult(Storage(std::move(signal)));
  }

 private:
  explicit WalkResult(int32_t tag) : Storage(tag) {}
  explicit WalkResult(Storage storage) : Storage(std::move(storage)) {}
  friend struct TypeTraits<WalkResult>;
};

template <>
inline constexpr bool use_default_type_traits_v<WalkResult> = false;

/*! \brief A WalkResult in an Any; None reads as Advance. */
template <>
struct TypeTraits<WalkResult> : TypeTraits<WalkResult::Storage> {
  using Base = TypeTraits<WalkResult::Storage>;
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFINone || Base::CheckAnyStrict(src);
  }
  static WalkResult CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return WalkResult::Advance();
    return WalkResult(Base::CopyFromAnyViewAfterCheck(src));
  }
  static WalkResult MoveFromAnyAfterCheck(TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return WalkResult::Advance();
    return WalkResult(Base::MoveFromAnyAfterCheck(src));
  }
  static std::optional<WalkResult> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return WalkResult::Advance();
    if (auto storage = Base::TryCastFromAnyView(src)) return WalkResult(*std::move(storage));
    return std::nullopt;
  }
  static std::string TypeStr() { return "WalkResult"; }
};

enum class WalkOrder : int32_t {
  kPreOrder = 0,
  kPostOrder = 1,
};

/*! \brief In a FStructuralVisit: return Result now when it ends the walk. */
#define TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN(Result)                                          \
  do {                                                                                      \
    auto&& tvm_ffi_res_ = (Result);                                                         \
    if (TVM_FFI_PREDICT_FALSE(                                                              \
            ::tvm::ffi::details::StructuralVisitNeedEarlyReturn(tvm_ffi_res_))) {           \
      return ::tvm::ffi::details::ExpectedUnsafe::MoveToTVMFFIAny(std::move(tvm_ffi_res_)); \
    }                                                                                       \
  } while (0)

/*! \brief The same, recording Node in the error's visit context when Result is an Error. */
#define TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN_WITH_ERROR_CONTEXT(Result, Node)                 \
  do {                                                                                      \
    auto&& tvm_ffi_res_ = (Result);                                                         \
    if (TVM_FFI_PREDICT_FALSE(                                                              \
            ::tvm::ffi::details::StructuralVisitNeedEarlyReturn(tvm_ffi_res_))) {           \
      if (tvm_ffi_res_.type_index() == ::tvm::ffi::TypeIndex::kTVMFFIError &&               \
          (Node).type_index() >= ::tvm::ffi::TypeIndex::kTVMFFIStaticObjectBegin) {         \
        ::tvm::ffi::Error tvm_ffi_visit_err_ = tvm_ffi_res_.error();                        \
        ::tvm::ffi::details::UpdateVisitErrorContext(tvm_ffi_visit_err_,                    \
                                                     (Node).cast<::tvm::ffi::ObjectRef>()); \
      }                                                                                     \
      return ::tvm::ffi::details::ExpectedUnsafe::MoveToTVMFFIAny(std::move(tvm_ffi_res_)); \
    }                                                                                       \
  } while (0)

namespace details {
/*! \brief The visitor behind StructuralWalk: dispatch(value, kind) -> Expected<WalkResult>
 *         before (pre-order) or after (post-order) the default descent. */
template <WalkOrder order, typename Dispatch>
class StructuralWalkCallbackVisitorObj : public StructuralVisitorObj {
 public:
  explicit StructuralWalkCallbackVisitorObj(Dispatch dispatch)
      : StructuralVisitorObj(VTable()), dispatch_(std::move(dispatch)) {}

 private:
  static const StructuralVisitorVTable* VTable() {
    static const StructuralVisitorVTable vtable{&StructuralWalkCallbackVisitorObj::Dispatched};
    return &vtable;
  }
  static TVMFFIAny Dispatched(StructuralVisitorObj* self, AnyView value) noexcept {
    return static_cast<StructuralWalkCallbackVisitorObj*>(self)->VisitImpl(value);
  }
  static TVMFFIAny Continue() noexcept {
    return ExpectedUnsafe::MoveToTVMFFIAny(Expected<Optional<VisitInterrupt>>(std::nullopt));
  }
  TVMFFIAny VisitImpl(AnyView value) noexcept {
    if (value.type_index() == TypeIndex::kTVMFFINone) return Continue();
    if constexpr (order == WalkOrder::kPreOrder) {
      auto result = dispatch_(value, this->def_region_kind());
      TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN_WITH_ERROR_CONTEXT(result, value);
      if (ExpectedUnsafe::ValueAs<int32_t>(result) == WalkResult::kSkipTag) return Continue();
    }
    TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN_WITH_ERROR_CONTEXT(DefaultVisitExpected(value), value);
    if constexpr (order == WalkOrder::kPostOrder) {
      TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN_WITH_ERROR_CONTEXT(
          dispatch_(value, this->def_region_kind()), value);
    }
    return Continue();
  }
  Dispatch dispatch_;
};

/*! \brief Turns callbacks into one dispatch: the first whose argument type matches runs. */
struct StructuralWalkCallbackChain {
  template <typename... Callbacks>
  static auto FromChain(Callbacks... callbacks) {
    return [=](AnyView x, TVMFFIDefRegionKind kind) mutable -> Expected<WalkResult> {
      try {
        std::optional<Expected<WalkResult>> result;
        (... || (result = TryCallLink(callbacks, x, kind)).has_value());
        if (result.has_value()) return *std::move(result);
        return WalkResult::Advance();
      } catch (const Error& err) {
        return Unexpected(err);
      }
    };
  }

 private:
  template <typename Callback>
  static std::optional<Expected<WalkResult>> TryCallLink(Callback& callback, AnyView x,
                                                         TVMFFIDefRegionKind kind) {
    using Info = FunctionInfo<std::decay_t<Callback>>;
    static_assert(Info::num_args == 1 || Info::num_args == 2,
                  "a StructuralWalk callback takes (value) or (value, TVMFFIDefRegionKind)");
    using First =
        std::remove_cv_t<std::remove_reference_t<std::tuple_element_t<0, typename Info::ArgType>>>;
    if constexpr (std::is_same_v<First, AnyView>) {
      return Invoke(callback, x, kind);
    } else if constexpr (std::is_same_v<First, Any>) {
      return Invoke(callback, Any(x), kind);
    } else if constexpr (std::is_pointer_v<First>) {  // (const) SomeObj*
      using Obj = std::remove_cv_t<std::remove_pointer_t<First>>;
      if (const Obj* obj = x.template as<Obj>())
        return Invoke(callback, const_cast<Obj*>(obj), kind);
      return std::nullopt;
    } else {
      if (auto value = x.template as<First>()) return Invoke(callback, *std::move(value), kind);
      return std::nullopt;
    }
  }
  template <typename Callback, typename Value>
  static Expected<WalkResult> Invoke(Callback& callback, Value&& value, TVMFFIDefRegionKind kind) {
    using Info = FunctionInfo<std::decay_t<Callback>>;
    if constexpr (Info::num_args == 1) {
      return callback(std::forward<Value>(value));
    } else {
      return callback(std::forward<Value>(value), kind);
    }
  }
};
}  // namespace details

/*! \brief Walks root with the callbacks; the interrupt's payload, None, or the Error. */
template <WalkOrder order, typename... Callbacks>
Expected<Optional<VisitInterrupt>> StructuralWalkExpected(AnyView root,
                                                          Callbacks&&... callbacks) noexcept {
  static_assert(sizeof...(Callbacks) != 0, "StructuralWalk needs at least one callback");
  auto dispatch =
      details::StructuralWalkCallbackChain::FromChain(std::forward<Callbacks>(callbacks)...);
  using Visitor = details::StructuralWalkCallbackVisitorObj<order, decltype(dispatch)>;
  StructuralVisitor visitor(make_object<Visitor>(std::move(dispatch)));
  return visitor->VisitExpected(root);
}

/*! \brief StructuralWalkExpected, throwing the Error. */
template <WalkOrder order, typename... Callbacks>
Optional<VisitInterrupt> StructuralWalk(AnyView root, Callbacks&&... callbacks) {
  return StructuralWalkExpected<order>(root, std::forward<Callbacks>(callbacks)...).value();
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_EXTRA_STRUCTURAL_VISIT_H_
