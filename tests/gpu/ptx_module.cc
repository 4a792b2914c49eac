// A module of CUDA kernels for the gpu-labelled tests, written as PTX text and loaded with the
// driver's JIT (cuModuleLoadData): no nvcc and no CUDA header at build time, the driver found
// at run time (libcuda.so.1, or TVMFFI_CUDA_DRIVER). Its kernels launch on the stream the
// caller set for the device (TVMFFIEnvGetStream), as a module built with the CUDA runtime
// would, in the device's primary context.
//   gpu.add_one(x, y)      y[i] = x[i] + 1, float32, same shape
//   gpu.spin(out, cycles)  one thread busy for `cycles` clock cycles; out[0] = cycles spun
#include <dlfcn.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

namespace ffi = tvm::ffi;

namespace {

constexpr const char* kPtx = R"PTX(
.version 7.0
.target sm_52
.address_size 64

.visible .entry add_one(
    .param .u64 x_param,
    .param .u64 y_param,
    .param .u64 n_param
)
{
    .reg .pred p;
    .reg .b32 r<5>;
    .reg .b64 rd<10>;
    .reg .f32 f<3>;

    ld.param.u64 rd1, [x_param];
    ld.param.u64 rd2, [y_param];
    ld.param.u64 rd3, [n_param];
    mov.u32 r1, %ctaid.x;
    mov.u32 r2, %ntid.x;
    mov.u32 r3, %tid.x;
    mad.lo.u32 r4, r1, r2, r3;
    cvt.u64.u32 rd4, r4;
    setp.ge.u64 p, rd4, rd3;
    @p bra DONE;
    cvta.to.global.u64 rd5, rd1;
    cvta.to.global.u64 rd6, rd2;
    shl.b64 rd7, rd4, 2;
    add.u64 rd8, rd5, rd7;
    add.u64 rd9, rd6, rd7;
    ld.global.f32 f1, [rd8];
    add.f32 f2, f1, 0f3F800000;
    st.global.f32 [rd9], f2;
DONE:
    ret;
}

.visible .entry spin(
    .param .u64 out_param,
    .param .u64 cycles_param
)
{
    .reg .pred p;
    .reg .b64 rd<7>;

    ld.param.u64 rd1, [out_param];
    ld.param.u64 rd2, [cycles_param];
    mov.u64 rd3, %clock64;
SPIN:
    mov.u64 rd4, %clock64;
    sub.u64 rd5, rd4, rd3;
    setp.lt.u64 p, rd5, rd2;
    @p bra SPIN;
    cvta.to.global.u64 rd6, rd1;
    st.global.u64 [rd6], rd5;
    ret;
}
)PTX";

using CUresult = int;
using CUcontext = void*;
using CUmodule = void*;
using CUfunction = void*;
using CUstream = void*;

struct Driver {
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, int);
  CUresult (*cuCtxPushCurrent_v2)(CUcontext);
  CUresult (*cuCtxPopCurrent_v2)(CUcontext*);
  CUresult (*cuModuleLoadData)(CUmodule*, const void*);
  CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void**, void**);
  CUresult (*cuGetErrorString)(CUresult, const char**);
};

