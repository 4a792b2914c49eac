// JSON for the command line: arguments are JSON literals turned into FFI values; results are
// FFI values printed as JSON.
#ifndef TVMFFI_TOOLS_SRC_JSON_H_
#define TVMFFI_TOOLS_SRC_JSON_H_

#include <tvm/ffi/any.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tvmffi::rpc::tools {

// One JSON value, read by the runtime's json::Parse: numbers without '.', 'e' or 'E' are ints,
// others floats; strings are ffi::String; arrays are Array<Any>; objects are Map<Any, Any> with
// String keys. Malformed text is a ValueError saying what was expected where.
absl::StatusOr<tvm::ffi::Any> ParseJson(std::string_view text);

// The value as JSON, numbers and strings spelled as the runtime's json::Stringify spells them
// (0.1, 1e+22, NaN, Infinity; UTF-8 as it is). Values JSON cannot express are shown as strings
// ("<ffi.Function>") or objects ({"dtype": "float32"}, {"tensor": {...}}). A tensor shows its
// dtype, shape and device, and its values when it is small (at most 64 elements of a bool,
// int, uint or 32/64-bit float dtype, in host memory): {"tensor": {"dtype": "float32",
// "shape": [2], "device": "cpu:0", "values": [0.5, 1.5]}}.
std::string ToJson(const tvm::ffi::Any& value);

}  // namespace tvmffi::rpc::tools

#endif  // TVMFFI_TOOLS_SRC_JSON_H_
