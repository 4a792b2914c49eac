#include "cuda_driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tvmffi/proto/error_kind.h"

namespace tvmffi::device::cuda {
namespace {

absl::Status Unavailable(const std::string& reason) {
  return rpc::KindError(rpc::kind::kRuntimeError,
                        absl::StrCat("CUDA is not available on this server: ", reason));
}

template <typename Fn>
bool Resolve(void* lib, const char* name, Fn* out, std::string* missing) {
  *out = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (*out == nullptr && missing->empty()) *missing = name;
  return *out != nullptr;
}

absl::StatusOr<const Driver*> Load() {
  const char* env = std::getenv("TVMFFI_CUDA_DRIVER");
  std::string path = env != nullptr && *env != '\0' ? env : "libcuda.so.1";
  void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    return Unavailable(absl::StrCat("cannot load the driver library ", path, ": ",
                                    why != nullptr ? why : "unknown error",
                                    " (no NVIDIA driver on this host?)"));
  }
  // On success both live as long as the process; on failure both go.
  auto d = std::make_unique<Driver>();
  struct CloseOnFailure {
    void* lib;
    ~CloseOnFailure() {
      if (lib != nullptr) ::dlclose(lib);
    }
  } close_on_failure{lib};
  std::string missing;
#define TVMFFI_CUDA_RESOLVE(fn) Resolve(lib, #fn, &d->fn, &missing)
  TVMFFI_CUDA_RESOLVE(cuInit);
  TVMFFI_CUDA_RESOLVE(cuDriverGetVersion);
  TVMFFI_CUDA_RESOLVE(cuGetErrorName);
  TVMFFI_CUDA_RESOLVE(cuGetErrorString);
  TVMFFI_CUDA_RESOLVE(cuDeviceGetCount);
  TVMFFI_CUDA_RESOLVE(cuDeviceGet);
  TVMFFI_CUDA_RESOLVE(cuDeviceGetName);
  TVMFFI_CUDA_RESOLVE(cuDeviceTotalMem_v2);
  TVMFFI_CUDA_RESOLVE(cuDeviceGetAttribute);
  TVMFFI_CUDA_RESOLVE(cuDevicePrimaryCtxRetain);
  TVMFFI_CUDA_RESOLVE(cuCtxPushCurrent_v2);
  TVMFFI_CUDA_RESOLVE(cuCtxPopCurrent_v2);
  TVMFFI_CUDA_RESOLVE(cuCtxSynchronize);
  TVMFFI_CUDA_RESOLVE(cuMemGetInfo_v2);
  TVMFFI_CUDA_RESOLVE(cuMemAlloc_v2);
  TVMFFI_CUDA_RESOLVE(cuMemFree_v2);
  TVMFFI_CUDA_RESOLVE(cuMemcpyHtoDAsync_v2);
  TVMFFI_CUDA_RESOLVE(cuMemcpyDtoHAsync_v2);
  TVMFFI_CUDA_RESOLVE(cuMemcpyDtoDAsync_v2);
  TVMFFI_CUDA_RESOLVE(cuStreamCreate);
  TVMFFI_CUDA_RESOLVE(cuStreamDestroy_v2);
  TVMFFI_CUDA_RESOLVE(cuStreamSynchronize);
  TVMFFI_CUDA_RESOLVE(cuDeviceGetUuid);
  TVMFFI_CUDA_RESOLVE(cuMemGetAddressRange_v2);
  TVMFFI_CUDA_RESOLVE(cuIpcGetMemHandle);
  TVMFFI_CUDA_RESOLVE(cuIpcOpenMemHandle_v2);
  TVMFFI_CUDA_RESOLVE(cuIpcCloseMemHandle);
  TVMFFI_CUDA_RESOLVE(cuEventCreate);
  TVMFFI_CUDA_RESOLVE(cuEventRecord);
  TVMFFI_CUDA_RESOLVE(cuEventSynchronize);
  TVMFFI_CUDA_RESOLVE(cuEventElapsedTime);
  TVMFFI_CUDA_RESOLVE(cuEventDestroy_v2);
#undef TVMFFI_CUDA_RESOLVE
  if (!missing.empty()) {
    return Unavailable(absl::StrCat(path, " has no ", missing, " (a driver older than CUDA 11?)"));
  }
  int version = 0;
  if (d->cuDriverGetVersion(&version) != CUDA_SUCCESS || version < kMinDriverVersion) {
    return Unavailable(absl::StrCat("the driver supports CUDA ", version / 1000, ".",
                                    (version % 1000) / 10, "; at least ", kMinDriverVersion / 1000,
                                    ".0 is needed"));
  }
  if (CUresult r = d->cuInit(0); r != CUDA_SUCCESS) {
    return Unavailable(DescribeError(*d, "cuInit", r));
  }
  close_on_failure.lib = nullptr;
  return static_cast<const Driver*>(d.release());
}

}  // namespace

const absl::StatusOr<const Driver*>& LoadDriver() {
  static const auto* driver = new absl::StatusOr<const Driver*>(Load());
  return *driver;
}

std::string DescribeError(const Driver& driver, const char* call, CUresult result) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (driver.cuGetErrorName(result, &name) != CUDA_SUCCESS || name == nullptr) name = "?";
  if (driver.cuGetErrorString(result, &text) != CUDA_SUCCESS || text == nullptr) text = "";
  return absl::StrCat(call, " failed: ", name, " (", text, "), error ", result);
}

}  // namespace tvmffi::device::cuda
