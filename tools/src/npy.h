// NumPy's .npy files for the command line: tensor arguments read from them, results and
// arguments written to them. Format versions 1.0 to 3.0 are read, 1.0 is written; C order,
// little-endian (or byte-sized) bool, int, uint and float elements.
#ifndef TVMFFI_TOOLS_SRC_NPY_H_
#define TVMFFI_TOOLS_SRC_NPY_H_

#include <tvm/ffi/container/tensor.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tvmffi::rpc::tools {

// A CPU tensor with the file's dtype, shape and bytes. InvalidArgument, saying what is wrong,
// for anything else (not .npy, Fortran order, big-endian, object or unsupported dtypes, a
// size that does not match the shape).
absl::StatusOr<tvm::ffi::Tensor> ReadNpy(const std::string& path);

// Writes t (a compact CPU tensor) to path.
absl::Status WriteNpy(const std::string& path, const tvm::ffi::Tensor& t);

}  // namespace tvmffi::rpc::tools

#endif  // TVMFFI_TOOLS_SRC_NPY_H_
