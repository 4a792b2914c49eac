// A stand-in for libcuda.so.1 in tests (CI has no GPU): the driver entry points the device
// layer resolves, over host memory, with one device ("Fake CUDA Device", compute 8.0, 1 GiB).
// FAKE_CUDA_VERSION sets what cuDriverGetVersion reports (default 12020), FAKE_CUDA_DEVICES
// how many devices there are (default 1). Not a model of CUDA's semantics beyond that.
#include <cstdlib>
#include <cstring>
#include <mutex>

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
  // 256-byte aligned, as the real driver's are; the size sits in the 256 bytes in front.
  size_t padded = (bytes + 256 + 255) / 256 * 256;
  auto* p = static_cast<unsigned char*>(std::aligned_alloc(256, padded));
  if (p == nullptr) return kOutOfMemory;
  *reinterpret_cast<size_t*>(p) = bytes;
  g_used += bytes;
  *ptr = reinterpret_cast<unsigned long long>(p + 256);  // NOLINT
  return kSuccess;
}
CUresult cuMemFree_v2(unsigned long long ptr) {  // NOLINT
  if (ptr == 0) return kInvalidValue;
  auto* p = reinterpret_cast<unsigned char*>(ptr) - 256;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_used -= *reinterpret_cast<size_t*>(p);
  std::free(p);
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n,  // NOLINT
                              void*) {
  std::memcpy(reinterpret_cast<void*>(dst), src, n);
  return kSuccess;
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t n, void*) {  // NOLINT
  std::memcpy(dst, reinterpret_cast<const void*>(src), n);
  return kSuccess;
}
CUresult cuMemcpyDtoDAsync_v2(unsigned long long dst, unsigned long long src,  // NOLINT
                              size_t n, void*) {
  std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), n);
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
