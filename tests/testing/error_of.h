// "Kind: message" of the ffi::Error f throws, or "(no error)": a one-line assertion target.
#ifndef TVMFFI_TESTS_TESTING_ERROR_OF_H_
#define TVMFFI_TESTS_TESTING_ERROR_OF_H_

#include <tvm/ffi/error.h>

#include <functional>
#include <string>

namespace tvmffi::rpc::testing {

inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const tvm::ffi::Error& e) {
    return e.kind() + ": " + e.message();
  }
  return "(no error)";
}

}  // namespace tvmffi::rpc::testing

#endif  // TVMFFI_TESTS_TESTING_ERROR_OF_H_
