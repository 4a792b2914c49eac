// Reflection of the access-path types (<tvm/ffi/reflection/access_path.h>), registered at load
// as upstream's library registers them: their fields (read-only), their structural kind
// (ConstTreeNode), and their __ffi_repr__, which writes a path as
// <root>.attr[0]["key"][<missing:"name">][<missing:3>][<missing:"key">].
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/access_path.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cstring>
#include <string>

namespace tvm {
namespace ffi {
namespace {

using reflection::AccessKind;
using reflection::AccessPath;
using reflection::AccessPathObj;
using reflection::AccessStep;
using reflection::AccessStepObj;

template <typename Obj, typename T, T Obj::*member>
int Get(void* field, TVMFFIAny* out) {
  Any value;
  if constexpr (std::is_enum_v<T>) {
    value = static_cast<int64_t>(*static_cast<T*>(field));
  } else {
    value = *static_cast<T*>(field);
  }
  *out = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(value));
  return 0;
}

template <typename Obj, typename T>
int64_t OffsetOf(const Obj& sample, T Obj::*member) {
  return reinterpret_cast<const char*>(&(sample.*member)) - reinterpret_cast<const char*>(&sample);
}

template <typename Obj, typename T>
void AddField(int32_t type_index, const char* name, int64_t offset, TVMFFIFieldGetter getter,
              int32_t static_type) {
  TVMFFIFieldInfo info{};
  info.name = TVMFFIByteArray{name, std::strlen(name)};
  info.size = sizeof(T);
  info.alignment = alignof(T);
  info.offset = offset;
  info.getter = getter;
  info.default_value_or_factory.type_index = TypeIndex::kTVMFFINone;
  info.field_static_type_index = static_type;
  if (TVMFFITypeRegisterField(type_index, &info) != 0) throw details::MoveFromSafeCallRaised();
}

void SetKindAndRepr(int32_t type_index, Function repr) {
  TVMFFITypeMetadata metadata{};
  metadata.structural_eq_hash_kind = kTVMFFISEqHashKindConstTreeNode;
  if (TVMFFITypeRegisterMetadata(type_index, &metadata) != 0) {
    throw details::MoveFromSafeCallRaised();
  }
  Any value = std::move(repr);
  TVMFFIByteArray name{"__ffi_repr__", 12};
  if (TVMFFITypeRegisterAttr(type_index, &name, details::AnyUnsafe::TVMFFIAnyPtrFromAny(value)) !=
      0) {
    throw details::MoveFromSafeCallRaised();
  }
}

std::string StepText(const AccessStepObj* step, const Function& repr) {
  auto key_repr = [&]() { return std::string(repr(step->key).cast<String>()); };
  switch (step->kind) {
    case AccessKind::kAttr:
      return "." + std::string(step->key.cast<String>());
    case AccessKind::kArrayItem:
      return "[" + std::to_string(step->key.cast<int64_t>()) + "]";
    case AccessKind::kMapItem:
      return "[" + key_repr() + "]";
    case AccessKind::kArrayItemMissing:
      return "[<missing:" + std::to_string(step->key.cast<int64_t>()) + ">]";
    case AccessKind::kAttrMissing:
    case AccessKind::kMapItemMissing:
      return "[<missing:" + key_repr() + ">]";
  }
  return "[<unknown step>]";
}

void RegisterAccessPathTypes() {
  ObjectPtr<AccessStepObj> step = make_object<AccessStepObj>();
  int32_t step_index = AccessStepObj::RuntimeTypeIndex();
  AddField<AccessStepObj, AccessKind>(step_index, "kind", OffsetOf(*step, &AccessStepObj::kind),
                                      Get<AccessStepObj, AccessKind, &AccessStepObj::kind>,
                                      TypeIndex::kTVMFFIInt);
  AddField<AccessStepObj, Any>(step_index, "key", OffsetOf(*step, &AccessStepObj::key),
                               Get<AccessStepObj, Any, &AccessStepObj::key>, TypeIndex::kTVMFFIAny);
  SetKindAndRepr(step_index, Function::FromTyped([](ObjectRef self, Function repr) -> String {
                   return StepText(static_cast<const AccessStepObj*>(self.get()), repr);
                 }));

  ObjectPtr<AccessPathObj> path = make_object<AccessPathObj>();
  int32_t path_index = AccessPathObj::RuntimeTypeIndex();
  AddField<AccessPathObj, Optional<ObjectRef>>(
      path_index, "parent", OffsetOf(*path, &AccessPathObj::parent),
      Get<AccessPathObj, Optional<ObjectRef>, &AccessPathObj::parent>, TypeIndex::kTVMFFIAny);
  AddField<AccessPathObj, Optional<AccessStep>>(
      path_index, "step", OffsetOf(*path, &AccessPathObj::step),
      Get<AccessPathObj, Optional<AccessStep>, &AccessPathObj::step>, TypeIndex::kTVMFFIAny);
  AddField<AccessPathObj, int32_t>(path_index, "depth", OffsetOf(*path, &AccessPathObj::depth),
                                   Get<AccessPathObj, int32_t, &AccessPathObj::depth>,
                                   TypeIndex::kTVMFFIInt);
  SetKindAndRepr(path_index, Function::FromTyped([](ObjectRef self, Function repr) -> String {
                   std::string out = "<root>";
                   const auto* p = static_cast<const AccessPathObj*>(self.get());
                   for (const AccessStep& s : p->ToSteps()) out += StepText(s.get(), repr);
                   return String(out);
                 }));
}

}  // namespace
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() { tvm::ffi::RegisterAccessPathTypes(); }
