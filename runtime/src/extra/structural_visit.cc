// The library's side of structural visiting: the VisitInterrupt and StructuralVisitor types,
// the __s_visit__ hooks of the four containers (every item of an Array or List; every key and
// value of a Map or Dict, in order), and the globals the bindings use (ffi.StructuralWalk runs
// a walk whose callbacks are Functions chosen by type index).
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/tuple.h>
#include <tvm/ffi/extra/structural_visit.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>

#include <utility>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace {

using Callbacks = Array<Tuple<int32_t, Function>>;

TVMFFIAny Continue() noexcept {
  return details::ExpectedUnsafe::MoveToTVMFFIAny(Expected<Optional<VisitInterrupt>>(std::nullopt));
}

TVMFFIAny VisitSequence(StructuralVisitorObj* visitor, AnyView value) noexcept {
  const SeqBaseObj* seq = reinterpret_cast<const SeqBaseObj*>(
      details::AnyUnsafe::TVMFFIAnyPtrFromAnyView(value)->v_obj);
  for (const Any& item : *seq) {
    TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN(visitor->VisitExpected(item));
  }
  return Continue();
}

TVMFFIAny VisitMapping(StructuralVisitorObj* visitor, AnyView value) noexcept {
  Map<Any, Any> entries = internal::MappingView(Any(value));
  for (const auto& kv : entries) {
    TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN(visitor->VisitExpected(kv.first));
    TVM_FFI_S_VISIT_MAYBE_EARLY_RETURN(visitor->VisitExpected(kv.second));
  }
  return Continue();
}

Expected<Optional<VisitInterrupt>> Walk(AnyView root, const Callbacks& callbacks,
                                        const Callbacks& callbacks_with_kind,
                                        int32_t order) noexcept {
  auto dispatch = [callbacks, callbacks_with_kind](
                      AnyView x, TVMFFIDefRegionKind kind) -> Expected<WalkResult> {
    for (const auto& entry : callbacks) {
      if (details::RuntimeTypeIndexMatch(x.type_index(), entry.get<0>())) {
        return entry.get<1>().CallExpected<WalkResult>(x);
      }
    }
    for (const auto& entry : callbacks_with_kind) {
      if (details::RuntimeTypeIndexMatch(x.type_index(), entry.get<0>())) {
        return entry.get<1>().CallExpected<WalkResult>(x, kind);
      }
    }
    return WalkResult::Advance();
  };
  if (order == static_cast<int32_t>(WalkOrder::kPreOrder)) {
    using Visitor =
        details::StructuralWalkCallbackVisitorObj<WalkOrder::kPreOrder, decltype(dispatch)>;
    return StructuralVisitor(make_object<Visitor>(std::move(dispatch)))->VisitExpected(root);
  }
  using Visitor =
      details::StructuralWalkCallbackVisitorObj<WalkOrder::kPostOrder, decltype(dispatch)>;
  return StructuralVisitor(make_object<Visitor>(std::move(dispatch)))->VisitExpected(root);
}

void RegisterVisitHook(int32_t type_index, FStructuralVisit fn) {
  TVMFFIByteArray name = reflection::AsByteArray(reflection::type_attr::kStructuralVisit);
  TVMFFIAny value = AnyView(reinterpret_cast<void*>(fn)).CopyToTVMFFIAny();
  TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterAttr(type_index, &name, &value));
}

}  // namespace

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::ObjectDef<VisitInterruptObj>().def_ro("value", &VisitInterruptObj::value,
                                              refl::default_value(nullptr));
  refl::ObjectDef<StructuralVisitorObj>();  // NOLINT(bugprone-unused-raii)
  refl::GlobalDef()
      .def("ffi.VisitInterrupt", [](Any value) { return VisitInterrupt(std::move(value)); })
      .def("ffi.StructuralVisitorVisit",
           [](StructuralVisitor visitor, AnyView value) { return visitor->Visit(value); })
      .def("ffi.StructuralVisitorDefRegionKind",
           [](StructuralVisitor visitor) {
             return static_cast<int32_t>(visitor->def_region_kind());
           })
      .def("ffi.StructuralVisitorWithDefRegionKind",
           [](StructuralVisitor visitor, int32_t kind, Function callback) {
             return visitor->WithDefRegionKind(static_cast<TVMFFIDefRegionKind>(kind),
                                               [&]() { return callback(); });
           })
      .def("ffi.StructuralWalk",
           [](AnyView root, Callbacks callbacks, Callbacks callbacks_with_kind,
              int32_t order) -> Optional<VisitInterrupt> {
             return Walk(root, callbacks, callbacks_with_kind, order).value();
           });
  refl::EnsureTypeAttrColumn(refl::type_attr::kStructuralVisit);
  RegisterVisitHook(TypeIndex::kTVMFFIArray, &VisitSequence);
  RegisterVisitHook(TypeIndex::kTVMFFIList, &VisitSequence);
  RegisterVisitHook(TypeIndex::kTVMFFIMap, &VisitMapping);
  RegisterVisitHook(TypeIndex::kTVMFFIDict, &VisitMapping);
}

}  // namespace ffi
}  // namespace tvm
