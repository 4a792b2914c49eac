// Objects made from names and values, and types whose layout a language binding defines.
//
//   ffi.MakeObjectFromPackedArgs(type, name0, value0, name1, value1, ...)
//       a new object of `type` (its index or key) with the named fields set, the others at their
//       defaults; a missing required field or an unknown name is a TypeError
//   ffi.MakeFieldGetter(field_type_index) -> int
//       the address of a C field getter (TVMFFIFieldGetter) for a field stored as that kind:
//       int64, double, bool, void*, DLDataType, DLDevice, Any, or an object reference
//   ffi.MakeFieldSetter(field_type_index, converter, convert_fn) -> Function
//       a setter (field address, value) that converts the value through the binding's
//       `convert_fn(converter, value, out)` (C, 0 or -1 with the error raised) and stores it
//   ffi._PyClassRegisterTypeAttrColumns(type_index, total_size)
//       for a type registered by a binding with fields at known offsets: __ffi_init__,
//       __ffi_new__ (zeroed storage of total_size bytes, fields constructed) and
//       __ffi_shallow_copy__ (fields copied: Any and references with a reference taken)
//
// These are what upstream's Python package calls to define dataclasses; ours will too.
#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace {

const TVMFFITypeInfo* InfoOrThrow(int32_t type_index) {
  const TVMFFITypeInfo* info = internal::FindTypeInfo(type_index);
  if (info == nullptr) TVM_FFI_THROW(ValueError) << "no type has index " << type_index;
  return info;
}

void MakeObjectFromPackedArgs(PackedArgs args, Any* rv) {
  if (args.size() % 2 != 1) {
    TVM_FFI_THROW(TypeError) << "ffi.MakeObjectFromPackedArgs takes a type and then name/value "
                                "pairs; got "
                             << args.size() << " arguments";
  }
  int32_t type_index;
  if (std::optional<int32_t> index = args[0].try_cast<int32_t>()) {
    type_index = *index;
  } else {
    String key = args[0].cast<String>();
    TVMFFIByteArray bytes{key.data(), key.size()};
    if (TVMFFITypeKeyToIndex(&bytes, &type_index) != 0) throw details::MoveFromSafeCallRaised();
  }
  const TVMFFITypeInfo* info = InfoOrThrow(type_index);
  ObjectPtr<Object> obj = internal::NewEmptyObject(info);

  std::vector<String> names;
  for (int i = 1; i < args.size(); i += 2) names.push_back(args[i].cast<String>());
  std::vector<bool> used(names.size(), false);
  internal::ForEachField(info, [&](const TVMFFIFieldInfo& f) {
    void* addr = reinterpret_cast<char*>(obj.get()) + f.offset;
    std::string_view field(f.name.data, f.name.size);
    for (size_t i = 0; i < names.size(); ++i) {
      if (used[i] || std::string_view(names[i].data(), names[i].size()) != field) continue;
      used[i] = true;
      AnyView value = args[static_cast<int>(2 * i + 2)];
      if (internal::CallFieldSetter(&f, addr, details::AnyUnsafe::TVMFFIAnyPtrFromAnyView(value)) !=
          0) {
        throw details::MoveFromSafeCallRaised();
      }
      return;
    }
    if (f.flags & kTVMFFIFieldFlagBitMaskHasDefault) {
      internal::SetFieldToDefault(&f, addr);
      return;
    }
    TVM_FFI_THROW(TypeError) << "Required field `" << field << "` not set in type `"
                             << TypeIndexToTypeKey(type_index) << "`";
  });
  for (size_t i = 0; i < names.size(); ++i) {
    if (!used[i]) {
      TVM_FFI_THROW(TypeError) << "Type `" << TypeIndexToTypeKey(type_index)
                               << "` does not have field `" << names[i] << "`";
    }
  }
  *rv = ObjectRef(std::move(obj));
}

// ---- fields of binding-defined types ---------------------------------------------------------

enum class Storage { kPOD, kAny, kRef };

// How a field is stored: an Any, an object reference (ObjectRef-sized), or plain data.
Storage StorageOf(const TVMFFIFieldInfo& f) {
  int32_t ti = f.field_static_type_index;
  if (ti == TypeIndex::kTVMFFIAny) {
    // a C++ parent's field may convert as Any yet be stored as a (nullable) reference
    return f.size == static_cast<int64_t>(sizeof(ObjectRef)) ? Storage::kRef : Storage::kAny;
  }
  return ti >= TypeIndex::kTVMFFIStaticObjectBegin ? Storage::kRef : Storage::kPOD;
}

