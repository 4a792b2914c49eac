/*
 * tvmffi-rpc runtime: modules. ModuleObj is a polymorphic object (type key "ffi.Module") holding
 * named functions and the modules it imports; Module is its reference. The virtual functions,
 * their order and the data members match upstream's so modules and callers built against either
 * library's headers interoperate.
 */
#ifndef TVM_FFI_EXTRA_MODULE_H_
#define TVM_FFI_EXTRA_MODULE_H_

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/extra/base.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/string.h>

#include <cstdint>

namespace tvm {
namespace ffi {

class Module;

/*!
 * \brief A namespace of functions: a loaded shared library, the system library, or a custom kind.
 * \note No virtual destructor on purpose (upstream's vtable has none); objects are destroyed
 *       through their allocator's deleter, which knows the concrete type.
 */
class TVM_FFI_EXTRA_CXX_API ModuleObj : public Object {
 public:
  /*! \brief The module's kind ("library", "system_lib", ...), used to serialize it. */
  virtual const char* kind() const = 0;
  /*! \brief Module::ModulePropertyMask bits. */
  virtual int GetPropertyMask() const { return 0b000; }
  /*! \brief The function called name, or nullopt. */
  virtual Optional<Function> GetFunction(const String& name) = 0;
  virtual bool ImplementsFunction(const String& name) { return GetFunction(name).has_value(); }
  /*! \brief The function's doc string, when the module has one. */
  virtual Optional<String> GetFunctionDoc(const String& name) {
    (void)name;
    return std::nullopt;
  }
  /*! \brief The function's metadata (JSON), when the module has it. */
  virtual Optional<String> GetFunctionMetadata(const String& name) {
    (void)name;
    return std::nullopt;
  }
  virtual void WriteToFile(const String& file_name, const String& format) const {
    (void)file_name;
    (void)format;
    TVM_FFI_THROW(RuntimeError) << "Module[" << kind() << "] does not support WriteToFile";
  }
  virtual Array<String> GetWriteFormats() const { return Array<String>(); }
  virtual Bytes SaveToBytes() const {
    TVM_FFI_THROW(RuntimeError) << "Module[" << kind() << "] does not support SaveToBytes";
    TVM_FFI_UNREACHABLE();
  }
  virtual String InspectSource(const String& format) const {
    (void)format;
    return String();
  }
  /*! \brief Adds other to the imports; RuntimeError if that would make a cycle. */
  virtual void ImportModule(const Module& other);
  virtual void ClearImports();

  /*! \brief GetFunction, then (if query_imports) the imports, depth first. */
  Optional<Function> GetFunction(const String& name, bool query_imports);
  bool ImplementsFunction(const String& name, bool query_imports);
  Optional<String> GetFunctionDoc(const String& name, bool query_imports);
  Optional<String> GetFunctionMetadata(const String& name, bool query_imports);
  /*! \brief The imported modules (each a Module in an Any). */
  const Array<Any>& imports() const { return this->imports_; }

  struct InternalUnsafe;

  static constexpr int32_t _type_index = TypeIndex::kTVMFFIModule;
  static constexpr bool _type_mutable = true;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIModule, ModuleObj, Object);

 protected:
  friend struct InternalUnsafe;
  Array<Any> imports_;

 private:
  // Filled by TVMFFIEnvModLookupFromImports.
  Map<String, Function> import_lookup_cache_;
};

/*! \brief Reference to a module (never null). */
class Module : public ObjectRef {
 public:
  enum ModulePropertyMask : int {
    kBinarySerializable = 0b001,     // SaveToBytes works; ffi.Module.load_from_bytes.<kind> loads
    kRunnable = 0b010,               // GetFunction returns callable functions
    kCompilationExportable = 0b100,  // WriteToFile produces something to compile
  };
  /*!
   * \brief Loads a module; the format is the file's extension (dll/dylib/dso count as so) and
   *        the loader the global `ffi.Module.load_from_file.<format>`.
   */
  TVM_FFI_EXTRA_CXX_API static Module LoadFromFile(const String& file_name);
  /*! \brief Calls callback(name, address) for each TVMFFIEnvModRegisterContextSymbol entry. */
  TVM_FFI_EXTRA_CXX_API static void VisitContextSymbols(
      const ffi::TypedFunction<void(String, void*)>& callback);

  explicit Module(ObjectPtr<ModuleObj> n) : ObjectRef(std::move(n)) {}
  explicit Module(UnsafeInit tag) : ObjectRef(tag) {}
  TVM_FFI_DEFINE_DEFAULT_COPY_MOVE_AND_ASSIGN(Module)
  // Modules are mutable objects (imports, caches): access is non-const.
  ModuleObj* operator->() const { return static_cast<ModuleObj*>(data_.get()); }
  ModuleObj* get() const { return operator->(); }
  static constexpr bool _type_is_nullable = false;
  using ContainerType = ModuleObj;
};

/*! \brief Symbol names of library modules. */
namespace symbol {
constexpr const char* tvm_ffi_symbol_prefix = "__tvm_ffi_";
constexpr const char* tvm_ffi_main = "__tvm_ffi_main";
constexpr const char* tvm_ffi_library_ctx = "__tvm_ffi__library_ctx";
constexpr const char* tvm_ffi_library_bin = "__tvm_ffi__library_bin";
constexpr const char* tvm_ffi_metadata_prefix = "__tvm_ffi__metadata_";
constexpr const char* tvm_ffi_doc_prefix = "__tvm_ffi__doc_";
}  // namespace symbol

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_EXTRA_MODULE_H_
