// ModuleObj's out-of-line members, Module::LoadFromFile, import lookup for generated code, and
// the `ffi.Module*` globals that bindings call by name.
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/reflection/registry.h>

#include <mutex>
#include <unordered_set>
#include <vector>

#include "module_internal.h"

namespace tvm {
namespace ffi {

namespace {
// Guards import lists and lookup caches, which upstream leaves to the caller.
std::mutex& ModuleMutex() {
  static std::mutex* mutex = new std::mutex();
  return *mutex;
}

// Modules kept alive for the life of the process (ffi.ModuleGlobalsAdd).
std::vector<Module>& PinnedModules() {
  static std::vector<Module>* pinned = new std::vector<Module>();
  return *pinned;
}
}  // namespace

namespace {
// The first hit of lookup(module) in module, then (with query_imports) in its imports, depth
// first. R is Optional<...> or bool: empty/false means "not here".
template <typename R, typename Lookup>
R SearchImportTree(ModuleObj* module, bool query_imports, const Lookup& lookup) {
  if (R found = lookup(module)) return found;
  if (query_imports) {
    for (const Any& import : *ModuleObj::InternalUnsafe::GetImports(module)) {
      if (R found = SearchImportTree<R>(import.cast<Module>().get(), true, lookup)) return found;
    }
  }
  return R();
}
}  // namespace

Optional<Function> ModuleObj::GetFunction(const String& name, bool query_imports) {
  return SearchImportTree<Optional<Function>>(
      this, query_imports, [&name](ModuleObj* m) { return m->GetFunction(name); });
}

bool ModuleObj::ImplementsFunction(const String& name, bool query_imports) {
  return SearchImportTree<bool>(this, query_imports,
                                [&name](ModuleObj* m) { return m->ImplementsFunction(name); });
}

Optional<String> ModuleObj::GetFunctionDoc(const String& name, bool query_imports) {
  return SearchImportTree<Optional<String>>(
      this, query_imports, [&name](ModuleObj* m) { return m->GetFunctionDoc(name); });
}

Optional<String> ModuleObj::GetFunctionMetadata(const String& name, bool query_imports) {
  return SearchImportTree<Optional<String>>(
      this, query_imports, [&name](ModuleObj* m) { return m->GetFunctionMetadata(name); });
}

void ModuleObj::ImportModule(const Module& other) {
  // Importing a module that (transitively) imports this one would make a cycle.
  std::unordered_set<const ModuleObj*> seen{other.get()};
  std::vector<const ModuleObj*> stack{other.get()};
  while (!stack.empty()) {
    const ModuleObj* m = stack.back();
    stack.pop_back();
    for (const Any& import : m->imports_) {
      const ModuleObj* next = import.as<const ModuleObj*>();
      if (next != nullptr && seen.insert(next).second) stack.push_back(next);
    }
  }
  if (seen.count(this)) TVM_FFI_THROW(RuntimeError) << "Cyclic dependency detected during import";
  imports_.push_back(other);
}

void ModuleObj::ClearImports() { imports_.clear(); }

TVMFFIObjectHandle ModuleObj::InternalUnsafe::GetFunctionFromImports(ModuleObj* module,
                                                                     const char* name) {
  if (module == nullptr) TVM_FFI_THROW(ValueError) << "LookupFromImports: library_ctx is NULL";
  String key(name);
  {
    std::lock_guard<std::mutex> lock(ModuleMutex());
    if (Optional<Function> hit = module->import_lookup_cache_.Get(key)) {
      return details::ObjectUnsafe::RawObjectPtrFromObjectRef(hit.value());
    }
  }
  Optional<Function> found;
  for (const Any& import : module->imports_) {
    found = import.cast<Module>()->GetFunction(key, true);
    if (found.has_value()) break;
  }
  if (!found.has_value()) {
    if (auto global = Function::GetGlobal(key.view())) found = *global;
  }
  if (!found.has_value()) {
    TVM_FFI_THROW(ValueError) << "Cannot find function `" << key
                              << "` in the imported modules or the global registry";
  }
  std::lock_guard<std::mutex> lock(ModuleMutex());
  // Another thread may have cached it first; keep whichever is there (the handle is borrowed).
  if (Optional<Function> hit = module->import_lookup_cache_.Get(key)) {
    return details::ObjectUnsafe::RawObjectPtrFromObjectRef(hit.value());
  }
  module->import_lookup_cache_.Set(key, found.value());
  return details::ObjectUnsafe::RawObjectPtrFromObjectRef(found.value());
}

Module Module::LoadFromFile(const String& file_name) {
  std::string_view path = file_name.view();
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    TVM_FFI_THROW(RuntimeError) << "Failed to get file format from " << file_name;
  }
  std::string format(path.substr(dot + 1));
  if (format == "dll" || format == "dylib" || format == "dso") format = "so";
  std::string loader = "ffi.Module.load_from_file." + format;
  std::optional<Function> f = Function::GetGlobal(loader);
  if (!f.has_value()) {
    TVM_FFI_THROW(RuntimeError) << "Loader for `." << format << "` files is not registered (no "
                                << "global function `" << loader << "`)";
  }
  return (*f)(file_name, String(format)).cast<Module>();
}

}  // namespace ffi
}  // namespace tvm

