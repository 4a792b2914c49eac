// The system library: `__tvm_ffi_<prefix><name>` symbols registered at static-init time by code
// linked into the process, served as a module per prefix by `ffi.SystemLib([prefix])`.
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/reflection/registry.h>

#include <iostream>
#include <mutex>
#include <string>
#include <unordered_map>

#include "module_internal.h"

namespace tvm {
namespace ffi {
namespace internal {
namespace {

class SystemLibSymbols {
 public:
  static SystemLibSymbols* Global() {
    static SystemLibSymbols* inst = new SystemLibSymbols();
    return inst;
  }
  void Register(const std::string& name, void* ptr) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = symbols_.find(name);
    if (it != symbols_.end() && it->second != ptr) {
      std::cerr << "Warning: system library symbol " << name << " is registered twice; "
                << "keeping the latest\n";
    }
    symbols_[name] = ptr;
  }
  void* Get(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = symbols_.find(name);
    return it == symbols_.end() ? nullptr : it->second;
  }
  // One cached module per prefix.
  Module GetModule(const std::string& prefix);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, void*> symbols_;
  std::unordered_map<std::string, Module> modules_;
};

// Looks up `__tvm_ffi_<prefix><name>`, then `__tvm_ffi_<name>`.
class SystemLibTable : public SymbolTable {
 public:
  explicit SystemLibTable(std::string prefix) : prefix_(std::move(prefix)) {}
  void* GetSymbol(const char* name) const override { return SystemLibSymbols::Global()->Get(name); }
  void* GetFunctionSymbol(const std::string& name) const override {
    std::string base = symbol::tvm_ffi_symbol_prefix;
    if (!prefix_.empty()) {
      if (void* p = GetSymbol((base + prefix_ + name).c_str())) return p;
    }
    return GetSymbol((base + name).c_str());
  }

 private:
  std::string prefix_;
};

Module SystemLibSymbols::GetModule(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = modules_.find(prefix);
  if (it != modules_.end()) return it->second;
  Module mod = CreateSymbolModule(std::make_shared<SystemLibTable>(prefix), "system_lib");
  // Cached only for prefixes some registered symbol uses: a caller's made-up prefixes (a remote
  // client's, say) would otherwise grow the cache without bound.
  std::string full = std::string(symbol::tvm_ffi_symbol_prefix) + prefix;
  bool used = prefix.empty();
  for (auto sym = symbols_.begin(); !used && sym != symbols_.end(); ++sym) {
    used = sym->first.compare(0, full.size(), full) == 0;
  }
  if (used) modules_.emplace(prefix, mod);
  return mod;
}

}  // namespace
}  // namespace internal
}  // namespace ffi
}  // namespace tvm

int TVMFFIEnvModRegisterSystemLibSymbol(const char* name, void* symbol) {
  TVM_FFI_SAFE_CALL_BEGIN();
  if (name == nullptr) TVM_FFI_THROW(ValueError) << "system library symbol name is NULL";
  tvm::ffi::internal::SystemLibSymbols::Global()->Register(name, symbol);
  TVM_FFI_SAFE_CALL_END();
}

TVM_FFI_STATIC_INIT_BLOCK() {
  tvm::ffi::reflection::GlobalDef().def_packed(
      "ffi.SystemLib", [](tvm::ffi::PackedArgs args, tvm::ffi::Any* rv) {
        std::string prefix;
        if (args.size() > 1) {
          TVM_FFI_THROW(TypeError) << "ffi.SystemLib takes at most one argument (the prefix)";
        }
        if (args.size() == 1) prefix = args[0].cast<std::string>();
        *rv = tvm::ffi::internal::SystemLibSymbols::Global()->GetModule(prefix);
      });
}
