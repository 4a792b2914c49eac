// The global function registry and the C entry points for creating and calling functions.
#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "registry.h"

namespace tvm {
namespace ffi {
namespace internal {

namespace {
thread_local LoadConflictScope* t_load_scope = nullptr;
}  // namespace

LoadConflictScope::LoadConflictScope() : saved_(t_load_scope) { t_load_scope = this; }
LoadConflictScope::~LoadConflictScope() { t_load_scope = saved_; }
LoadConflictScope* LoadConflictScope::Current() { return t_load_scope; }

GlobalRegistry* GlobalRegistry::Global() {
  // Never destroyed: entries may hold callbacks into a host language that is already gone
  // at exit.
  static GlobalRegistry* registry = new GlobalRegistry();
  return registry;
}

void GlobalRegistry::Set(std::string name, Function func, std::string doc, std::string metadata,
                         bool allow_override) {
  auto entry = std::make_shared<Entry>();
  entry->name = std::move(name);
  entry->func = std::move(func);
  entry->doc = std::move(doc);
  entry->metadata = std::move(metadata);
  std::shared_ptr<const Entry> replaced;  // released after the lock
  std::unique_lock<std::shared_mutex> lock(mutex_);
  auto it = table_.find(entry->name);
  if (it != table_.end()) {
    if (!allow_override) {
      lock.unlock();
      if (LoadConflictScope* scope = LoadConflictScope::Current()) {
        scope->Add(entry->name);  // the first registration stays; the loader reports it
        return;
      }
      TVM_FFI_THROW(RuntimeError) << "Global Function `" << entry->name
                                  << "` is already registered";
    }
    replaced = std::move(it->second);
    table_.erase(it);  // the old key views the old entry's name
  } else {
    order_.push_back(entry->name);
  }
  std::string_view key = entry->name;
  table_.emplace(key, std::move(entry));
}

std::shared_ptr<const GlobalRegistry::Entry> GlobalRegistry::Get(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = table_.find(name);
  return it == table_.end() ? nullptr : it->second;
}

Function GlobalRegistry::GetFunction(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = table_.find(name);
  return it == table_.end() ? Function(nullptr) : it->second->func;
}

bool GlobalRegistry::Remove(std::string_view name) {
  std::shared_ptr<const Entry> dropped;  // released after the lock
  std::unique_lock<std::shared_mutex> lock(mutex_);
  auto it = table_.find(name);
  if (it == table_.end()) return false;
  dropped = std::move(it->second);
  table_.erase(it);
  order_.erase(std::find(order_.begin(), order_.end(), name));
  return true;
}

std::vector<std::string> GlobalRegistry::ListNames() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return order_;
}

}  // namespace internal
}  // namespace ffi
}  // namespace tvm

using tvm::ffi::internal::GlobalRegistry;

