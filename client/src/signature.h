// A function's signature, readable, from the metadata its registration carries
// ({"type_schema": "{\"type\":\"ffi.Function\",\"args\":[<ret>, <arg0>, ...]}"}).
#ifndef TVMFFI_CLIENT_SRC_SIGNATURE_H_
#define TVMFFI_CLIENT_SRC_SIGNATURE_H_

#include <string>
#include <string_view>

namespace tvmffi::rpc::internal {

// "(int, Tensor) -> Array<int>" (the "ffi." of type keys left out); "" when the metadata has no
// function schema or is not JSON.
std::string SignatureFromMetadata(std::string_view metadata_json);

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_CLIENT_SRC_SIGNATURE_H_
