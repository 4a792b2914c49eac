/*
 * tvmffi-rpc runtime: base64 (RFC 4648 alphabet, '=' padding), as JSON graphs carry bytes.
 * Decoding checks its input: a length that is not a multiple of four, a character outside the
 * alphabet, or padding anywhere but the end is a ValueError.
 */
#ifndef TVM_FFI_EXTRA_BASE64_H_
#define TVM_FFI_EXTRA_BASE64_H_

#include <tvm/ffi/error.h>
#include <tvm/ffi/string.h>

#include <cstdint>
#include <string>

namespace tvm {
namespace ffi {
namespace details {
inline constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/*! \brief The 6-bit value of a base64 character, -1 for any other character. */
inline int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace details

/*! \brief The base64 text of `bytes`. */
inline String Base64Encode(TVMFFIByteArray bytes) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data);
  std::string out;
  out.reserve((bytes.size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size; i += 3) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) {
      out.push_back(details::kBase64Alphabet[(v >> shift) & 63]);
    }
  }
  size_t rest = bytes.size - i;
  if (rest > 0) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
    out.push_back(details::kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(details::kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? details::kBase64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return String(std::move(out));
}

/*! \brief The base64 text of `data`. */
inline String Base64Encode(const Bytes& data) {
  return Base64Encode(TVMFFIByteArray{data.data(), data.size()});
}

/*! \brief The bytes base64 `text` stands for; a ValueError when it is not base64. */
inline Bytes Base64Decode(TVMFFIByteArray text) {
  if (text.size % 4 != 0) {
    TVM_FFI_THROW(ValueError) << "invalid base64: " << text.size
                              << " characters, not a multiple of 4";
  }
  std::string out;
  out.reserve(text.size / 4 * 3);
  for (size_t i = 0; i < text.size; i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      auto c = static_cast<unsigned char>(text.data[i + k]);
      // '=' may fill the last one or two places of the last group only
      if (c == '=' && i + 4 == text.size && k >= 2 && (k == 3 || text.data[i + 3] == '=')) {
        ++pad;
        v <<= 6;
        continue;
      }
      int value = details::Base64Value(c);
      if (value < 0 || pad > 0) {
        TVM_FFI_THROW(ValueError) << "invalid base64: unexpected character at offset " << (i + k);
      }
      v = (v << 6) | static_cast<uint32_t>(value);
    }
    out.push_back(static_cast<char>((v >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return Bytes(std::move(out));
}

/*! \brief The bytes base64 `text` stands for; a ValueError when it is not base64. */
inline Bytes Base64Decode(const String& text) {
  return Base64Decode(TVMFFIByteArray{text.data(), text.size()});
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_EXTRA_BASE64_H_
