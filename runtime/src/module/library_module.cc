// Shared-library modules: dlopen, context symbols, the embedded import tree
// (__tvm_ffi__library_bin) and `__tvm_ffi_<name>` lookup.
#include <dlfcn.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/extra/module.h>

#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../registry.h"
#include "code_address.h"
#include "module_internal.h"

namespace tvm {
namespace ffi {
namespace internal {
namespace {

// A dlopen'ed library. Never dlclose'd: globals it registered at load time point into its code.
class SharedLibrary : public SymbolTable {
 public:
  explicit SharedLibrary(void* handle) : handle_(handle) {}
  void* GetSymbol(const char* name) const override { return dlsym(handle_, name); }

 private:
  void* handle_;
};

// Calls a `__tvm_ffi_*` symbol with a NULL handle, as every loader does.
class SymbolFunctionObj : public FunctionObj {
 public:
  SymbolFunctionObj(TVMFFISafeCallType fn, Module owner) : fn_(fn), owner_(std::move(owner)) {
    this->safe_call = Call;
  }

 private:
  static int Call(void* self, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
    return static_cast<SymbolFunctionObj*>(static_cast<Object*>(self))
        ->fn_(nullptr, args, num_args, result);
  }
  TVMFFISafeCallType fn_;
  Module owner_;  // keeps the module (and so the library) alive
};

class SymbolModuleObj final : public ModuleObj {
 public:
  SymbolModuleObj(std::shared_ptr<const SymbolTable> table, const char* kind)
      : table_(std::move(table)), kind_(kind) {}

  const char* kind() const final { return kind_; }
  int GetPropertyMask() const final { return Module::kRunnable; }

  Optional<Function> GetFunction(const String& name) final {
    auto fn = reinterpret_cast<TVMFFISafeCallType>(FunctionSymbol(name));
    if (fn == nullptr) return std::nullopt;
    return Function(make_object<SymbolFunctionObj>(fn, GetRef<Module>(this)));
  }
  bool ImplementsFunction(const String& name) final { return FunctionSymbol(name) != nullptr; }
  Optional<String> GetFunctionDoc(const String& name) final {
    return CallStringSymbol(symbol::tvm_ffi_doc_prefix, name);
  }
  Optional<String> GetFunctionMetadata(const String& name) final {
    return CallStringSymbol(symbol::tvm_ffi_metadata_prefix, name);
  }

