// Tensors and DLPack: round trips (legacy and versioned, strided, 0-d, every dtype code), deleter
// counts, alignment/contiguity checks, views, allocators.
#include <gtest/gtest.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdlib>
#include <cstring>
#include <vector>
#include "testing/host_tensor.h"

namespace {
using namespace tvm::ffi;

// A producer-owned buffer exported through DLPack; counts deleter calls.
template <typename TManaged>
struct Producer {
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  std::vector<char> storage;
  TManaged managed{};
  int* deletions;

  static void Delete(TManaged* self) {
    auto* p = static_cast<Producer*>(self->manager_ctx);
    ++*p->deletions;
    delete p;
  }

  static TManaged* Make(std::vector<int64_t> shape, DLDataType dtype, int* deletions,
                        std::vector<int64_t> strides = {}, uint64_t byte_offset = 0) {
    auto* p = new Producer();
    p->shape = std::move(shape);
    p->strides = std::move(strides);
    p->deletions = deletions;
    int64_t n = 1;
    for (int64_t d : p->shape) n *= d;
    p->storage.assign(static_cast<size_t>(n * ((dtype.bits * dtype.lanes + 7) / 8) + 64), 0);
    DLTensor& t = p->managed.dl_tensor;
    t.data = p->storage.data();
    t.device = DLDevice{kDLCPU, 0};
    t.ndim = static_cast<int32_t>(p->shape.size());
    t.dtype = dtype;
    t.shape = p->shape.data();
    t.strides = p->strides.empty() ? nullptr : p->strides.data();
    t.byte_offset = byte_offset;
    p->managed.manager_ctx = p;
    p->managed.deleter = Delete;
    if constexpr (std::is_same_v<TManaged, DLManagedTensorVersioned>) {
      p->managed.version = DLPackVersion{1, 0};
    }
    return &p->managed;
  }
};

TEST(Tensor, FromDLPackLegacyKeepsProducerUntilReleased) {
  int deletions = 0;
  DLManagedTensor* m =
      Producer<DLManagedTensor>::Make({2, 3}, DLDataType{kDLFloat, 32, 1}, &deletions);
  {
    Tensor t = Tensor::FromDLPack(m);
    EXPECT_EQ(t.ndim(), 2);
    EXPECT_EQ(t.shape()[1], 3);
    ASSERT_EQ(t.strides().size(), 2u);  // materialised from the shape
    EXPECT_EQ(t.stride(0), 3);
    EXPECT_EQ(t.stride(1), 1);
    EXPECT_EQ(t.numel(), 6);
    EXPECT_EQ(t.GetDataSize(), 24u);
    EXPECT_TRUE(t.IsContiguous());
    // The DLTensor sits right after the object header.
    EXPECT_EQ(reinterpret_cast<char*>(t.GetDLTensorPtr()) -
                  reinterpret_cast<char*>(details::ObjectUnsafe::RawObjectPtrFromObjectRef(t)),
              24);
    Any a = t;
    EXPECT_EQ(a.type_index(), kTVMFFITensor);
    EXPECT_EQ(a.cast<DLTensor*>()->ndim, 2);
    EXPECT_EQ(deletions, 0);
  }
  EXPECT_EQ(deletions, 1);
}

TEST(Tensor, RoundTripEveryDtypeCode) {
  for (const char* name : tvmffi::rpc::testing::kDTypeNames) {
    int deletions = 0;
    DLDataType dtype = StringToDLDataType(name);
    if (dtype.lanes > 64) continue;  // the scalable-vector form has no fixed size
    auto* m = Producer<DLManagedTensorVersioned>::Make({4}, dtype, &deletions);
    void* data = m->dl_tensor.data;
    {
      Tensor t = Tensor::FromDLPackVersioned(m);
      DLManagedTensorVersioned* out = t.ToDLPackVersioned();
      EXPECT_EQ(out->version.major, static_cast<uint32_t>(DLPACK_MAJOR_VERSION));
      EXPECT_EQ(out->dl_tensor.data, data) << name;
      EXPECT_EQ(out->dl_tensor.dtype, dtype) << name;
      Tensor back = Tensor::FromDLPackVersioned(out);
      EXPECT_EQ(back.dtype(), dtype) << name;
      EXPECT_EQ(back.data_ptr(), data);
      t = Tensor();
      EXPECT_EQ(deletions, 0) << name;
    }
    EXPECT_EQ(deletions, 1) << name;
  }
}

TEST(Tensor, StridedAndZeroDim) {
  int deletions = 0;
  // A transposed 3x2 view of a 2x3 buffer.
  auto* m = Producer<DLManagedTensor>::Make({3, 2}, DLDataType{kDLInt, 32, 1}, &deletions, {1, 3});
  Tensor t = Tensor::FromDLPack(m);
  EXPECT_FALSE(t.IsContiguous());
  EXPECT_EQ(t.stride(0), 1);
  EXPECT_EQ(t.stride(1), 3);
  auto* strided =
      Producer<DLManagedTensor>::Make({3, 2}, DLDataType{kDLInt, 32, 1}, &deletions, {1, 3});
  try {
    Tensor::FromDLPack(strided, 0, /*require_contiguous=*/true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "RuntimeError");
    EXPECT_EQ(e.message(), "FromDLPack: Tensor is not contiguous.");
  }
  strided->deleter(strided);  // a failed import leaves ownership with the producer
  auto* scalar = Producer<DLManagedTensor>::Make({}, DLDataType{kDLFloat, 64, 1}, &deletions);
  Tensor s = Tensor::FromDLPack(scalar);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.numel(), 1);
  DLManagedTensor* out = s.ToDLPack();
  EXPECT_EQ(out->dl_tensor.ndim, 0);
  out->deleter(out);
}