int TVMFFIEnvModLookupFromImports(TVMFFIObjectHandle library_ctx, const char* func_name,
                                  TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  // library_ctx is what the loader stored in __tvm_ffi__library_ctx: a ModuleObj*, as upstream.
  *out = tvm::ffi::ModuleObj::InternalUnsafe::GetFunctionFromImports(
      reinterpret_cast<tvm::ffi::ModuleObj*>(library_ctx), func_name);
  TVM_FFI_SAFE_CALL_END();
}

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  using ffi::Module;
  using ffi::String;
  tvm::ffi::reflection::GlobalDef()
      .def("ffi.ModuleLoadFromFile", [](const String& path) { return Module::LoadFromFile(path); })
      .def("ffi.Module.load_from_file.so",
           [](const String& path, const String&) {
             return ffi::internal::LoadLibraryModule(std::string(path));
           })
      .def("ffi.ModuleGetFunction",
           [](const Module& mod, const String& name, bool query_imports) {
             return mod->GetFunction(name, query_imports);
           })
      .def("ffi.ModuleImplementsFunction",
           [](const Module& mod, const String& name, bool query_imports) {
             return mod->ImplementsFunction(name, query_imports);
           })
      .def("ffi.ModuleGetFunctionDoc",
           [](const Module& mod, const String& name, bool query_imports) {
             return mod->GetFunctionDoc(name, query_imports);
           })
      .def("ffi.ModuleGetFunctionMetadata",
           [](const Module& mod, const String& name, bool query_imports) {
             return mod->GetFunctionMetadata(name, query_imports);
           })
      .def("ffi.ModuleGetKind", [](const Module& mod) { return String(mod->kind()); })
      .def("ffi.ModuleGetPropertyMask", [](const Module& mod) { return mod->GetPropertyMask(); })
      .def("ffi.ModuleGetWriteFormats", [](const Module& mod) { return mod->GetWriteFormats(); })
      .def("ffi.ModuleInspectSource",
           [](const Module& mod, const String& format) { return mod->InspectSource(format); })
      .def("ffi.ModuleWriteToFile", [](const Module& mod, const String& file,
                                       const String& format) { mod->WriteToFile(file, format); })
      .def("ffi.ModuleImportModule",
           [](const Module& mod, const Module& other) {
             std::lock_guard<std::mutex> lock(ffi::ModuleMutex());
             mod->ImportModule(other);
           })
      .def("ffi.ModuleClearImports",
           [](const Module& mod) {
             std::lock_guard<std::mutex> lock(ffi::ModuleMutex());
             mod->ClearImports();
           })
      .def("ffi.ModuleGlobalsAdd",
           [](const Module& mod) {
             std::lock_guard<std::mutex> lock(ffi::ModuleMutex());
             ffi::PinnedModules().push_back(mod);
           })
      .def("ffi.ModuleGlobalsRemove", [](const Module& mod) {
        std::lock_guard<std::mutex> lock(ffi::ModuleMutex());
        auto& pinned = ffi::PinnedModules();
        for (auto it = pinned.begin(); it != pinned.end(); ++it) {
          if (it->same_as(mod)) {
            pinned.erase(it);
            break;
          }
        }
      });
}
