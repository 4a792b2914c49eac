// A module built twice, as version 1 and 2 (RELOAD_VERSION), for the tests that replace and
// unload modules on a running server: the same globals and module function in both.
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#ifndef RELOAD_VERSION
#define RELOAD_VERSION 1
#endif

namespace {
int ModuleVersion() { return RELOAD_VERSION; }
}  // namespace

TVM_FFI_DLL_EXPORT_TYPED_FUNC(module_version, ModuleVersion);

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::GlobalDef()
      .def("reload.version", []() { return RELOAD_VERSION; })
      .def("reload.version_when",  // marks that it runs, waits for path + ".go", then answers
           [](const std::string& path) {
             std::ofstream(path) << "running\n";
             for (int i = 0; i < 30000 && !std::ifstream(path + ".go").good(); ++i) {
               std::this_thread::sleep_for(std::chrono::milliseconds(1));
             }
             return RELOAD_VERSION;
           });
}