 private:
  // The code address of `__tvm_ffi_<name>`; nullptr when absent or not code (a data symbol is
  // "no such function", never something to call).
  void* FunctionSymbol(const String& name) const {
    void* sym = table_->GetFunctionSymbol(std::string(name));
    return IsCodeAddress(sym) ? sym : nullptr;
  }
  // `<prefix><name>` is a safe-call function taking no arguments and returning a String.
  Optional<String> CallStringSymbol(const char* prefix, const String& name) const {
    void* sym = table_->GetSymbol((std::string(prefix) + std::string(name)).c_str());
    if (!IsCodeAddress(sym)) return std::nullopt;
    return Function::InvokeExternC(nullptr, reinterpret_cast<TVMFFISafeCallType>(sym))
        .cast<String>();
  }
  std::shared_ptr<const SymbolTable> table_;
  const char* kind_;
};

// Little-endian reader over the embedded blob; every read is bounds-checked.
class BlobReader {
 public:
  BlobReader(const char* data, size_t size) : data_(data), size_(size) {}
  uint64_t U64() {
    Need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  std::vector<uint64_t> U64Vector() {
    uint64_t n = U64();
    if (n > (size_ - pos_) / 8) Fail();
    std::vector<uint64_t> out(n);
    for (auto& v : out) v = U64();
    return out;
  }
  std::string Str() {
    uint64_t n = U64();
    Need(n);
    std::string out(data_ + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  void Need(uint64_t n) {
    if (n > size_ - pos_) Fail();
  }
  [[noreturn]] void Fail() {
    TVM_FFI_THROW(ValueError) << "malformed " << symbol::tvm_ffi_library_bin << " (truncated)";
    TVM_FFI_UNREACHABLE();
  }
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Context symbols written into every library loaded later.
std::mutex& ContextMutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}
std::vector<std::pair<std::string, void*>>& ContextSymbols() {
  static auto* symbols = new std::vector<std::pair<std::string, void*>>();
  return *symbols;
}

Module LoadFromBytes(const std::string& kind, const std::string& bytes) {
  std::string loader = "ffi.Module.load_from_bytes." + kind;
  std::optional<Function> f = Function::GetGlobal(loader);
  if (!f.has_value()) {
    TVM_FFI_THROW(RuntimeError) << "Library binary was created using {" << kind
                                << "} but a loader of that name is not registered (no global `"
                                << loader << "`)";
  }
  return (*f)(Bytes(bytes)).cast<Module>();
}

// Layout: <nbytes: u64> then, within nbytes: <indptr: vec<u64>> <children: vec<u64>> and per
// module <kind: str> [<bytes: str> unless kind is "_lib"]. Module 0 is the root.
Module BuildImportTree(const char* blob, Module lib_module) {
  BlobReader head(blob, 8);
  uint64_t nbytes = head.U64();
  BlobReader in(blob + 8, static_cast<size_t>(nbytes));
  std::vector<uint64_t> indptr = in.U64Vector();
  std::vector<uint64_t> children = in.U64Vector();
  if (indptr.empty()) TVM_FFI_THROW(ValueError) << "empty import tree in library binary";
  std::vector<Module> modules;
  for (size_t i = 0; i + 1 < indptr.size(); ++i) {
    std::string kind = in.Str();
    if (kind == "_lib") {
      modules.push_back(lib_module);
    } else {
      modules.push_back(LoadFromBytes(kind, in.Str()));
    }
  }
  if (modules.empty()) TVM_FFI_THROW(ValueError) << "library binary holds no module";
  for (size_t i = 0; i < modules.size(); ++i) {
    if (indptr[i] > indptr[i + 1] || indptr[i + 1] > children.size()) {
      TVM_FFI_THROW(ValueError) << "malformed import tree in library binary";
    }
    for (uint64_t j = indptr[i]; j < indptr[i + 1]; ++j) {
      if (children[j] >= modules.size()) {
        TVM_FFI_THROW(ValueError) << "import index " << children[j] << " out of range";
      }
      ModuleObj::InternalUnsafe::GetImports(modules[i].get())->push_back(modules[children[j]]);
    }
  }
  return modules[0];
}

}  // namespace

Module CreateSymbolModule(std::shared_ptr<const SymbolTable> table, const char* kind) {
  return Module(make_object<SymbolModuleObj>(std::move(table), kind));
}

Module LoadLibraryModule(const std::string& path) {
  LoadConflictScope conflicts;  // its static init runs inside dlopen
  // Eager binding: a library needing a symbol nobody provides fails here, naming it, instead of
  // ending the process at its first call ("symbol lookup error").
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    TVM_FFI_THROW(RuntimeError) << "Failed to load dynamic library " << path << ": "
                                << (why != nullptr ? why : "unknown error");
  }
  if (!conflicts.names().empty()) {
    std::string names;
    for (const std::string& name : conflicts.names()) {
      names += (names.empty() ? "`" : ", `") + name + "`";
    }
    TVM_FFI_THROW(RuntimeError) << "Library " << path
                                << " registers global functions that are already registered: "
                                << names << " (a second copy of a loaded module?). The first "
                                << "registrations stay, and the library is not loaded as a module";
  }
  auto lib = std::make_shared<SharedLibrary>(handle);
  {
    std::lock_guard<std::mutex> lock(ContextMutex());
    for (const auto& [name, value] : ContextSymbols()) {
      if (void** slot = static_cast<void**>(lib->GetSymbol(name.c_str()))) *slot = value;
    }
  }
  Module lib_module = CreateSymbolModule(lib, "library");
  Module root = lib_module;
  if (const char* blob = static_cast<const char*>(lib->GetSymbol(symbol::tvm_ffi_library_bin))) {
    root = BuildImportTree(blob, lib_module);
  }
  // Generated code finds its module (for TVMFFIEnvModLookupFromImports) through this variable.
  if (void** ctx = static_cast<void**>(lib->GetSymbol(symbol::tvm_ffi_library_ctx))) {
    *ctx = static_cast<ModuleObj*>(lib_module.get());
  }
  return root;
}

}  // namespace internal

void Module::VisitContextSymbols(const ffi::TypedFunction<void(String, void*)>& callback) {
  std::vector<std::pair<std::string, void*>> copy;
  {
    std::lock_guard<std::mutex> lock(internal::ContextMutex());
    copy = internal::ContextSymbols();
  }
  for (const auto& [name, value] : copy) callback(String(name), value);
}

}  // namespace ffi
}  // namespace tvm

int TVMFFIEnvModRegisterContextSymbol(const char* name, void* symbol) {
  TVM_FFI_SAFE_CALL_BEGIN();
  if (name == nullptr) TVM_FFI_THROW(ValueError) << "context symbol name is NULL";
  std::lock_guard<std::mutex> lock(tvm::ffi::internal::ContextMutex());
  tvm::ffi::internal::ContextSymbols().emplace_back(name, symbol);
  TVM_FFI_SAFE_CALL_END();
}
