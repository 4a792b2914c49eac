/*
 * tvmffi-rpc runtime: the byte order of this machine and of serialized data.
 *   TVM_FFI_LITTLE_ENDIAN        1 on a little-endian machine (CMake may set it through
 *                                TVM_FFI_CMAKE_LITTLE_ENDIAN; else the compiler tells us)
 *   TVM_FFI_IO_USE_LITTLE_ENDIAN 1: serialized data is little-endian (the default)
 *   TVM_FFI_IO_NO_ENDIAN_SWAP    1 when the two agree and bytes go out as they are
 * and ByteSwap, which reverses the bytes of each element in place.
 */
#ifndef TVM_FFI_ENDIAN_H_
#define TVM_FFI_ENDIAN_H_

#include <cstddef>
#include <cstdint>

#ifndef TVM_FFI_IO_USE_LITTLE_ENDIAN
#define TVM_FFI_IO_USE_LITTLE_ENDIAN 1
#endif

#if defined(TVM_FFI_CMAKE_LITTLE_ENDIAN)
#define TVM_FFI_LITTLE_ENDIAN TVM_FFI_CMAKE_LITTLE_ENDIAN
#elif defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
// GCC and Clang say it directly, on every target they build for.
#define TVM_FFI_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#elif defined(_WIN32) || defined(__APPLE__) || defined(__EMSCRIPTEN__)
#define TVM_FFI_LITTLE_ENDIAN 1
#elif defined(__GLIBC__) || defined(__ANDROID__)
#include <endian.h>
#define TVM_FFI_LITTLE_ENDIAN (__BYTE_ORDER == __LITTLE_ENDIAN)
#elif defined(__FreeBSD__) || defined(__OpenBSD__)
#include <sys/endian.h>
#define TVM_FFI_LITTLE_ENDIAN (_BYTE_ORDER == _LITTLE_ENDIAN)
#else
#error "tvm/ffi/endian.h: cannot tell this machine's byte order; define TVM_FFI_CMAKE_LITTLE_ENDIAN"
#endif

#define TVM_FFI_IO_NO_ENDIAN_SWAP (TVM_FFI_LITTLE_ENDIAN == TVM_FFI_IO_USE_LITTLE_ENDIAN)

namespace tvm {
namespace ffi {

/*!
 * \brief Reverses the bytes of each of `num_elems` elements of `elem_bytes` bytes at `data`.
 *        Pass a constant `elem_bytes` where you can: the loop then unrolls.
 */
inline void ByteSwap(void* data, size_t elem_bytes, size_t num_elems) {
  uint8_t* bytes = static_cast<uint8_t*>(data);
  for (size_t e = 0; e < num_elems; ++e, bytes += elem_bytes) {
    for (size_t lo = 0, hi = elem_bytes; lo + 1 < hi; ++lo, --hi) {
      uint8_t tmp = bytes[lo];
      bytes[lo] = bytes[hi - 1];
      bytes[hi - 1] = tmp;
    }
  }
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_ENDIAN_H_