int TVMFFIFunctionCreate(void* self, TVMFFISafeCallType safe_call, void (*deleter)(void* self),
                         TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  if (safe_call == nullptr) TVM_FFI_THROW(ValueError) << "TVMFFIFunctionCreate: safe_call is NULL";
  *out = tvm::ffi::details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(
      tvm::ffi::Function::FromExternC(self, safe_call, deleter));
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIFunctionGetGlobal(const TVMFFIByteArray* name, TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  tvm::ffi::Function func =
      GlobalRegistry::Global()->GetFunction(std::string_view(name->data, name->size));
  *out = func.defined()
             ? tvm::ffi::details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(std::move(func))
             : nullptr;
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIFunctionSetGlobal(const TVMFFIByteArray* name, TVMFFIObjectHandle f, int allow_override) {
  TVM_FFI_SAFE_CALL_BEGIN();
  tvm::ffi::Function func =
      tvm::ffi::details::ObjectUnsafe::ObjectRefFromUnowned<tvm::ffi::Function>(
          static_cast<tvm::ffi::Object*>(f));
  if (!func.defined()) TVM_FFI_THROW(ValueError) << "TVMFFIFunctionSetGlobal: function is NULL";
  GlobalRegistry::Global()->Set(std::string(name->data, name->size), std::move(func), "", "",
                                allow_override != 0);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIFunctionSetGlobalFromMethodInfo(const TVMFFIMethodInfo* info, int allow_override) {
  TVM_FFI_SAFE_CALL_BEGIN();
  std::string name(info->name.data, info->name.size);
  tvm::ffi::Function func =
      tvm::ffi::AnyView::CopyFromTVMFFIAny(info->method).cast<tvm::ffi::Function>();
  auto str = [](const TVMFFIByteArray& a) {
    return a.data == nullptr ? std::string() : std::string(a.data, a.size);
  };
  try {
    GlobalRegistry::Global()->Set(name, std::move(func), str(info->doc), str(info->metadata),
                                  allow_override != 0);
  } catch (const tvm::ffi::Error& err) {
    // Duplicate registrations usually happen at load time, where nobody reads the error.
    std::cerr << err.kind() << ": " << err.message()
              << ", possible causes:\n- Two GlobalDef().def registrations for the same function\n"
              << "Please remove the duplicate registration.\n";
    throw;
  }
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIFunctionCall(TVMFFIObjectHandle func, TVMFFIAny* args, int32_t num_args,
                       TVMFFIAny* result) {
  return TVMFFIFunctionGetCellPtr(func)->safe_call(func, args, num_args, result);
}

int TVMFFIAnyViewToOwnedAny(const TVMFFIAny* any_view, TVMFFIAny* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  using tvm::ffi::TypeIndex;
  switch (any_view->type_index) {
    case TypeIndex::kTVMFFIRawStr: {
      tvm::ffi::String s(any_view->v_c_str);
      tvm::ffi::TypeTraits<tvm::ffi::String>::MoveToAny(std::move(s), out);
      break;
    }
    case TypeIndex::kTVMFFIByteArrayPtr: {
      tvm::ffi::Bytes b(*static_cast<const TVMFFIByteArray*>(any_view->v_ptr));
      tvm::ffi::TypeTraits<tvm::ffi::Bytes>::MoveToAny(std::move(b), out);
      break;
    }
    case TypeIndex::kTVMFFIObjectRValueRef: {
      // Steal the object from the caller's slot.
      TVMFFIObject** slot = static_cast<TVMFFIObject**>(any_view->v_ptr);
      TVMFFIObject* obj = *slot;
      *slot = nullptr;
      if (obj == nullptr) {
        tvm::ffi::details::SetNone(out);
      } else {
        out->type_index = obj->type_index;
        out->zero_padding = 0;
        out->v_obj = obj;
      }
      break;
    }
    default:
      *out = *any_view;
      if (out->type_index >= TypeIndex::kTVMFFIStaticObjectBegin) {
        tvm::ffi::details::ObjectUnsafe::IncRefObjectHandle(out->v_obj);
      }
  }
  TVM_FFI_SAFE_CALL_END();
}

// Registry functions that modules and bindings look up by name.
namespace {
// The registry entry of a global; RuntimeError when there is none.
auto RequireGlobal(const tvm::ffi::String& name) {
  auto entry = GlobalRegistry::Global()->Get(name.view());
  if (entry == nullptr) TVM_FFI_THROW(RuntimeError) << "Global Function is not found: " << name;
  return entry;
}
}  // namespace

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  namespace refl = tvm::ffi::reflection;
  refl::GlobalDef()
      .def("ffi.FunctionRemoveGlobal",
           [](const ffi::String& name) -> bool {
             return GlobalRegistry::Global()->Remove(name.view());
           })
      .def("ffi.FunctionListGlobalNamesFunctor",
           []() {
             // A functor rather than an Array: f(-1) is the count, f(i) the i-th name.
             auto names =
                 std::make_shared<std::vector<std::string>>(GlobalRegistry::Global()->ListNames());
             return ffi::Function::FromTyped([names](int64_t i) -> ffi::Any {
               if (i < 0) return static_cast<int64_t>(names->size());
               if (i >= static_cast<int64_t>(names->size())) {
                 TVM_FFI_THROW(IndexError) << "global name index " << i << " out of range";
               }
               return ffi::String((*names)[i]);
             });
           })
      .def("ffi.GetGlobalFuncMetadata",
           [](const ffi::String& name) { return ffi::String(RequireGlobal(name)->metadata); })
      // Not upstream's: the docstring a global was registered with ("" when none), which
      // tvmffi-server lists for `tvmffi ls`.
      .def("ffi.GetGlobalFuncDoc",
           [](const ffi::String& name) { return ffi::String(RequireGlobal(name)->doc); })
      .def("ffi.FunctionFromExternC",
           [](void* self, void* safe_call, void* deleter) -> ffi::Function {
             return ffi::Function::FromExternC(self,
                                               reinterpret_cast<TVMFFISafeCallType>(safe_call),
                                               reinterpret_cast<void (*)(void*)>(deleter));
           })
      .def("ffi.String", [](ffi::String s) { return s; })
      .def("ffi.Bytes", [](ffi::Bytes b) { return b; });
}
