// A stand-in for libcuda.so.1 in tests (CI has no GPU): the driver entry points the device
// layer resolves, over host memory, with one device ("Fake CUDA Device", compute 8.0, 1 GiB).
// Its memory is like a GPU's to the host: pages kept PROT_NONE except inside its own copy
// functions, so any code path that dereferences "device" memory on the host faults.
// FAKE_CUDA_VERSION sets what cuDriverGetVersion reports (default 12020), FAKE_CUDA_DEVICES
// how many devices there are (default 1). Allocations are memfd pages, so its CUDA IPC
// handles (the memfd's /proc path) can be opened by another process of the same user, once per
// process and never by the one that made them, as CUDA's. Not a model of CUDA's semantics
// beyond that.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace {
using CUresult = int;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotInitialized = 3,
                   kInvalidDevice = 101, kAlreadyMapped = 208;
constexpr size_t kTotal = size_t{1} << 30;
std::mutex g_mutex;
size_t g_used = 0;
bool g_init = false;
// The device of the context pushed on this thread. Initial-exec TLS (glibc's static surplus,
// which a small dlopen'ed library may use): dynamic TLS in a dlopen'ed library is allocated
// and freed inside ld.so, where LeakSanitizer's scan can crash and ThreadSanitizer sees races.
__attribute__((tls_model("initial-exec"))) thread_local int g_current = -1;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}
int Devices() { return EnvInt("FAKE_CUDA_DEVICES", 1); }
// A device allocation: whole pages of a memfd (so another process can map it, as CUDA IPC
// does), PROT_NONE; its size in a host-side table. Imported ones are another process's.
struct Allocation {
  size_t size = 0;
  int fd = -1;            // ours: kept for cuIpcGetMemHandle
  bool imported = false;  // mapped by cuIpcOpenMemHandle
  std::string key;        // imported: the handle's bytes
};
std::unordered_map<uintptr_t, Allocation>& Table() {
  static auto* table = new std::unordered_map<uintptr_t, Allocation>();
  return *table;
}
// The IPC handle's layout inside its 64 bytes.
struct FakeHandle {
  char magic[8];  // "FAKEIPC"
  int64_t pid;
  int32_t fd;
  int32_t device;
  uint64_t size;
};
static_assert(sizeof(FakeHandle) <= 64, "a CUipcMemHandle has 64 bytes");
size_t Pages(size_t bytes) {
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (std::max<size_t>(bytes, 1) + page - 1) / page * page;
}
// Opens [p, p + n) to the host for one copy (under g_mutex), then closes it again.
void Open(uintptr_t p, int prot) {
  auto it = Table().find(p);
  if (it != Table().end()) ::mprotect(reinterpret_cast<void*>(p), Pages(it->second.size), prot);
}
// The allocation containing address a (allocations start at page boundaries).
uintptr_t BaseOf(uintptr_t a) {
  for (const auto& [base, alloc] : Table()) {
    if (a >= base && a < base + Pages(alloc.size)) return base;
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
  int fd = ::memfd_create("fake-cuda", MFD_CLOEXEC);
  if (fd < 0) return kOutOfMemory;
  if (::ftruncate(fd, static_cast<off_t>(Pages(bytes))) != 0) {
    ::close(fd);
    return kOutOfMemory;
  }
  void* p = ::mmap(nullptr, Pages(bytes), PROT_NONE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    ::close(fd);
    return kOutOfMemory;
  }
  Table()[reinterpret_cast<uintptr_t>(p)] = Allocation{bytes, fd, false, {}};
  g_used += bytes;
  *ptr = reinterpret_cast<unsigned long long>(p);  // NOLINT
  return kSuccess;
}
CUresult cuMemFree_v2(unsigned long long ptr) {  // NOLINT
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = Table().find(static_cast<uintptr_t>(ptr));
  if (it == Table().end() || it->second.imported) return kInvalidValue;
  ::munmap(reinterpret_cast<void*>(ptr), Pages(it->second.size));
  ::close(it->second.fd);
  g_used -= it->second.size;
  Table().erase(it);
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n,  // NOLINT
                              void*) {
  if (n == 0) return kSuccess;  // as the driver: nothing to read or write
  std::lock_guard<std::mutex> lock(g_mutex);
  uintptr_t base = BaseOf(dst);
  if (base == 0) return kInvalidValue;
  Open(base, PROT_READ | PROT_WRITE);
  std::memcpy(reinterpret_cast<void*>(dst), src, n);
  Open(base, PROT_NONE);
  return kSuccess;
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t n, void*) {  // NOLINT
  if (n == 0) return kSuccess;
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
CUresult cuDeviceGetUuid(char* uuid, int d) {
  if (d < 0 || d >= Devices()) return kInvalidDevice;
  std::memset(uuid, 0, 16);
  std::memcpy(uuid, "fake-cuda-dev", 13);
  uuid[15] = static_cast<char>('0' + d);
  return kSuccess;
}
CUresult cuMemGetAddressRange_v2(unsigned long long* base, size_t* size,  // NOLINT
                                 unsigned long long ptr) {                // NOLINT
  std::lock_guard<std::mutex> lock(g_mutex);
  uintptr_t b = BaseOf(static_cast<uintptr_t>(ptr));
  if (b == 0) return kInvalidValue;
  if (base != nullptr) *base = b;
  if (size != nullptr) *size = Table()[b].size;
  return kSuccess;
}
CUresult cuIpcGetMemHandle(char* handle, unsigned long long ptr) {  // NOLINT
  if (g_current < 0) return kInvalidValue;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = Table().find(static_cast<uintptr_t>(ptr));
  if (it == Table().end() || it->second.imported) return kInvalidValue;  // a base of our own
  FakeHandle h{};
  std::memcpy(h.magic, "FAKEIPC", 8);
  h.pid = ::getpid();
  h.fd = it->second.fd;
  h.device = g_current;
  h.size = it->second.size;
  std::memset(handle, 0, 64);
  std::memcpy(handle, &h, sizeof(h));
  return kSuccess;
}
struct IpcHandleArg {
  char bytes[64];
};
CUresult cuIpcOpenMemHandle_v2(unsigned long long* ptr, IpcHandleArg handle,  // NOLINT
                               unsigned) {
  if (g_current < 0) return kInvalidValue;
  FakeHandle h{};
  std::memcpy(&h, handle.bytes, sizeof(h));
  if (std::memcmp(h.magic, "FAKEIPC", 8) != 0) return kInvalidValue;
  if (h.pid == ::getpid()) return kInvalidValue;  // as CUDA: not in the process that made it
  std::string key(handle.bytes, sizeof(handle.bytes));
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& [base, alloc] : Table()) {
    if (alloc.imported && alloc.key == key) return kAlreadyMapped;  // once per process
  }
  std::string path = "/proc/" + std::to_string(h.pid) + "/fd/" + std::to_string(h.fd);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return kInvalidValue;
  void* p = ::mmap(nullptr, Pages(h.size), PROT_NONE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return kOutOfMemory;
  Table()[reinterpret_cast<uintptr_t>(p)] = Allocation{h.size, -1, true, key};
  *ptr = reinterpret_cast<unsigned long long>(p);  // NOLINT
  return kSuccess;
}
// Events: the host's clock when recorded (launches here are synchronous, so that is when the
// work before them ended). FAKE_CUDA_EVENT_MS, when set, is what every elapsed time reads, so a
// test can tell a device-timed figure from a host-timed one.
struct FakeEvent {
  std::chrono::steady_clock::time_point at;
};
CUresult cuEventCreate(void** event, unsigned) {
  if (g_current < 0) return kInvalidValue;
  *event = new FakeEvent{std::chrono::steady_clock::now()};
  return kSuccess;
}
CUresult cuEventRecord(void* event, void*) {
  static_cast<FakeEvent*>(event)->at = std::chrono::steady_clock::now();
  return kSuccess;
}
CUresult cuEventSynchronize(void*) { return kSuccess; }
CUresult cuEventElapsedTime(float* ms, void* start, void* stop) {
  if (const char* fixed = std::getenv("FAKE_CUDA_EVENT_MS"); fixed != nullptr && *fixed != '\0') {
    *ms = static_cast<float>(std::atof(fixed));
    return kSuccess;
  }
  *ms = std::chrono::duration<float, std::milli>(static_cast<FakeEvent*>(stop)->at -
                                                 static_cast<FakeEvent*>(start)->at)
            .count();
  return kSuccess;
}
CUresult cuEventDestroy_v2(void* event) {
  delete static_cast<FakeEvent*>(event);
  return kSuccess;
}
// Modules: the PTX text of tests/gpu/ptx_module.cc is not compiled; its two kernels are run
// on the host by name, so the module's loading, launch configuration and arguments are
// exercised without a GPU (the PTX itself only on a real one).
CUresult cuModuleLoadData(void** module, const void* image) {
  if (g_current < 0) return kInvalidValue;  // needs a current context, as the real one does
  const char* ptx = static_cast<const char*>(image);
  if (std::strstr(ptx, ".entry") == nullptr) return kInvalidValue;
  *module = const_cast<void*>(image);
  return kSuccess;
}
CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
  std::string entry = std::string(".entry ") + name + "(";
  if (std::strstr(static_cast<const char*>(module), entry.c_str()) == nullptr) return 500;
  if (std::strcmp(name, "add_one") == 0) {
    *function = reinterpret_cast<void*>(1);
  } else if (std::strcmp(name, "spin") == 0) {
    *function = reinterpret_cast<void*>(2);
  } else {
    return 500;  // CUDA_ERROR_NOT_FOUND: no host version of that kernel here
  }
  return kSuccess;
}
CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned, void*, void** params, void**) {
  if (g_current < 0) return kInvalidValue;
  uint64_t threads = uint64_t{gx} * gy * gz * bx * by * bz;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (function == reinterpret_cast<void*>(1)) {  // add_one(x, y, n)
    uint64_t x = *static_cast<uint64_t*>(params[0]);
    uint64_t y = *static_cast<uint64_t*>(params[1]);
    uint64_t n = *static_cast<uint64_t*>(params[2]);
    if (threads < n) return kInvalidValue;  // the grid must cover every element
    uintptr_t xb = BaseOf(x), yb = BaseOf(y);
    if (xb == 0 || yb == 0) return 700;  // CUDA_ERROR_ILLEGAL_ADDRESS
    Open(xb, PROT_READ | PROT_WRITE);
    Open(yb, PROT_READ | PROT_WRITE);
    for (uint64_t i = 0; i < n; ++i) {
      reinterpret_cast<float*>(y)[i] = reinterpret_cast<const float*>(x)[i] + 1.0f;
    }
    Open(xb, PROT_NONE);
    Open(yb, PROT_NONE);
    return kSuccess;
  }
  if (function == reinterpret_cast<void*>(2)) {  // spin(out, cycles): at "2 GHz"
    uint64_t out = *static_cast<uint64_t*>(params[0]);
    uint64_t cycles = *static_cast<uint64_t*>(params[1]);
    uintptr_t ob = BaseOf(out);
    if (ob == 0) return 700;
    ::usleep(static_cast<useconds_t>(cycles / 2000));
    Open(ob, PROT_READ | PROT_WRITE);
    *reinterpret_cast<uint64_t*>(out) = cycles;
    Open(ob, PROT_NONE);
    return kSuccess;
  }
  return kInvalidValue;
}
// FAKE_CUDA_IPC_CLOSE_MS, when set, delays each close by that many milliseconds (outside the
// driver's lock), so a test can show that no open of the same handle slips in before it.
CUresult cuIpcCloseMemHandle(unsigned long long ptr) {  // NOLINT
  if (int ms = EnvInt("FAKE_CUDA_IPC_CLOSE_MS", 0); ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = Table().find(static_cast<uintptr_t>(ptr));
  if (it == Table().end() || !it->second.imported) return kInvalidValue;
  ::munmap(reinterpret_cast<void*>(ptr), Pages(it->second.size));
  Table().erase(it);
  return kSuccess;
}
}
