/*
 * tvmffi-rpc runtime: compiler helpers, static initialisation and stable hashing shared by
 * every header.
 */
#ifndef TVM_FFI_BASE_DETAILS_H_
#define TVM_FFI_BASE_DETAILS_H_

#include <tvm/ffi/c_api.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(_MSC_VER)
#define TVM_FFI_INLINE [[msvc::forceinline]] inline
#define TVM_FFI_NO_INLINE __declspec(noinline)
#define TVM_FFI_FUNC_SIG __FUNCSIG__
#define TVM_FFI_UNREACHABLE() __assume(false)
#else
#define TVM_FFI_INLINE inline __attribute__((always_inline))
#define TVM_FFI_NO_INLINE __attribute__((noinline))
#define TVM_FFI_FUNC_SIG __PRETTY_FUNCTION__
#define TVM_FFI_UNREACHABLE() __builtin_unreachable()
#endif

#define TVM_FFI_STR_CONCAT_(a, b) a##b
#define TVM_FFI_STR_CONCAT(a, b) TVM_FFI_STR_CONCAT_(a, b)

#if defined(__GNUC__) || defined(__clang__)
#define TVM_FFI_COLD_CODE __attribute__((cold))
#define TVM_FFI_PREDICT_TRUE(x) (__builtin_expect(static_cast<bool>(x), 1))
#define TVM_FFI_PREDICT_FALSE(x) (__builtin_expect(static_cast<bool>(x), 0))
// Tells the optimizer cond holds (undefined behaviour when it does not).
#define TVM_FFI_UNSAFE_ASSUME(cond)       \
  do {                                    \
    if (!(cond)) __builtin_unreachable(); \
  } while (0)
#define TVM_FFI_LIKELY(x) __builtin_expect(!!(x), 1)
#define TVM_FFI_UNLIKELY(x) __builtin_expect(!!(x), 0)
// A file-local function run when the library (or executable) holding it is loaded.
#define TVM_FFI_STATIC_INIT_BLOCK_DEF_(FnName) __attribute__((constructor)) static void FnName()
#else
#define TVM_FFI_COLD_CODE
#define TVM_FFI_PREDICT_TRUE(x) (x)
#define TVM_FFI_PREDICT_FALSE(x) (x)
#define TVM_FFI_UNSAFE_ASSUME(cond) __assume(cond)
#define TVM_FFI_LIKELY(x) (x)
#define TVM_FFI_UNLIKELY(x) (x)
#define TVM_FFI_STATIC_INIT_BLOCK_DEF_(FnName)                                         \
  static void FnName();                                                                \
  [[maybe_unused]] static inline int TVM_FFI_STR_CONCAT(FnName, _reg) = (FnName(), 0); \
  static void FnName()
#endif

/*!
 * \brief Runs the block below once, at load time of the library or program that holds it.
 *        Used to register global functions and types: `TVM_FFI_STATIC_INIT_BLOCK() { ... }`.
 */
#define TVM_FFI_STATIC_INIT_BLOCK() \
  TVM_FFI_STATIC_INIT_BLOCK_DEF_(TVM_FFI_STR_CONCAT(__TVMFFIStaticInitFunc, __COUNTER__))

#define TVM_FFI_DEFINE_DEFAULT_COPY_MOVE_AND_ASSIGN(TypeName) \
  TypeName(const TypeName& other) = default;                  \
  TypeName(TypeName&& other) = default;                       \
  TypeName& operator=(const TypeName& other) = default;       \
  TypeName& operator=(TypeName&& other) = default;

namespace tvm {
namespace ffi {
namespace details {

// Hash combination shared with upstream so hashed containers agree across libraries.
TVM_FFI_INLINE uint64_t StableHashCombine(uint64_t key, uint64_t value) {
  return key ^ (value + 0x9e3779b9 + (key << 6) + (key >> 2));
}

// Content hash of a byte string: 8-byte little-endian chunks folded modulo a prime.
TVM_FFI_INLINE uint64_t StableHashBytes(const void* data_ptr, size_t size) {
  const char* data = static_cast<const char*>(data_ptr);
  constexpr uint64_t kMultiplier = 1099511628211ULL;
  constexpr uint64_t kMod = 2147483647ULL;
  uint64_t result = 0;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, data + i, 8);
    result = (result * kMultiplier + chunk) % kMod;
  }
  if (i < size) {
    uint64_t chunk = 0;
    std::memcpy(&chunk, data + i, size - i);
    result = (result * kMultiplier + chunk) % kMod;
  }
  return result;
}

}  // namespace details
}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_BASE_DETAILS_H_
