// A module that misbehaves on request, for --isolate: it segfaults, aborts, hangs or exits,
// and tells which process it runs in.
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

int Pid() { return static_cast<int>(::getpid()); }

// noinline, so the crash backtrace names it.
[[gnu::noinline]] int WriteThroughNull(int x) {
  volatile int* p = nullptr;
  *p = x;
  return *p;
}

}  // namespace

TVM_FFI_DLL_EXPORT_TYPED_FUNC(pid, Pid);

TVM_FFI_STATIC_INIT_BLOCK() {
  tvm::ffi::reflection::GlobalDef()
      .def("crash.pid", Pid)
      .def("crash.segfault", [](int x) { return WriteThroughNull(x); })
      .def("crash.abort", []() { std::abort(); })
      .def("crash.exit", [](int code) { std::_Exit(code); })
      .def("crash.hang",
           []() {
             while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
           })
      .def("crash.hang_marked", [](const std::string& path) {  // says it runs, then hangs
        std::ofstream(path) << "running\n";
        while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
      });
}