const Driver& GetDriver() {
  static const Driver* driver = [] {
    const char* env = std::getenv("TVMFFI_CUDA_DRIVER");
    const char* path = env != nullptr && *env != '\0' ? env : "libcuda.so.1";
    void* lib = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return static_cast<Driver*>(nullptr);
    auto* d = new Driver();
    bool ok = true;
    auto resolve = [&](auto* fn, const char* name) {
      *fn = reinterpret_cast<std::remove_pointer_t<decltype(fn)>>(::dlsym(lib, name));
      ok = ok && *fn != nullptr;
    };
    resolve(&d->cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    resolve(&d->cuCtxPushCurrent_v2, "cuCtxPushCurrent_v2");
    resolve(&d->cuCtxPopCurrent_v2, "cuCtxPopCurrent_v2");
    resolve(&d->cuModuleLoadData, "cuModuleLoadData");
    resolve(&d->cuModuleGetFunction, "cuModuleGetFunction");
    resolve(&d->cuLaunchKernel, "cuLaunchKernel");
    resolve(&d->cuGetErrorString, "cuGetErrorString");
    return ok ? d : nullptr;
  }();
  if (driver == nullptr) TVM_FFI_THROW(RuntimeError) << "no usable CUDA driver in this process";
  return *driver;
}

void Check(CUresult r, const char* what) {
  if (r == 0) return;
  const char* text = nullptr;
  GetDriver().cuGetErrorString(r, &text);
  TVM_FFI_THROW(RuntimeError) << what << " failed: " << (text != nullptr ? text : "?") << " (" << r
                              << ")";
}

// The device's primary context, current on this thread for the scope.
class OnDevice {
 public:
  explicit OnDevice(int device) {
    CUcontext ctx = nullptr;
    Check(GetDriver().cuDevicePrimaryCtxRetain(&ctx, device), "cuDevicePrimaryCtxRetain");
    Check(GetDriver().cuCtxPushCurrent_v2(ctx), "cuCtxPushCurrent_v2");
  }
  ~OnDevice() {
    CUcontext popped = nullptr;
    GetDriver().cuCtxPopCurrent_v2(&popped);
  }
  OnDevice(const OnDevice&) = delete;
  OnDevice& operator=(const OnDevice&) = delete;
};

// The kernel `name` on device (the PTX is JIT-compiled once per device; needs its context).
CUfunction Kernel(int device, const char* name) {
  static std::mutex mutex;
  static std::map<std::pair<int, std::string>, CUfunction> kernels;
  static std::map<int, CUmodule> modules;
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(device, std::string(name));
  auto it = kernels.find(key);
  if (it != kernels.end()) return it->second;
  CUmodule& mod = modules[device];
  if (mod == nullptr) Check(GetDriver().cuModuleLoadData(&mod, kPtx), "cuModuleLoadData");
  CUfunction fn = nullptr;
  Check(GetDriver().cuModuleGetFunction(&fn, mod, name), "cuModuleGetFunction");
  kernels[key] = fn;
  return fn;
}

int CudaDeviceOf(const ffi::TensorView& t, const char* what) {
  if (t.device().device_type != kDLCUDA) {
    TVM_FFI_THROW(ValueError) << what << " must be on a CUDA device";
  }
  return t.device().device_id;
}

void AddOne(ffi::TensorView x, ffi::TensorView y) {
  int device = CudaDeviceOf(x, "x");
  if (CudaDeviceOf(y, "y") != device || x.numel() != y.numel() ||
      x.dtype() != DLDataType{kDLFloat, 32, 1} || y.dtype() != x.dtype()) {
    TVM_FFI_THROW(ValueError) << "add_one needs two float32 tensors of one size on one device";
  }
  OnDevice on(device);
  CUfunction fn = Kernel(device, "add_one");
  uint64_t xp = reinterpret_cast<uintptr_t>(x.data_ptr()) + x.byte_offset();
  uint64_t yp = reinterpret_cast<uintptr_t>(y.data_ptr()) + y.byte_offset();
  uint64_t n = static_cast<uint64_t>(x.numel());
  void* params[] = {&xp, &yp, &n};
  unsigned threads = 256;
  auto blocks = static_cast<unsigned>((n + threads - 1) / threads);
  if (blocks == 0) return;
  CUstream stream = TVMFFIEnvGetStream(kDLCUDA, device);
  Check(GetDriver().cuLaunchKernel(fn, blocks, 1, 1, threads, 1, 1, 0, stream, params, nullptr),
        "cuLaunchKernel(add_one)");
}

void Spin(ffi::TensorView out, int64_t cycles) {
  int device = CudaDeviceOf(out, "out");
  if (out.numel() < 1 || out.dtype() != DLDataType{kDLInt, 64, 1}) {
    TVM_FFI_THROW(ValueError) << "spin needs an int64 tensor of at least one element";
  }
  OnDevice on(device);
  CUfunction fn = Kernel(device, "spin");
  uint64_t op = reinterpret_cast<uintptr_t>(out.data_ptr()) + out.byte_offset();
  uint64_t n = static_cast<uint64_t>(cycles);
  void* params[] = {&op, &n};
  CUstream stream = TVMFFIEnvGetStream(kDLCUDA, device);
  Check(GetDriver().cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr),
        "cuLaunchKernel(spin)");
}

}  // namespace

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::GlobalDef().def("gpu.add_one", AddOne).def("gpu.spin", Spin);
}
