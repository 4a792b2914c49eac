// TVMFFIHandleInitOnce / DeinitOnce: one-time setup for code without static constructors.
#include <tvm/ffi/c_api.h>

#include <mutex>

namespace {
// One lock for all handles: initialisation is rare and must not run twice for one handle.
std::mutex& InitMutex() {
  static std::mutex* mutex = new std::mutex();
  return *mutex;
}
}  // namespace

int TVMFFIHandleInitOnce(void** handle_addr, int (*init_func)(void** result)) {
  if (__atomic_load_n(handle_addr, __ATOMIC_ACQUIRE) != nullptr) return 0;
  std::lock_guard<std::mutex> lock(InitMutex());
  if (*handle_addr != nullptr) return 0;
  void* result = nullptr;
  int ret = init_func(&result);
  if (ret != 0) return ret;
  if (result == nullptr) {  // a null handle would read as "not yet initialised" forever
    TVMFFIErrorSetRaisedFromCStr("RuntimeError", "init_func must return a non-NULL handle");
    return -1;
  }
  __atomic_store_n(handle_addr, result, __ATOMIC_RELEASE);
  return 0;
}

// The handle is taken (set to NULL) first, whatever deinit_func then returns: one deinit_func
// call per handle, and a failed one leaves no handle to free twice.
int TVMFFIHandleDeinitOnce(void** handle_addr, int (*deinit_func)(void* handle)) {
  void* handle = __atomic_exchange_n(handle_addr, static_cast<void*>(nullptr), __ATOMIC_ACQ_REL);
  return handle == nullptr ? 0 : deinit_func(handle);
}
