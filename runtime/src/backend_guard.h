// Guards for "backend noexcept" C functions (no error code to return): an exception escaping
// them is printed and ends the process, as upstream does.
#ifndef TVMFFI_RUNTIME_SRC_BACKEND_GUARD_H_
#define TVMFFI_RUNTIME_SRC_BACKEND_GUARD_H_

#include <tvm/ffi/error.h>

#include <cstdio>
#include <cstdlib>

#define TVMFFI_BACKEND_NOEXCEPT_BEGIN() \
  try {                                 \
  (void)0

#define TVMFFI_BACKEND_NOEXCEPT_END(FuncName)                               \
  }                                                                         \
  catch (const ::tvm::ffi::Error& err) {                                    \
    std::fprintf(stderr, "%s: %s\n", #FuncName, err.FullMessage().c_str()); \
    std::exit(-1);                                                          \
  }                                                                         \
  catch (const std::exception& ex) {                                        \
    std::fprintf(stderr, "%s: %s\n", #FuncName, ex.what());                 \
    std::exit(-1);                                                          \
  }                                                                         \
  TVM_FFI_UNREACHABLE()

#endif  // TVMFFI_RUNTIME_SRC_BACKEND_GUARD_H_