TEST(Tensor, AlignmentCheck) {
  int deletions = 0;
  auto* m = Producer<DLManagedTensor>::Make({4}, DLDataType{kDLFloat, 32, 1}, &deletions, {}, 1);
  try {
    Tensor::FromDLPack(m, 64);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "FromDLPack: Data is not aligned to 64 bytes.");
  }
  // A failed import leaves the tensor with its producer.
  EXPECT_EQ(deletions, 0);
  m->deleter(m);
  EXPECT_EQ(deletions, 1);
}

TEST(Tensor, AsStridedViewKeepsSourceAlive) {
  int deletions = 0;
  auto* m = Producer<DLManagedTensor>::Make({2, 3}, DLDataType{kDLFloat, 32, 1}, &deletions);
  Tensor view;
  char* data = nullptr;
  {
    Tensor t = Tensor::FromDLPack(m);
    data = static_cast<char*>(t.data_ptr());
    int64_t shape[] = {3};
    int64_t strides[] = {1};
    view = t.as_strided(ShapeView(shape, 1), ShapeView(strides, 1), int64_t{3});
  }
  EXPECT_EQ(deletions, 0);
  EXPECT_EQ(view.ndim(), 1);
  // On the CPU the offset moves the data pointer (upstream's as_strided); byte_offset stays 0.
  EXPECT_EQ(view.data_ptr(), data + 12);
  EXPECT_EQ(view.byte_offset(), 0u);
  view = Tensor();
  EXPECT_EQ(deletions, 1);
}

struct CpuAlloc {
  int* live;
  void AllocData(DLTensor* t) {
    t->data = std::malloc(GetDataSize(*t));
    ++*live;
  }
  void FreeData(DLTensor* t) {
    std::free(t->data);
    --*live;
  }
};

TEST(Tensor, FromNDAlloc) {
  int live = 0;
  {
    Tensor t = Tensor::FromNDAlloc(CpuAlloc{&live}, Shape({2, 5}), DLDataType{kDLFloat, 32, 1},
                                   DLDevice{kDLCPU, 0});
    EXPECT_EQ(live, 1);
    EXPECT_EQ(t.numel(), 10);
    EXPECT_EQ(t.stride(0), 5);
    std::memset(t.data_ptr(), 0, t.GetDataSize());
  }
  EXPECT_EQ(live, 0);
}

