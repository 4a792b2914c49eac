// Test helpers for tensors: host memory from malloc, and the dtype names every DLPack code has.
#ifndef TVMFFI_TESTS_TESTING_HOST_TENSOR_H_
#define TVMFFI_TESTS_TESTING_HOST_TENSOR_H_

#include <tvm/ffi/container/tensor.h>

#include <cstdlib>

namespace tvmffi::rpc::testing {

// An NDAlloc over malloc/free.
struct HostAlloc {
  void AllocData(DLTensor* t) { t->data = std::malloc(tvm::ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { std::free(t->data); }
};

// A CPU tensor of the given shape and dtype, contents unset.
inline tvm::ffi::Tensor HostTensor(tvm::ffi::Shape shape, DLDataType dtype) {
  return tvm::ffi::Tensor::FromNDAlloc(HostAlloc{}, shape, dtype, DLDevice{kDLCPU, 0});
}

// One name per DLPack dtype code (plus lanes and the scalable form), canonical spelling.
inline constexpr const char* kDTypeNames[] = {"int8",
                                              "int32",
                                              "int64x2",
                                              "uint1",
                                              "uint16",
                                              "float16",
                                              "float32x4",
                                              "float64",
                                              "bfloat16",
                                              "bool",
                                              "boolx4",
                                              "handle",
                                              "complex64",
                                              "float8_e3m4",
                                              "float8_e4m3",
                                              "float8_e4m3b11fnuz",
                                              "float8_e4m3fn",
                                              "float8_e4m3fnuz",
                                              "float8_e5m2",
                                              "float8_e5m2fnuz",
                                              "float8_e8m0fnu",
                                              "float6_e2m3fn",
                                              "float6_e3m2fn",
                                              "float4_e2m1fn",
                                              "float8_e4m3fnx2",
                                              "int32xvscalex4"};

}  // namespace tvmffi::rpc::testing

#endif  // TVMFFI_TESTS_TESTING_HOST_TENSOR_H_
