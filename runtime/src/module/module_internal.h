// Internals shared by the module sources: import access, the library wrapper and its loader.
#ifndef TVMFFI_RUNTIME_SRC_MODULE_MODULE_INTERNAL_H_
#define TVMFFI_RUNTIME_SRC_MODULE_MODULE_INTERNAL_H_

#include <tvm/ffi/extra/module.h>

#include <memory>
#include <string>

namespace tvm {
namespace ffi {

struct ModuleObj::InternalUnsafe {
  static Array<Any>* GetImports(ModuleObj* module) { return &module->imports_; }
  // Looks name up in module's imports, then the global registry; the result is borrowed
  // (cached in the module). ValueError when nowhere to be found.
  static TVMFFIObjectHandle GetFunctionFromImports(ModuleObj* module, const char* name);
};

namespace internal {

/*! \brief A symbol table: a dlopen'ed shared library, or the process's system library. */
class SymbolTable {
 public:
  virtual ~SymbolTable() = default;
  // The address of symbol name, or nullptr.
  virtual void* GetSymbol(const char* name) const = 0;
  // The address of `__tvm_ffi_<name>` (the system library also tries its prefix first).
  virtual void* GetFunctionSymbol(const std::string& name) const {
    return GetSymbol((std::string(symbol::tvm_ffi_symbol_prefix) + name).c_str());
  }
};

/*! \brief Wraps a symbol table as a module: kind "library" or "system_lib". */
Module CreateSymbolModule(std::shared_ptr<const SymbolTable> table, const char* kind);

/*! \brief Opens a shared library and builds its module tree (imports from __tvm_ffi__library_bin),
 *         after writing registered context symbols and __tvm_ffi__library_ctx into it. */
Module LoadLibraryModule(const std::string& path);

}  // namespace internal
}  // namespace ffi
}  // namespace tvm
#endif  // TVMFFI_RUNTIME_SRC_MODULE_MODULE_INTERNAL_H_