// Upstream's strided allocation and views: FromNDAllocStrided keeps the caller's strides (here
// a column-major 2x3), TensorView::as_strided and stride(), the ATen spellings, GetDataSize of
// a Tensor and of a view.
TEST(Tensor, FromNDAllocStridedAndViews) {
  int live = 0;
  {
    Tensor t = Tensor::FromNDAllocStrided(CpuAlloc{&live}, Shape({2, 3}), Shape({1, 2}),
                                          DLDataType{kDLInt, 32, 1}, DLDevice{kDLCPU, 0});
    EXPECT_EQ(live, 1);
    EXPECT_EQ(t.stride(0), 1);
    EXPECT_EQ(t.stride(1), 2);
    EXPECT_FALSE(t.is_contiguous());
    EXPECT_EQ(t.dim(), 2);
    EXPECT_EQ(t.sizes()[1], 3);
    EXPECT_EQ(GetDataSize(t), 24u);
    int32_t* data = static_cast<int32_t*>(t.data_ptr());
    for (int i = 0; i < 6; ++i) data[i] = i;
    TensorView view(t);
    EXPECT_EQ(view.stride(-1), 2);
    EXPECT_THROW(view.stride(2), Error);
    EXPECT_THROW(view.size(-3), Error);
    EXPECT_THROW(t.size(2), Error);
    EXPECT_THROW(t.stride(-3), Error);
    // No elements: contiguous whatever the strides.
    int64_t empty_shape[] = {4, 0, 4}, zero_strides[] = {0, 0, 0};
    EXPECT_TRUE(
        view.as_strided(ShapeView(empty_shape, 3), ShapeView(zero_strides, 3)).IsContiguous());
    // Row 1 of the column-major matrix: elements 1, 3, 5.
    int64_t shape[] = {3}, strides[] = {2};
    TensorView row = view.as_strided(ShapeView(shape, 1), ShapeView(strides, 1), 1);
    const int32_t* base = static_cast<const int32_t*>(row.data_ptr());
    EXPECT_EQ(base[0], 1);
    EXPECT_EQ(base[row.stride(0)], 3);
    EXPECT_EQ(GetDataSize(row), 12u);
    EXPECT_THROW(Tensor::FromNDAllocStrided(CpuAlloc{&live}, Shape({2, 3}), Shape({1}),
                                            DLDataType{kDLInt, 32, 1}, DLDevice{kDLCPU, 0}),
                 Error);
  }
  EXPECT_EQ(live, 0);
}

int g_env_allocs = 0;
int EnvAllocator(DLTensor* prototype, DLManagedTensorVersioned** out, void* error_ctx,
                 void (*set_error)(void*, const char*, const char*)) {
  if (prototype->device.device_type != kDLCPU) {
    set_error(error_ctx, "RuntimeError", "this allocator only does CPU");
    return -1;
  }
  std::vector<int64_t> shape(prototype->shape, prototype->shape + prototype->ndim);
  *out = Producer<DLManagedTensorVersioned>::Make(shape, prototype->dtype, &g_env_allocs);
  return 0;
}

TEST(Tensor, EnvAllocator) {
  DLPackManagedTensorAllocator old = nullptr;
  ASSERT_EQ(TVMFFIEnvSetDLPackManagedTensorAllocator(EnvAllocator, 0, &old), 0);
  EXPECT_EQ(TVMFFIEnvGetDLPackManagedTensorAllocator(), EnvAllocator);
  g_env_allocs = 0;
  {
    Tensor t = Tensor::FromEnvAlloc(TVMFFIEnvTensorAlloc, Shape({3, 4}), DLDataType{kDLInt, 8, 1},
                                    DLDevice{kDLCPU, 0});
    EXPECT_EQ(t.numel(), 12);
  }
  EXPECT_EQ(g_env_allocs, 1);  // the producer's deleter ran
  try {
    Tensor::FromEnvAlloc(TVMFFIEnvTensorAlloc, Shape({1}), DLDataType{kDLInt, 8, 1},
                         DLDevice{kDLCUDA, 0});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "RuntimeError");
    EXPECT_EQ(e.message(), "this allocator only does CPU");
  }
  ASSERT_EQ(TVMFFIEnvSetDLPackManagedTensorAllocator(old, 0, nullptr), 0);
}

TEST(Tensor, TensorViewArgument) {
  int deletions = 0;
  Tensor t = Tensor::FromDLPack(
      Producer<DLManagedTensor>::Make({2, 2}, DLDataType{kDLFloat, 32, 1}, &deletions));
  Function numel = Function::FromTyped([](TensorView v) { return v.numel(); });
  EXPECT_EQ(numel(t).cast<int>(), 4);
  DLTensor raw = *t.GetDLTensorPtr();
  EXPECT_EQ(numel(&raw).cast<int>(), 4);
}

}  // namespace