template <typename T>
int ReadAs(void* field, TVMFFIAny* result) {
  TVM_FFI_SAFE_CALL_BEGIN();
  *result = details::AnyUnsafe::MoveAnyToTVMFFIAny(Any(*static_cast<T*>(field)));
  TVM_FFI_SAFE_CALL_END();
}

int64_t MakeFieldGetter(int32_t field_type_index) {
  TVMFFIFieldGetter getter = nullptr;
  switch (field_type_index) {
    case TypeIndex::kTVMFFIInt:
      getter = &ReadAs<int64_t>;
      break;
    case TypeIndex::kTVMFFIFloat:
      getter = &ReadAs<double>;
      break;
    case TypeIndex::kTVMFFIBool:
      getter = &ReadAs<bool>;
      break;
    case TypeIndex::kTVMFFIOpaquePtr:
      getter = &ReadAs<void*>;
      break;
    case TypeIndex::kTVMFFIDataType:
      getter = &ReadAs<DLDataType>;
      break;
    case TypeIndex::kTVMFFIDevice:
      getter = &ReadAs<DLDevice>;
      break;
    case TypeIndex::kTVMFFIAny:
    case TypeIndex::kTVMFFINone:
      getter = &ReadAs<Any>;
      break;
    default:
      if (field_type_index < TypeIndex::kTVMFFIStaticObjectBegin) {
        TVM_FFI_THROW(ValueError) << "Unsupported field type index for getter: "
                                  << field_type_index;
      }
      getter = &ReadAs<ObjectRef>;
  }
  return reinterpret_cast<int64_t>(getter);
}

void WriteField(void* addr, int32_t field_type_index, Any value) {
  switch (field_type_index) {
    case TypeIndex::kTVMFFIInt:
      *static_cast<int64_t*>(addr) = value.cast<int64_t>();
      return;
    case TypeIndex::kTVMFFIFloat:
      *static_cast<double*>(addr) = value.cast<double>();
      return;
    case TypeIndex::kTVMFFIBool:
      *static_cast<bool*>(addr) = value.cast<bool>();
      return;
    case TypeIndex::kTVMFFIOpaquePtr:
      *static_cast<void**>(addr) = value.cast<void*>();
      return;
    case TypeIndex::kTVMFFIDataType:
      *static_cast<DLDataType*>(addr) = value.cast<DLDataType>();
      return;
    case TypeIndex::kTVMFFIDevice:
      *static_cast<DLDevice*>(addr) = value.cast<DLDevice>();
      return;
    case TypeIndex::kTVMFFIAny:
    case TypeIndex::kTVMFFINone:
      *static_cast<Any*>(addr) = std::move(value);
      return;
    default:
      if (field_type_index < TypeIndex::kTVMFFIStaticObjectBegin) {
        TVM_FFI_THROW(ValueError) << "Unsupported field type index for setter: "
                                  << field_type_index;
      }
      *static_cast<ObjectRef*>(addr) = value.cast<ObjectRef>();
  }
}

using ConvertFn = int (*)(void* converter, const TVMFFIAny* value, TVMFFIAny* out);

Function MakeFieldSetter(int32_t field_type_index, int64_t converter_address,
                         int64_t convert_fn_address) {
  void* converter = reinterpret_cast<void*>(converter_address);
  auto convert = reinterpret_cast<ConvertFn>(convert_fn_address);
  if (convert == nullptr) TVM_FFI_THROW(ValueError) << "ffi.MakeFieldSetter: no convert function";
  return Function::FromPacked([field_type_index, converter, convert](PackedArgs args, Any*) {
    if (args.size() != 2) {
      TVM_FFI_THROW(TypeError) << "a field setter takes (field address, value), got " << args.size()
                               << " arguments";
    }
    void* addr = args[0].cast<void*>();
    TVMFFIAny converted;
    details::SetNone(&converted);
    if (convert(converter, details::AnyUnsafe::TVMFFIAnyPtrFromAnyView(args[1]), &converted) != 0) {
      throw details::MoveFromSafeCallRaised();
    }
    WriteField(addr, field_type_index, details::AnyUnsafe::MoveTVMFFIAnyToAny(&converted));
  });
}

