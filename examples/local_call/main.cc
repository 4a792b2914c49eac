// Loads the example module into this process and calls it through the FFI, as a module user
// would: a registered global by name, an exported symbol through the module, and an error with
// its backtrace.
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/tvm_ffi.h>

#include <iostream>

namespace ffi = tvm::ffi;

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : TVMFFI_EXAMPLE_MODULE;
  try {
    // Loading runs the module's static init blocks, which register its globals.
    ffi::Module mod = ffi::Module::LoadFromFile(path);

    ffi::Function add_one = ffi::Function::GetGlobalRequired("my_ext.add_one");
    int r1 = add_one(41);
    std::cout << "my_ext.add_one(41) = " << r1 << "\n";

    ffi::Function add_two = mod->GetFunction("add_two").value();
    int r2 = add_two(40);
    std::cout << "add_two(40) = " << r2 << "\n";

    try {
      ffi::Function::GetGlobalRequired("my_ext.throw_error")(-1);
    } catch (const ffi::Error& e) {
      std::cout << "my_ext.throw_error(-1) raised:\n" << e.FullMessage();
    }
    return (r1 == 42 && r2 == 42) ? 0 : 1;
  } catch (const ffi::Error& e) {
    std::cerr << e.FullMessage();
    return 2;
  }
}
