// A shared check for tensors that live on a server: host tensors of every dtype and of the
// edge-case shapes (0-d, empty, the given large sizes) and a transposed (strided) source are
// copied into a tensor on `device` and back (ToHost, and CopyTo into an existing tensor,
// compact and transposed), and must return unchanged. Used on the CPU device
// (tests/client), the stand-in CUDA driver and a real GPU (tests/gpu).
#ifndef TVMFFI_TESTS_TESTING_REMOTE_COPIES_H_
#define TVMFFI_TESTS_TESTING_REMOTE_COPIES_H_

#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstring>
#include <string>
#include <vector>

#include "testing/host_tensor.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc::testing {

inline void ExpectRoundTrip(Session& session, DLDevice device, const tvm::ffi::Tensor& host,
                            const std::string& what) {
  namespace ffi = tvm::ffi;
  SCOPED_TRACE(what);
  std::vector<int64_t> shape(host.shape().begin(), host.shape().end());
  RemoteTensor t = session.Empty(ffi::Shape(shape), host.dtype(), device);
  ASSERT_EQ(t.device().device_type, device.device_type);
  t.CopyFrom(host);
  ffi::Tensor back = t.ToHost();
  ASSERT_EQ(back.GetDataSize(), host.GetDataSize());
  EXPECT_EQ(back.device().device_type, kDLCPU);
  EXPECT_EQ(ffi::DLDataTypeToString(back.dtype()), ffi::DLDataTypeToString(host.dtype()));
  EXPECT_EQ(std::vector<int64_t>(back.shape().begin(), back.shape().end()), shape);
  if (host.GetDataSize() != 0) {
    EXPECT_EQ(std::memcmp(back.data_ptr(), host.data_ptr(), host.GetDataSize()), 0);
  }
  // CopyTo writes into an existing tensor, every byte of it.
  ffi::Tensor into = HostTensor(ffi::Shape(shape), host.dtype());
  if (into.GetDataSize() != 0) std::memset(into.data_ptr(), 0xA5, into.GetDataSize());
  t.CopyTo(into);
  if (host.GetDataSize() != 0) {
    EXPECT_EQ(std::memcmp(into.data_ptr(), host.data_ptr(), host.GetDataSize()), 0);
  }
}

// Returns the remote tensor the strided copy went into (for further checks on it).
inline RemoteTensor ExpectEveryDtypeAndShapeRoundTrips(Session& session, DLDevice device,
                                                       const std::vector<int64_t>& large_sizes) {
  namespace ffi = tvm::ffi;
  constexpr DLDataType kF32{kDLFloat, 32, 1};
  constexpr DLDataType kU8{kDLUInt, 8, 1};
  for (const char* name : kDTypeNames) {
    DLDataType dtype = ffi::StringToDLDataType(name);
    if (dtype.code == kDLOpaqueHandle) continue;  // no bytes to copy
    ffi::Tensor t = HostTensor(ffi::Shape({3, 5}), dtype);
    for (size_t i = 0; i < t.GetDataSize(); ++i) static_cast<uint8_t*>(t.data_ptr())[i] = i * 7;
    ExpectRoundTrip(session, device, t, name);
  }
  ffi::Tensor scalar = HostTensor(ffi::Shape(std::vector<int64_t>{}), kF32);
  *static_cast<float*>(scalar.data_ptr()) = 2.5f;
  ExpectRoundTrip(session, device, scalar, "0-d");
  ExpectRoundTrip(session, device, HostTensor(ffi::Shape({0, 3}), kF32), "empty");
  for (int64_t bytes : large_sizes) {
    ffi::Tensor large = HostTensor(ffi::Shape({bytes}), kU8);
    auto* data = static_cast<uint8_t*>(large.data_ptr());
    for (int64_t i = 0; i < bytes; ++i) data[i] = static_cast<uint8_t>(i * 11 % 253);
    ExpectRoundTrip(session, device, large, std::to_string(bytes) + " bytes");
  }
  // A transposed view: element [i][j] of the [33][64] view is base[j][i] of a [64][33] block.
  ffi::Tensor block = HostTensor(ffi::Shape({64, 33}), kF32);
  auto* values = static_cast<float*>(block.data_ptr());
  for (int i = 0; i < 64 * 33; ++i) values[i] = static_cast<float>(i);
  int64_t shape[2] = {33, 64}, strides[2] = {1, 33};
  DLTensor view{values, DLDevice{kDLCPU, 0}, 2, kF32, shape, strides, 0};
  RemoteTensor t = session.Empty(ffi::Shape({33, 64}), kF32, device);
  t.CopyFrom(&view);
  ffi::Tensor back = t.ToHost();
  int wrong = 0;
  for (int i = 0; i < 33; ++i) {
    for (int j = 0; j < 64; ++j) {
      wrong += static_cast<const float*>(back.data_ptr())[i * 64 + j] != values[j * 33 + i];
    }
  }
  EXPECT_EQ(wrong, 0);
  // ... and back into a transposed destination, in a block with a guard row after it.
  ffi::Tensor dest_block = HostTensor(ffi::Shape({65, 33}), kF32);
  auto* dest = static_cast<float*>(dest_block.data_ptr());
  for (int i = 0; i < 65 * 33; ++i) dest[i] = -1.0f;
  DLTensor dest_view{dest, DLDevice{kDLCPU, 0}, 2, kF32, shape, strides, 0};
  t.CopyTo(&dest_view);
  int wrong_into = 0;
  for (int i = 0; i < 64 * 33; ++i) wrong_into += dest[i] != values[i];
  for (int i = 64 * 33; i < 65 * 33; ++i) wrong_into += dest[i] != -1.0f;  // untouched
  EXPECT_EQ(wrong_into, 0);
  return t;
}

}  // namespace tvmffi::rpc::testing

#endif  // TVMFFI_TESTS_TESTING_REMOTE_COPIES_H_
