// The functions a module library exports (its `__tvm_ffi_<name>` symbols), read from the file's
// dynamic symbol table, so `tvmffi ls --module M` can list them: the runtime's module interface
// looks functions up by name but cannot enumerate them.
#ifndef TVMFFI_SERVER_SRC_ELF_SYMBOLS_H_
#define TVMFFI_SERVER_SRC_ELF_SYMBOLS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tvmffi::rpc::internal {

// The <name>s of the defined function symbols `__tvm_ffi_<name>` of a 64-bit little-endian ELF
// image (the runtime's own `__tvm_ffi__...` symbols left out), sorted. INVALID_ARGUMENT for
// bytes that are not such an image or whose tables lie outside it.
absl::StatusOr<std::vector<std::string>> ExportedFunctionNames(std::string_view image);

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_ELF_SYMBOLS_H_
