// A stand-in for libcuda.so.1 in tests (CI has no GPU): the driver entry points the device
// layer resolves, over host memory, with one device ("Fake CUDA Device", compute 8.0, 1 GiB).
// Its memory is like a GPU's to the host: pages kept PROT_NONE except inside its own copy
// functions, so any code path that dereferences "device" memory on the host faults.
// FAKE_CUDA_VERSION sets what cuDriverGetVersion reports (default 12020), FAKE_CUDA_DEVICES
// how many devices there are (default 1). Not a model of CUDA's semantics beyond that.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace {
using CUresult = int;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotInitialized = 3,
                   kInvalidDevice = 101;
constexpr size_t kTotal = size_t{1} << 30;
std::mutex g_mutex;
size_t g_used = 0;
bool g_init = false;
thread_local int g_current = -1;  // the device of the context pushed on this thread

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}
int Devices() { return EnvInt("FAKE_CUDA_DEVICES", 1); }
// A device allocation: whole pages, PROT_NONE, the size in a host-side table.
std::unordered_map<uintptr_t, size_t>& Sizes() {
  static auto* sizes = new std::unordered_map<uintptr_t, size_t>();
  return *sizes;
}
size_t Pages(size_t bytes) {
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (std::max<size_t>(bytes, 1) + page - 1) / page * page;
}
// Opens [p, p + n) to the host for one copy (under g_mutex), then closes it again.
void Open(uintptr_t p, int prot) {
  auto it = Sizes().find(p);
  if (it != Sizes().end()) ::mprotect(reinterpret_cast<void*>(p), Pages(it->second), prot);
}
// The allocation containing address a (allocations start at page boundaries).
uintptr_t BaseOf(uintptr_t a) {
  for (const auto& [base, size] : Sizes()) {
    if (a >= base && a < base + Pages(size)) return base;
  }
  return 0;
}
}  // namespace

extern "C" {
CUresult cuInit(unsigned) {
  g_init = true;
  return kSuccess;
}
CUresult cuDriverGetVersion(int* v) {
  *v = EnvInt("FAKE_CUDA_VERSION", 12020);
  return kSuccess;
}
CUresult cuGetErrorName(CUresult r, const char** out) {
  *out = r == kOutOfMemory     ? "CUDA_ERROR_OUT_OF_MEMORY"
         : r == kInvalidDevice ? "CUDA_ERROR_INVALID_DEVICE"
                               : "CUDA_ERROR_FAKE";
  return kSuccess;
}
CUresult cuGetErrorString(CUresult r, const char** out) {
  *out = r == kOutOfMemory ? "out of memory" : "fake driver error";
  return kSuccess;
}
CUresult cuDeviceGetCount(int* n) {
  if (!g_init) return kNotInitialized;
  *n = Devices();
  return kSuccess;
}
CUresult cuDeviceGet(int* d, int ordinal) {
  if (ordinal < 0 || ordinal >= Devices()) return kInvalidDevice;
  *d = ordinal;
  return kSuccess;
}
CUresult cuDeviceGetName(char* name, int len, int d) {
  if (d < 0 || d >= Devices()) return kInvalidDevice;
  std::strncpy(name, "Fake CUDA Device", static_cast<size_t>(len));
  return kSuccess;
}
CUresult cuDeviceTotalMem_v2(size_t* bytes, int) {
  *bytes = kTotal;
  return kSuccess;
}
CUresult cuDeviceGetAttribute(int* value, int attribute, int) {
  *value = attribute == 75 ? 8 : attribute == 76 ? 0 : attribute == 16 ? 108 : 0;
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int d) {
  if (d < 0 || d >= Devices()) return kInvalidDevice;
  *ctx = reinterpret_cast<void*>(static_cast<intptr_t>(d + 1));
  return kSuccess;
}
CUresult cuCtxPushCurrent_v2(void* ctx) {
  g_current = static_cast<int>(reinterpret_cast<intptr_t>(ctx)) - 1;
  return kSuccess;
}
CUresult cuCtxPopCurrent_v2(void** ctx) {
  if (ctx != nullptr) *ctx = reinterpret_cast<void*>(static_cast<intptr_t>(g_current + 1));
  g_current = -1;
  return kSuccess;
}
CUresult cuCtxSynchronize() { return g_current >= 0 ? kSuccess : kInvalidValue; }
CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
  if (g_current < 0) return kInvalidValue;  // needs a current context, as the real one does
  std::lock_guard<std::mutex> lock(g_mutex);
  *free = kTotal - g_used;
  *total = kTotal;
  return kSuccess;
}
CUresult cuMemAlloc_v2(unsigned long long* ptr, size_t bytes) {  // NOLINT
  if (g_current < 0) return kInvalidValue;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (bytes > kTotal - g_used) return kOutOfMemory;
  void* p = ::mmap(nullptr, Pages(bytes), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return kOutOfMemory;
  Sizes()[reinterpret_cast<uintptr_t>(p)] = bytes;
  g_used += bytes;
  *ptr = reinterpret_cast<unsigned long long>(p);  // NOLINT
  return kSuccess;
}
CUresult cuMemFree_v2(unsigned long long ptr) {  // NOLINT
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = Sizes().find(static_cast<uintptr_t>(ptr));
  if (it == Sizes().end()) return kInvalidValue;
  ::munmap(reinterpret_cast<void*>(ptr), Pages(it->second));
  g_used -= it->second;
  Sizes().erase(it);
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n,  // NOLINT
                              void*) {
  std::lock_guard<std::mutex> lock(g_mutex);
  uintptr_t base = BaseOf(dst);
  if (base == 0) return kInvalidValue;
  Open(base, PROT_READ | PROT_WRITE);
  std::memcpy(reinterpret_cast<void*>(dst), src, n);
  Open(base, PROT_NONE);
  return kSuccess;
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t n, void*) {  // NOLINT
  std::lock_guard<std::mutex> lock(g_mutex);
  uintptr_t base = BaseOf(src);
  if (base == 0) return kInvalidValue;
  Open(base, PROT_READ);
  std::memcpy(dst, reinterpret_cast<const void*>(src), n);
  Open(base, PROT_NONE);
  return kSuccess;
}
CUresult cuMemcpyDtoDAsync_v2(unsigned long long dst, unsigned long long src,  // NOLINT
                              size_t n, void*) {
  std::lock_guard<std::mutex> lock(g_mutex);
  uintptr_t dst_base = BaseOf(dst), src_base = BaseOf(src);
  if (dst_base == 0 || src_base == 0) return kInvalidValue;
  Open(src_base, PROT_READ | PROT_WRITE);
  Open(dst_base, PROT_READ | PROT_WRITE);
  std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), n);
  Open(src_base, PROT_NONE);
  Open(dst_base, PROT_NONE);
  return kSuccess;
}
CUresult cuStreamCreate(void** stream, unsigned) {
  *stream = std::malloc(1);
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void* stream) {
  std::free(stream);
  return kSuccess;
}
CUresult cuStreamSynchronize(void*) { return kSuccess; }
}
