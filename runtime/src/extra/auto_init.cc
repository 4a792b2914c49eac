// The auto-generated __ffi_init__ of reflected types (upstream's reflection::ObjectDef calls the
// global "ffi._RegisterFFIInit"(type_index) for a type with a creator and no explicit init), and
// the KWARGS sentinel ("ffi.GetKwargsObject") of its calling convention.
//
// The init function takes the fields, ancestors' first, except those flagged InitOff:
//   init(a, b)                         positional: the fields that are not KwOnly, those without
//                                      a default first;
//   init(a, KWARGS, "name", v, ...)    positionals up to the sentinel, then name/value pairs.
// Fields not given take their default (a value, or a factory's result with DefaultFromFactory);
// a missing one without default, an unknown or repeated name, too many positionals and an odd
// pair list are TypeErrors worded as Python words them ("T.__ffi_init__() missing required
// argument: 'x'"). A setter's error is re-raised with the field named.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace internal {

ObjectRef KwargsObjectSingleton() {
  static ObjectRef* kwargs = new ObjectRef(make_object<Object>());
  return *kwargs;
}

TypeAttr::TypeAttr(const char* name) {
  TVMFFIByteArray bytes{name, std::strlen(name)};
  column_ = TVMFFIGetTypeAttrColumn(&bytes);
}

AnyView TypeAttr::operator[](int32_t type_index) const {
  if (column_ == nullptr || type_index < column_->begin_index ||
      type_index - column_->begin_index >= column_->size) {
    return AnyView();
  }
  return AnyView::CopyFromTVMFFIAny(column_->data[type_index - column_->begin_index]);
}

Any ReadField(const Object* obj, const TVMFFIFieldInfo& f) {
  TVMFFIAny raw{};
  raw.type_index = TypeIndex::kTVMFFINone;
  void* addr = const_cast<char*>(reinterpret_cast<const char*>(obj)) + f.offset;
  if (f.getter == nullptr || f.getter(addr, &raw) != 0) throw details::MoveFromSafeCallRaised();
  return details::AnyUnsafe::MoveTVMFFIAnyToAny(&raw);
}

namespace {
// The type's __ffi_new__ function, or None.
AnyView NewFunction(const TVMFFITypeInfo* info) {
  static const TypeAttr new_attr("__ffi_new__");
  AnyView fn = new_attr[info->type_index];
  return fn.type_index() == TypeIndex::kTVMFFIFunction ? fn : AnyView();
}
}  // namespace

bool CanMakeEmpty(const TVMFFITypeInfo* info) {
  return (info->metadata != nullptr && info->metadata->creator != nullptr) ||
         NewFunction(info).type_index() != TypeIndex::kTVMFFINone;
}

int CallFieldSetter(const TVMFFIFieldInfo* f, void* addr, const TVMFFIAny* value) {
  if ((f->flags & kTVMFFIFieldFlagBitSetterIsFunctionObj) == 0) {
    return reinterpret_cast<TVMFFIFieldSetter>(f->setter)(addr, value);
  }
  TVMFFIAny args[2]{};
  args[0].type_index = TypeIndex::kTVMFFIOpaquePtr;
  args[0].v_ptr = addr;
  args[1] = *value;
  TVMFFIAny result{};
  result.type_index = TypeIndex::kTVMFFINone;
  int rc = TVMFFIFunctionCall(f->setter, args, 2, &result);
  if (rc == 0) details::AnyUnsafe::MoveTVMFFIAnyToAny(&result);  // drop the result
  return rc;
}

void SetFieldToDefault(const TVMFFIFieldInfo* f, void* addr) {
  int rc;
  if (f->flags & kTVMFFIFieldFlagBitMaskDefaultFromFactory) {
    Any value = AnyView::CopyFromTVMFFIAny(f->default_value_or_factory).cast<Function>()();
    rc = CallFieldSetter(f, addr, details::AnyUnsafe::TVMFFIAnyPtrFromAny(value));
  } else {
    rc = CallFieldSetter(f, addr, &f->default_value_or_factory);
  }
  if (rc != 0) throw details::MoveFromSafeCallRaised();
}

