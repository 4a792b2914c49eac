// Comparing secrets a peer sends (the bearer token, the data channel's ticket).
#ifndef TVMFFI_PROTO_SECRET_H_
#define TVMFFI_PROTO_SECRET_H_

#include <cstddef>
#include <string_view>

namespace tvmffi::rpc {

// True when a and b are equal. Every byte is compared whatever the first difference (memcmp
// stops there), so the time a refusal takes tells a guesser nothing about how much was right.
// Only the length may show.
inline bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;  // volatile: no early exit may be compiled in
  for (size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

}  // namespace tvmffi::rpc

#endif  // TVMFFI_PROTO_SECRET_H_
