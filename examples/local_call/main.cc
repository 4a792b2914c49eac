// Loads the example module into this process and calls it through the FFI, as a module user
// would: a registered global by name, an exported symbol, and an error with its backtrace.
#include <dlfcn.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdio>
#include <iostream>

namespace ffi = tvm::ffi;

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : TVMFFI_EXAMPLE_MODULE;
  // Loading runs the module's static init blocks, which register its globals.
  void* lib = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
    return 2;
  }
  ffi::Function add_one = ffi::Function::GetGlobalRequired("my_ext.add_one");
  int r1 = add_one(41);
  std::cout << "my_ext.add_one(41) = " << r1 << "\n";

  auto symbol = reinterpret_cast<TVMFFISafeCallType>(dlsym(lib, "__tvm_ffi_add_two"));
  if (symbol == nullptr) {
    std::fprintf(stderr, "%s has no __tvm_ffi_add_two\n", path);
    return 2;
  }
  ffi::Function add_two = ffi::Function::FromExternC(nullptr, symbol, nullptr);
  int r2 = add_two(40);
  std::cout << "add_two(40) = " << r2 << "\n";

  try {
    ffi::Function::GetGlobalRequired("my_ext.throw_error")(-1);
  } catch (const ffi::Error& e) {
    std::cout << "my_ext.throw_error(-1) raised:\n" << e.FullMessage();
  }
  return (r1 == 42 && r2 == 42) ? 0 : 1;
}