// Releases the fields (strong phase) and the calloc'd storage (weak phase).
void DeleteBindingObject(void* self, int flags) {
  auto* header = static_cast<TVMFFIObject*>(self);
  if (flags & kTVMFFIObjectDeleterFlagBitMaskStrong) {
    internal::ForEachField(TVMFFIGetTypeInfo(header->type_index), [&](const TVMFFIFieldInfo& f) {
      void* addr = static_cast<char*>(self) + f.offset;
      switch (StorageOf(f)) {
        case Storage::kAny:
          static_cast<Any*>(addr)->~Any();
          break;
        case Storage::kRef:
          static_cast<ObjectRef*>(addr)->~ObjectRef();
          break;
        case Storage::kPOD:
          break;
      }
    });
  }
  if (flags & kTVMFFIObjectDeleterFlagBitMaskWeak) std::free(self);
}

// Zeroed storage with the header set and every Any/reference field constructed (empty).
Object* AllocateBindingObject(int32_t type_index, int32_t total_size) {
  void* storage = std::calloc(1, static_cast<size_t>(total_size));
  if (storage == nullptr) {
    TVM_FFI_THROW(RuntimeError) << "cannot allocate " << total_size << " bytes for an object of "
                                << TypeIndexToTypeKey(type_index);
  }
  auto* header = static_cast<TVMFFIObject*>(storage);
  header->type_index = type_index;
  header->combined_ref_count = details::kCombinedRefCountBothOne;
  header->deleter = &DeleteBindingObject;
  return static_cast<Object*>(storage);
}

void RegisterAttr(int32_t type_index, const char* name, const Function& fn) {
  TVMFFIByteArray key{name, std::strlen(name)};
  TVMFFIAny value = AnyView(fn).CopyToTVMFFIAny();
  if (TVMFFITypeRegisterAttr(type_index, &key, &value) != 0) {
    throw details::MoveFromSafeCallRaised();
  }
}

void PyClassRegisterTypeAttrColumns(int32_t type_index, int32_t total_size) {
  const TVMFFITypeInfo* info = InfoOrThrow(type_index);
  if (total_size < static_cast<int32_t>(sizeof(TVMFFIObject))) {
    TVM_FFI_THROW(ValueError) << "a type's size (" << total_size
                              << ") cannot be smaller than the object header";
  }
  internal::RegisterFFIInit(type_index);
  RegisterAttr(type_index, reflection::type_attr::kNew,
               Function::FromTyped([type_index, total_size, info]() {
                 Object* obj = AllocateBindingObject(type_index, total_size);
                 internal::ForEachField(info, [&](const TVMFFIFieldInfo& f) {
                   void* addr = reinterpret_cast<char*>(obj) + f.offset;
                   if (StorageOf(f) == Storage::kAny) new (addr) Any();
                   if (StorageOf(f) == Storage::kRef) new (addr) ObjectRef();
                 });
                 return ObjectRef(details::ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
               }));
  RegisterAttr(type_index, reflection::type_attr::kShallowCopy,
               Function::FromTyped([type_index, total_size, info](const Object* src) {
                 Object* obj = AllocateBindingObject(type_index, total_size);
                 internal::ForEachField(info, [&](const TVMFFIFieldInfo& f) {
                   void* to = reinterpret_cast<char*>(obj) + f.offset;
                   const void* from = reinterpret_cast<const char*>(src) + f.offset;
                   switch (StorageOf(f)) {
                     case Storage::kAny:
                       new (to) Any(*static_cast<const Any*>(from));
                       break;
                     case Storage::kRef:
                       new (to) ObjectRef(*static_cast<const ObjectRef*>(from));
                       break;
                     case Storage::kPOD:
                       std::memcpy(to, from, static_cast<size_t>(f.size));
                       break;
                   }
                 });
                 return ObjectRef(details::ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
               }));
}

}  // namespace
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  tvm::ffi::reflection::GlobalDef()
      .def_packed("ffi.MakeObjectFromPackedArgs", ffi::MakeObjectFromPackedArgs)
      .def("ffi.MakeFieldGetter", ffi::MakeFieldGetter)
      .def("ffi.MakeFieldSetter", ffi::MakeFieldSetter)
      .def("ffi._PyClassRegisterTypeAttrColumns", ffi::PyClassRegisterTypeAttrColumns);
}
