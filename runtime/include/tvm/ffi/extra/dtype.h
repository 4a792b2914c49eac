/*
 * tvmffi-rpc runtime: tvm_ffi::dtype_trait<T>::value, the DLPack dtype of a C++ element type,
 * for kernels that check a tensor's dtype against their template argument. Covers the
 * built-in integers, float, double and bool, and the half, bfloat16, fp8 and fp4 types of
 * CUDA and HIP (declared here, so no GPU header is needed to name them). A type without a
 * dtype has no `value`: using it does not compile.
 */
#ifndef TVM_FFI_EXTRA_DTYPE_H_
#define TVM_FFI_EXTRA_DTYPE_H_

#include <dlpack/dlpack.h>

#include <cstdint>
#include <type_traits>

// CUDA and HIP
struct __half;
// CUDA
struct __nv_bfloat16;
struct __nv_fp8_e4m3;
struct __nv_fp8_e5m2;
struct __nv_fp8_e8m0;
struct __nv_fp4_e2m1;
struct __nv_fp4x2_e2m1;
// HIP
struct __hip_bfloat16;
struct hip_bfloat16;
struct __hip_fp8_e4m3;
struct __hip_fp8_e4m3_fnuz;
struct __hip_fp8_e5m2;
struct __hip_fp8_e5m2_fnuz;
struct __hip_fp4_e2m1;
struct __hip_fp4x2_e2m1;

namespace tvm_ffi {

/*! \brief The DLPack dtype of T, as `value`; only specializations have one. */
template <typename T>
struct dtype_trait {};

namespace details::dtypes {
/*! \brief A trait whose value is {code, bits, lanes}. */
template <uint8_t kCode, uint8_t kBits, uint16_t kLanes = 1>
struct fixed {
  static constexpr DLDataType value = {kCode, kBits, kLanes};
};
template <typename T>
using integer = fixed<std::is_signed_v<T> ? kDLInt : kDLUInt, sizeof(T) * 8>;
template <typename T>
using floating = fixed<kDLFloat, sizeof(T) * 8>;
}  // namespace details::dtypes

// clang-format off
template <> struct dtype_trait<signed char> : details::dtypes::integer<signed char> {};
template <> struct dtype_trait<unsigned char> : details::dtypes::integer<unsigned char> {};
template <> struct dtype_trait<short> : details::dtypes::integer<short> {};
template <> struct dtype_trait<unsigned short> : details::dtypes::integer<unsigned short> {};
template <> struct dtype_trait<int> : details::dtypes::integer<int> {};
template <> struct dtype_trait<unsigned int> : details::dtypes::integer<unsigned int> {};
template <> struct dtype_trait<long> : details::dtypes::integer<long> {};
template <> struct dtype_trait<unsigned long> : details::dtypes::integer<unsigned long> {};
template <> struct dtype_trait<long long> : details::dtypes::integer<long long> {};
template <> struct dtype_trait<unsigned long long> : details::dtypes::integer<unsigned long long> {};
template <> struct dtype_trait<float> : details::dtypes::floating<float> {};
template <> struct dtype_trait<double> : details::dtypes::floating<double> {};
template <> struct dtype_trait<bool> : details::dtypes::fixed<kDLBool, 8> {};

template <> struct dtype_trait<__half> : details::dtypes::fixed<kDLFloat, 16> {};
template <> struct dtype_trait<__nv_bfloat16> : details::dtypes::fixed<kDLBfloat, 16> {};
template <> struct dtype_trait<__nv_fp8_e4m3> : details::dtypes::fixed<kDLFloat8_e4m3fn, 8> {};
template <> struct dtype_trait<__nv_fp8_e5m2> : details::dtypes::fixed<kDLFloat8_e5m2, 8> {};
template <> struct dtype_trait<__nv_fp8_e8m0> : details::dtypes::fixed<kDLFloat8_e8m0fnu, 8> {};
template <> struct dtype_trait<__nv_fp4_e2m1> : details::dtypes::fixed<kDLFloat4_e2m1fn, 4> {};
template <> struct dtype_trait<__nv_fp4x2_e2m1> : details::dtypes::fixed<kDLFloat4_e2m1fn, 4, 2> {};

template <> struct dtype_trait<__hip_bfloat16> : details::dtypes::fixed<kDLBfloat, 16> {};
template <> struct dtype_trait<hip_bfloat16> : details::dtypes::fixed<kDLBfloat, 16> {};
template <> struct dtype_trait<__hip_fp8_e4m3> : details::dtypes::fixed<kDLFloat8_e4m3fn, 8> {};
template <> struct dtype_trait<__hip_fp8_e4m3_fnuz> : details::dtypes::fixed<kDLFloat8_e4m3fnuz, 8> {};
template <> struct dtype_trait<__hip_fp8_e5m2> : details::dtypes::fixed<kDLFloat8_e5m2, 8> {};
template <> struct dtype_trait<__hip_fp8_e5m2_fnuz> : details::dtypes::fixed<kDLFloat8_e5m2fnuz, 8> {};
template <> struct dtype_trait<__hip_fp4_e2m1> : details::dtypes::fixed<kDLFloat4_e2m1fn, 4> {};
template <> struct dtype_trait<__hip_fp4x2_e2m1> : details::dtypes::fixed<kDLFloat4_e2m1fn, 4, 2> {};
// clang-format on

}  // namespace tvm_ffi

#endif  // TVM_FFI_EXTRA_DTYPE_H_
