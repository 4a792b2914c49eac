// A stand-in for the few CUDA runtime and driver calls the extra/cuda headers make, so those
// headers compile and their logic runs on a machine without the CUDA toolkit. It records what
// it is asked and answers from `standin::state`, which a test sets up. Only for tests.
#ifndef TVMFFI_TESTS_CUDA_STANDIN_STATE_H_
#define TVMFFI_TESTS_CUDA_STANDIN_STATE_H_

#include <cstddef>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

struct CUlib_st {
  const void* image;
};
struct CUkern_st {
  std::string name;
};
struct CUstream_st {
  int id;
};

namespace standin {
struct Launch {
  const void* kernel = nullptr;
  unsigned grid[3] = {0, 0, 0};
  unsigned block[3] = {0, 0, 0};
  size_t smem = 0;
  void* stream = nullptr;
  void** args = nullptr;
  unsigned cluster_x = 0;  // 0: no cluster attribute
  int launches = 0;
};
struct State {
  int device_count = 2;
  int current_device = 0;
  int set_device_calls = 0;
  std::set<std::string> kernel_names{"add_one"};
  int libraries_loaded = 0;
  int libraries_unloaded = 0;
  std::vector<CUlib_st*> libraries;
  std::vector<CUkern_st*> kernels;
  int device_max_smem = 48 * 1024;
  int kernel_static_smem = 1024;
  std::set<int> devices_refusing_smem;  // SetKernelMaxDynamicSharedMem fails there
  std::map<int, int> max_dynamic_smem;  // device -> the value set
  Launch last;
  void Reset() {
    for (CUlib_st* l : libraries) delete l;
    for (CUkern_st* k : kernels) delete k;
    *this = State();
  }
};
inline State state;

// 0: ok; else the error code a call fails with.
inline int LoadLibrary(CUlib_st** out, const void* image) {
  if (image == nullptr) return 1;
  *out = new CUlib_st{image};
  state.libraries.push_back(*out);
  ++state.libraries_loaded;
  return 0;
}
inline int GetKernel(CUkern_st** out, CUlib_st* lib, const char* name) {
  if (lib == nullptr || state.kernel_names.count(name) == 0) return 500;
  *out = new CUkern_st{name};
  state.kernels.push_back(*out);
  return 0;
}
inline void Record(const void* kernel, const unsigned grid[3], const unsigned block[3], size_t smem,
                   void* stream, void** args, unsigned cluster_x) {
  state.last.kernel = kernel;
  std::memcpy(state.last.grid, grid, sizeof(state.last.grid));
  std::memcpy(state.last.block, block, sizeof(state.last.block));
  state.last.smem = smem;
  state.last.stream = stream;
  state.last.args = args;
  state.last.cluster_x = cluster_x;
  ++state.last.launches;
}
}  // namespace standin

#endif  // TVMFFI_TESTS_CUDA_STANDIN_STATE_H_
