// The global function table behind TVMFFIFunctionGetGlobal/SetGlobal (thread-safe).
#ifndef TVMFFI_RUNTIME_SRC_REGISTRY_H_
#define TVMFFI_RUNTIME_SRC_REGISTRY_H_

#include <tvm/ffi/function.h>

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tvm {
namespace ffi {
namespace internal {

// While a library loads, the names its static initializers try to register a second time are
// collected here instead of failing: an error there would escape a static constructor (through
// dlopen, which cannot pass it on) and end the process. The loader reports them afterwards.
class LoadConflictScope {
 public:
  LoadConflictScope();
  ~LoadConflictScope();
  LoadConflictScope(const LoadConflictScope&) = delete;
  LoadConflictScope& operator=(const LoadConflictScope&) = delete;
  const std::vector<std::string>& names() const { return names_; }
  // The scope open on this thread, or null.
  static LoadConflictScope* Current();
  void Add(std::string name) { names_.push_back(std::move(name)); }

 private:
  LoadConflictScope* saved_;
  std::vector<std::string> names_;
};

class GlobalRegistry {
 public:
  struct Entry {
    std::string name;  // the table's key views this string
    Function func;
    std::string doc;
    std::string metadata;  // JSON
  };
  static GlobalRegistry* Global();
  // RuntimeError if name is taken and allow_override is false.
  void Set(std::string name, Function func, std::string doc, std::string metadata,
           bool allow_override);
  // nullptr when absent. The entry stays valid while the caller holds it.
  std::shared_ptr<const Entry> Get(std::string_view name) const;
  // The function (null when absent); no allocation on the lookup path.
  Function GetFunction(std::string_view name) const;
  bool Remove(std::string_view name);
  // Names in registration order.
  std::vector<std::string> ListNames() const;

 private:
  mutable std::shared_mutex mutex_;
  // Keys view Entry::name, so lookups by string_view allocate nothing.
  std::unordered_map<std::string_view, std::shared_ptr<const Entry>> table_;
  std::vector<std::string> order_;
};

}  // namespace internal
}  // namespace ffi
}  // namespace tvm
#endif  // TVMFFI_RUNTIME_SRC_REGISTRY_H_