ObjectPtr<Object> NewEmptyObject(const TVMFFITypeInfo* info) {
  if (info->metadata != nullptr && info->metadata->creator != nullptr) {
    TVMFFIObjectHandle handle = nullptr;
    if (info->metadata->creator(&handle) != 0) throw details::MoveFromSafeCallRaised();
    return details::ObjectUnsafe::ObjectPtrFromOwned<Object>(static_cast<Object*>(handle));
  }
  if (AnyView maker = NewFunction(info); maker.type_index() != TypeIndex::kTVMFFINone) {
    ObjectRef made = maker.cast<Function>()().cast<ObjectRef>();
    return details::ObjectUnsafe::ObjectPtrFromObjectRef<Object>(std::move(made));
  }
  TVM_FFI_THROW(RuntimeError) << "Type `"
                              << std::string_view(info->type_key.data, info->type_key.size)
                              << "` has no creator and no __ffi_new__: it cannot be made empty";
  TVM_FFI_UNREACHABLE();
}

}  // namespace internal
namespace {

std::string_view View(const TVMFFIByteArray& b) { return std::string_view(b.data, b.size); }

struct InitPlan {
  struct Field {
    const TVMFFIFieldInfo* info;
    bool init;
    bool kw_only;
    bool has_default;
  };
  std::string type_key;
  std::vector<Field> fields;
  std::vector<size_t> positional;  // indexes into fields, in call order
  std::unordered_map<std::string_view, size_t> by_name;
  size_t num_init = 0;
};

std::shared_ptr<InitPlan> PlanFor(const TVMFFITypeInfo* info) {
  auto plan = std::make_shared<InitPlan>();
  plan->type_key = std::string(View(info->type_key));
  auto add = [&](const TVMFFITypeInfo* owner) {
    for (int32_t i = 0; i < owner->num_fields; ++i) {
      const TVMFFIFieldInfo* f = &owner->fields[i];
      InitPlan::Field field{f, (f->flags & kTVMFFIFieldFlagBitMaskInitOff) == 0,
                            (f->flags & kTVMFFIFieldFlagBitMaskKwOnly) != 0,
                            (f->flags & kTVMFFIFieldFlagBitMaskHasDefault) != 0};
      plan->fields.push_back(field);
      size_t index = plan->fields.size() - 1;
      if (!field.init) continue;
      plan->by_name[View(f->name)] = index;
      if (!field.kw_only) plan->positional.push_back(index);
    }
  };
  for (int32_t d = 1; d < info->type_depth; ++d) add(info->type_ancestors[d]);
  add(info);
  // Fields without a default come first among the positionals, each group in field order.
  std::stable_partition(plan->positional.begin(), plan->positional.end(),
                        [&](size_t i) { return !plan->fields[i].has_default; });
  return plan;
}

class Binder {
 public:
  Binder(const InitPlan& plan, Object* obj) : plan_(plan), obj_(obj), set_(plan.fields.size()) {}

