// The environment C API: per-thread streams, the DLPack tensor allocator, frontend signal hooks.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>

#include <atomic>
#include <cstring>
#include <map>
#include <utility>

namespace tvm {
namespace ffi {
namespace {

// Streams are per thread, keyed by (device_type, device_id).
std::map<std::pair<int32_t, int32_t>, TVMFFIStreamHandle>& ThreadStreams() {
  thread_local std::map<std::pair<int32_t, int32_t>, TVMFFIStreamHandle> streams;
  return streams;
}

thread_local DLPackManagedTensorAllocator t_allocator = nullptr;
std::atomic<DLPackManagedTensorAllocator> g_allocator{nullptr};

// Frontend hooks registered with TVMFFIEnvRegisterCAPI (the Python binding's).
std::atomic<int (*)()> g_check_signals{nullptr};
std::atomic<void*> g_gil_ensure{nullptr};
std::atomic<void*> g_gil_release{nullptr};
// tvmffi-rpc's hook: whether the remote call this thread serves was cancelled or timed out.
std::atomic<int (*)()> g_check_call{nullptr};

}  // namespace
}  // namespace ffi
}  // namespace tvm

int TVMFFIEnvSetStream(int32_t device_type, int32_t device_id, TVMFFIStreamHandle stream,
                       TVMFFIStreamHandle* opt_out_original_stream) {
  TVM_FFI_SAFE_CALL_BEGIN();
  auto& streams = tvm::ffi::ThreadStreams();
  auto key = std::make_pair(device_type, device_id);
  auto it = streams.find(key);
  if (opt_out_original_stream != nullptr) {
    *opt_out_original_stream = it == streams.end() ? nullptr : it->second;
  }
  if (stream == nullptr) {
    if (it != streams.end()) streams.erase(it);
  } else {
    streams[key] = stream;
  }
  TVM_FFI_SAFE_CALL_END();
}

TVMFFIStreamHandle TVMFFIEnvGetStream(int32_t device_type, int32_t device_id) {
  auto& streams = tvm::ffi::ThreadStreams();
  auto it = streams.find(std::make_pair(device_type, device_id));
  return it == streams.end() ? nullptr : it->second;
}

int TVMFFIEnvSetDLPackManagedTensorAllocator(DLPackManagedTensorAllocator allocator,
                                             int write_to_global_context,
                                             DLPackManagedTensorAllocator* opt_out_original) {
  if (opt_out_original != nullptr) *opt_out_original = TVMFFIEnvGetDLPackManagedTensorAllocator();
  tvm::ffi::t_allocator = allocator;
  if (write_to_global_context != 0) tvm::ffi::g_allocator.store(allocator);
  return 0;
}

DLPackManagedTensorAllocator TVMFFIEnvGetDLPackManagedTensorAllocator() {
  // The thread's own allocator wins over the process-wide one.
  if (tvm::ffi::t_allocator != nullptr) return tvm::ffi::t_allocator;
  return tvm::ffi::g_allocator.load();
}

int TVMFFIEnvCheckSignals() {
  int (*check)() = tvm::ffi::g_check_signals.load();
  if (check != nullptr && check() != 0) return -1;
  int (*check_call)() = tvm::ffi::g_check_call.load();
  return check_call != nullptr ? check_call() : 0;
}

int TVMFFIEnvRegisterCAPI(const char* name, void* symbol) {
  TVM_FFI_SAFE_CALL_BEGIN();
  std::string_view key = name != nullptr ? name : "";
  if (key == "PyErr_CheckSignals") {
    tvm::ffi::g_check_signals.store(reinterpret_cast<int (*)()>(symbol));
  } else if (key == "PyGILState_Ensure") {
    tvm::ffi::g_gil_ensure.store(symbol);
  } else if (key == "PyGILState_Release") {
    tvm::ffi::g_gil_release.store(symbol);
  } else if (key == "TVMFFIRPCCheckCall") {
    tvm::ffi::g_check_call.store(reinterpret_cast<int (*)()>(symbol));
  } else {
    TVM_FFI_THROW(ValueError) << "Unknown C API symbol: " << key;
  }
  TVM_FFI_SAFE_CALL_END();
}
