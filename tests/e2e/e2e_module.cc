// The module the end-to-end tests load into tvmffi-server: functions exercising every path
// (echo of every value kind, callbacks, sleeps, errors, a raw pointer, a system-library symbol).
#include <dlfcn.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace ffi = tvm::ffi;

namespace {
// The user document's system-library example, as written.
int add_one_impl(void*, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  TVM_FFI_SAFE_CALL_BEGIN();
  (void)num_args;
  int64_t x = reinterpret_cast<const tvm::ffi::AnyView*>(args)[0].cast<int64_t>();
  reinterpret_cast<tvm::ffi::Any*>(result)[0] = x + 1;
  TVM_FFI_SAFE_CALL_END();
}

int AddTwo(int x) { return x + 2; }

struct MallocAlloc {
  void AllocData(DLTensor* t) { t->data = std::malloc(ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { std::free(t->data); }
};
int g_secret = 7;

// Creates the file at path (so a test sees the call is running), then never returns.
void Block(const std::string& path) {
  std::ofstream(path) << "running\n";
  static auto* mutex = new std::mutex;  // never destroyed: a waiter outlives static destruction
  static auto* never = new std::condition_variable;
  std::unique_lock<std::mutex> lock(*mutex);
  never->wait(lock, [] { return false; });
}
}  // namespace

TVM_FFI_DLL_EXPORT_TYPED_FUNC(add_two, AddTwo);

// Data under the function-symbol prefix: a module lookup of "table" must not call it.
extern "C" TVM_FFI_DLL_EXPORT const int64_t __tvm_ffi_table[4] = {1, 2, 3, 4};

TVM_FFI_STATIC_INIT_BLOCK() {
  TVMFFIEnvModRegisterSystemLibSymbol("__tvm_ffi_my_prefix.add_one",
                                      reinterpret_cast<void*>(add_one_impl));
  ffi::reflection::GlobalDef()
      .def("e2e.echo", [](ffi::Any x) { return x; })
      .def("e2e.pid", []() { return static_cast<int>(::getpid()); })
      .def("e2e.count",  // how many times it was called in this process
           []() {
             static std::atomic<int64_t> calls{0};
             return ++calls;
           })
      .def("e2e.add", [](int64_t a, int64_t b) { return a + b; })
      .def("e2e.apply", [](ffi::Function f, ffi::Any x) { return f(x); })
      .def("e2e.recurse", [](ffi::Function cb, int n) { return n == 0 ? 0 : cb(n).cast<int>(); })
      .def("e2e.make_adder",
           [](int k) { return ffi::Function::FromTyped([k](int x) { return x + k; }); })
      .def("e2e.sleep_ms",
           [](int ms) {
             std::this_thread::sleep_for(std::chrono::milliseconds(ms));
             return ms;
           })
      .def("e2e.fill",  // writes value into every byte of t: visible to a sharing caller
           [](ffi::Tensor t, int value) { std::memset(t.data_ptr(), value, t.GetDataSize()); })
      .def("e2e.device_type", [](ffi::Tensor t) { return static_cast<int>(t->device.device_type); })
      .def("e2e.cuda_fill",  // value into every byte of a CUDA tensor, through the driver loaded
           [](ffi::Tensor t, int value) {
             const char* path = std::getenv("TVMFFI_CUDA_DRIVER");
             void* lib = ::dlopen(path != nullptr && *path != '\0' ? path : "libcuda.so.1",
                                  RTLD_NOW | RTLD_NOLOAD);
             if (lib == nullptr) TVM_FFI_THROW(RuntimeError) << "no CUDA driver is loaded";
             using Copy = int (*)(unsigned long long, const void*, size_t, void*);  // NOLINT
             auto copy = reinterpret_cast<Copy>(::dlsym(lib, "cuMemcpyHtoDAsync_v2"));
             std::string bytes(t.GetDataSize(), static_cast<char>(value));
             int r = copy == nullptr ? -1
                                     : copy(reinterpret_cast<uintptr_t>(t.data_ptr()), bytes.data(),
                                            bytes.size(), nullptr);
             ::dlclose(lib);
             if (r != 0) TVM_FFI_THROW(RuntimeError) << "cuMemcpyHtoDAsync_v2 failed: " << r;
           })
      .def("e2e.env_stream",  // the stream a kernel on t's device would be launched on
           [](ffi::Tensor t) {
             return static_cast<int64_t>(reinterpret_cast<uintptr_t>(
                 TVMFFIEnvGetStream(t->device.device_type, t->device.device_id)));
           })
      .def("e2e.fill_when",  // marks that it runs, waits for path + ".go", then fills t
           [](const std::string& path, ffi::Tensor t, int value) {
             std::ofstream(path) << "running\n";
             for (int i = 0; i < 30000 && !std::ifstream(path + ".go").good(); ++i) {
               std::this_thread::sleep_for(std::chrono::milliseconds(1));
             }
             std::memset(t.data_ptr(), value, t.GetDataSize());
           })
      .def("e2e.make_bytes",  // a fresh tensor the server drops as soon as it is returned
           [](int64_t n, int value) {
             ffi::Tensor t = ffi::Tensor::FromNDAlloc(
                 MallocAlloc{}, ffi::Shape({n}), DLDataType{kDLUInt, 8, 1}, DLDevice{kDLCPU, 0});
             std::memset(t.data_ptr(), value, static_cast<size_t>(n));
             return t;
           })
      .def("e2e.raw_pointer", []() { return static_cast<void*>(&g_secret); })
      .def("e2e.throw_int", []() { throw 42; })
      .def("e2e.block", [](const std::string& path) { Block(path); })
      .def("e2e.block_if_first",  // the first caller (no file at path yet) writes its pid to
                                  // path.pid and blocks; later callers return their pid
           [](const std::string& path) {
             if (!std::ifstream(path).good()) {
               std::ofstream(path + ".pid") << ::getpid() << "\n";
               Block(path);
             }
             return static_cast<int>(::getpid());
           })
      .def("e2e.until_cancelled",  // marks that it runs, polls for cancellation, marks that
           [](const std::string& path, double seconds) {
             std::ofstream(path) << "running\n";
             auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
             while (std::chrono::steady_clock::now() < end) {
               if (TVMFFIEnvCheckSignals() != 0) {
                 std::ofstream(path + ".stopped") << "stopped\n";
                 throw ffi::EnvErrorAlreadySet();
               }
               std::this_thread::sleep_for(std::chrono::milliseconds(2));
             }
             return -1;  // never cancelled
           })
      .def("e2e.big_after_marker",  // marks that it runs, then returns n bytes
           [](const std::string& path, int64_t n) {
             std::ofstream(path) << "running\n";
             ffi::Tensor t = ffi::Tensor::FromNDAlloc(
                 MallocAlloc{}, ffi::Shape({n}), DLDataType{kDLUInt, 8, 1}, DLDevice{kDLCPU, 0});
             std::memset(t.data_ptr(), 1, static_cast<size_t>(n));
             return t;
           })
      .def("e2e.throw_with_cause", []() {
        ffi::Error cause("KeyError", "inner", "");
        throw ffi::Error("RuntimeError", "outer", "", cause, std::nullopt);
      });
}