  void Bind(const TVMFFIAny* args, int num_args) {
    const Object* kwargs = internal::KwargsObjectSingleton().get();
    int marker = -1;
    for (int i = 0; i < num_args; ++i) {
      if (args[i].type_index >= TypeIndex::kTVMFFIStaticObjectBegin &&
          args[i].v_obj == reinterpret_cast<const TVMFFIObject*>(kwargs)) {
        marker = i;
        break;
      }
    }
    int num_positional = marker >= 0 ? marker : num_args;
    if (static_cast<size_t>(num_positional) > plan_.positional.size()) {
      TVM_FFI_THROW(TypeError) << plan_.type_key << ".__ffi_init__() takes at most "
                               << plan_.positional.size() << " positional argument(s), but "
                               << num_positional << " were given";
    }
    for (int i = 0; i < num_positional; ++i) Set(plan_.positional[i], &args[i]);
    if (marker >= 0) {
      int pairs = num_args - marker - 1;
      if (pairs % 2 != 0) {
        TVM_FFI_THROW(TypeError)
            << plan_.type_key
            << ".__ffi_init__() KWARGS requires an even number of key-value arguments";
      }
      for (int i = marker + 1; i < num_args; i += 2) {
        String name = AnyView::CopyFromTVMFFIAny(args[i]).cast<String>();
        auto it = plan_.by_name.find(std::string_view(name));
        if (it == plan_.by_name.end()) {
          TVM_FFI_THROW(TypeError)
              << plan_.type_key << ".__ffi_init__() got an unexpected keyword argument '"
              << std::string_view(name) << "'";
        }
        if (set_[it->second]) {
          TVM_FFI_THROW(TypeError)
              << plan_.type_key << ".__ffi_init__() got multiple values for argument '"
              << std::string_view(name) << "'";
        }
        Set(it->second, &args[i + 1]);
      }
    }
    for (size_t i = 0; i < plan_.fields.size(); ++i) {
      if (set_[i]) continue;
      const InitPlan::Field& field = plan_.fields[i];
      if (field.has_default) {
        SetDefault(field.info);
      } else if (field.init) {
        TVM_FFI_THROW(TypeError) << plan_.type_key << ".__ffi_init__() missing required "
                                 << (field.kw_only ? "keyword-only " : "") << "argument: '"
                                 << View(field.info->name) << "'";
      }
    }
  }

 private:
  void* Addr(const TVMFFIFieldInfo* f) { return reinterpret_cast<char*>(obj_) + f->offset; }

  void Set(size_t index, const TVMFFIAny* value) {
    const TVMFFIFieldInfo* f = plan_.fields[index].info;
    if (internal::CallFieldSetter(f, Addr(f), value) != 0) {
      Error cause = details::MoveFromSafeCallRaised();
      // the setter's message, indented under the field it was for
      std::string message =
          plan_.type_key + ".__ffi_init__() field '" + std::string(View(f->name)) + "':\n  ";
      for (char ch : std::string(cause.message())) {
        message.push_back(ch);
        if (ch == '\n') message.append("  ");
      }
      throw Error(cause.kind(), message, cause.backtrace());
    }
    set_[index] = true;
  }
  void SetDefault(const TVMFFIFieldInfo* f) { internal::SetFieldToDefault(f, Addr(f)); }

  const InitPlan& plan_;
  Object* obj_;
  std::vector<bool> set_;
};

}  // namespace

namespace internal {
void RegisterFFIInit(int32_t type_index) {
  const TVMFFITypeInfo* info = internal::FindTypeInfo(type_index);
  if (info == nullptr) TVM_FFI_THROW(ValueError) << "no type with index " << type_index;
  std::shared_ptr<InitPlan> plan = PlanFor(info);
  Function init = Function::FromPacked([plan, info](PackedArgs args, Any* rv) {
    ObjectPtr<Object> obj = internal::NewEmptyObject(info);
    Binder(*plan, obj.get()).Bind(reinterpret_cast<const TVMFFIAny*>(args.data()), args.size());
    *rv = ObjectRef(std::move(obj));
  });
  Any value = init;
  TVMFFIByteArray name{"__ffi_init__", 12};
  if (TVMFFITypeRegisterAttr(type_index, &name, details::AnyUnsafe::TVMFFIAnyPtrFromAny(value)) !=
      0) {
    throw details::MoveFromSafeCallRaised();
  }
}

}  // namespace internal
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  ffi::reflection::GlobalDef()
      .def("ffi.GetKwargsObject", []() { return ffi::internal::KwargsObjectSingleton(); })
      .def("ffi._RegisterFFIInit", ffi::internal::RegisterFFIInit);
}
