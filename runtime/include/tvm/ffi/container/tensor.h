/*
 * tvmffi-rpc runtime: tensors. TensorObj is the object header followed by a DLTensor (at handle +
 * 24); shape and strides live in the same allocation and strides are always materialised.
 * Tensor is the owning reference, TensorView a non-owning view for kernel arguments.
 */
#ifndef TVM_FFI_CONTAINER_TENSOR_H_
#define TVM_FFI_CONTAINER_TENSOR_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/device.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace tvm {
namespace ffi {

/*! \brief Bytes needed for numel elements of dtype (sub-byte types rounded up). */
inline size_t GetDataSize(int64_t numel, DLDataType dtype) {
  return static_cast<size_t>((numel * dtype.bits * dtype.lanes + 7) / 8);
}
/*! \brief Bytes spanned by a compact tensor of arr's shape and dtype. */
inline size_t GetDataSize(const DLTensor& arr) {
  int64_t numel = 1;
  for (int i = 0; i < arr.ndim; ++i) numel *= arr.shape[i];
  return GetDataSize(numel, arr.dtype);
}
/*! \brief Whether the host may offset a pointer into the device's memory (CPU, CUDA, ROCm and
 *         their host/managed kinds); elsewhere data is a handle and byte_offset carries offsets. */
inline bool IsDirectAddressDevice(const DLDevice& device) {
  return device.device_type <= kDLCUDAHost || device.device_type == kDLCUDAManaged ||
         device.device_type == kDLROCM || device.device_type == kDLROCMHost;
}
/*! \brief Row-major compact (dimensions of extent 1 may have any stride; a tensor with no
 *         elements is, whatever its strides, as in NumPy and PyTorch). */
inline bool IsContiguous(const DLTensor& arr) {
  if (arr.strides == nullptr) return true;
  for (int i = 0; i < arr.ndim; ++i) {
    if (arr.shape[i] == 0) return true;
  }
  int64_t expected = 1;
  for (int i = arr.ndim - 1; i >= 0; --i) {
    if (arr.shape[i] == 1) continue;
    if (arr.strides[i] != expected) return false;
    expected *= arr.shape[i];
  }
  return true;
}
/*! \brief Whether data + byte_offset is a multiple of alignment. */
inline bool IsAligned(const DLTensor& arr, size_t alignment) {
  return reinterpret_cast<uintptr_t>(static_cast<char*>(arr.data) + arr.byte_offset) % alignment ==
         0;
}

/*! \brief The tensor object: header + DLTensor. */
class TensorObj : public Object, public DLTensor {
 public:
  static constexpr int32_t _type_index = TypeIndex::kTVMFFITensor;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFITensor, TensorObj, Object);

 protected:
  TensorObj() {
    data = nullptr;
    device = DLDevice{kDLCPU, 0};
    ndim = 0;
    dtype = DLDataType{0, 0, 0};
    shape = nullptr;
    strides = nullptr;
    byte_offset = 0;
  }
};

namespace details {
/*! \brief Compact row-major strides of shape. */
inline void FillCompactStrides(int32_t ndim, const int64_t* shape, int64_t* strides) {
  int64_t stride = 1;
  for (int32_t i = ndim - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= shape[i];
  }
}

// Shape and strides stored right after the concrete tensor object (2 * ndim int64s).
template <typename Derived>
inline void InitInlineShape(Derived* self, int32_t ndim, const int64_t* shape,
                            const int64_t* strides) {
  int64_t* dims = reinterpret_cast<int64_t*>(reinterpret_cast<char*>(self) + sizeof(Derived));
  self->ndim = ndim;
  self->shape = dims;
  self->strides = dims + ndim;
  for (int32_t i = 0; i < ndim; ++i) dims[i] = shape[i];
  if (strides != nullptr) {
    for (int32_t i = 0; i < ndim; ++i) dims[ndim + i] = strides[i];
  } else {
    FillCompactStrides(ndim, shape, dims + ndim);
  }
}

/*! \brief Dimension i of ndim, counted from the end when negative; IndexError out of range. */
inline int64_t DimIndex(int64_t i, int32_t ndim) {
  int64_t at = i < 0 ? i + ndim : i;
  if (at < 0 || at >= ndim) {
    TVM_FFI_THROW(IndexError) << "Index " << i << " out of bounds for tensor with " << ndim
                              << " dimensions";
  }
  return at;
}

/*! \brief A tensor whose memory comes from an allocator with AllocData/FreeData(DLTensor*). */
template <typename TNDAlloc>
class TensorObjFromNDAlloc : public TensorObj {
 public:
  template <typename... ExtraArgs>
  TensorObjFromNDAlloc(TNDAlloc alloc, ShapeView shape, DLDataType dtype, DLDevice device,
                       ExtraArgs&&... extra_args)
      : alloc_(std::move(alloc)) {
    this->dtype = dtype;
    this->device = device;
    InitInlineShape(this, static_cast<int32_t>(shape.size()), shape.data(), nullptr);
    alloc_.AllocData(static_cast<DLTensor*>(this), std::forward<ExtraArgs>(extra_args)...);
  }
  /*! \brief With explicit strides (in elements), which the caller vouches fit the memory
   *         AllocData provides. */
  template <typename... ExtraArgs>
  TensorObjFromNDAlloc(TNDAlloc alloc, ShapeView shape, ShapeView strides, DLDataType dtype,
                       DLDevice device, ExtraArgs&&... extra_args)
      : alloc_(std::move(alloc)) {
    this->dtype = dtype;
    this->device = device;
    InitInlineShape(this, static_cast<int32_t>(shape.size()), shape.data(), strides.data());
    alloc_.AllocData(static_cast<DLTensor*>(this), std::forward<ExtraArgs>(extra_args)...);
  }
  ~TensorObjFromNDAlloc() { alloc_.FreeData(static_cast<DLTensor*>(this)); }

 private:
  TNDAlloc alloc_;
};
}  // namespace details

/*! \brief Reference to a tensor (nullable). */
class Tensor : public ObjectRef {
 public:
  ShapeView shape() const { return ShapeView(get()->shape, static_cast<size_t>(get()->ndim)); }
  ShapeView strides() const {
    return ShapeView(get()->strides, get()->strides ? static_cast<size_t>(get()->ndim) : 0);
  }
  int32_t ndim() const { return get()->ndim; }
  DLDataType dtype() const { return get()->dtype; }
  DLDevice device() const { return get()->device; }
  void* data_ptr() const { return get()->data; }
  uint64_t byte_offset() const { return get()->byte_offset; }
  /*! \brief Extent and stride of dimension i (from the end when negative); IndexError out of
   *         range. */
  int64_t size(int64_t i) const { return get()->shape[details::DimIndex(i, ndim())]; }
  int64_t stride(int64_t i) const { return get()->strides[details::DimIndex(i, ndim())]; }
  int64_t numel() const { return shape().Product(); }
  size_t GetDataSize() const { return ffi::GetDataSize(numel(), dtype()); }
  bool IsContiguous() const { return ffi::IsContiguous(*get()); }
  bool IsAligned(size_t alignment) const { return ffi::IsAligned(*get(), alignment); }
  // ATen's spellings of the same.
  int32_t dim() const { return ndim(); }
  ShapeView sizes() const { return shape(); }
  bool is_contiguous() const { return IsContiguous(); }
  DLTensor* GetDLTensorPtr() const { return static_cast<DLTensor*>(const_cast<TensorObj*>(get())); }

  /*! \brief A tensor whose memory alloc.AllocData provides and alloc.FreeData releases. */
  template <typename TNDAlloc, typename... ExtraArgs>
  static Tensor FromNDAlloc(TNDAlloc alloc, ShapeView shape, DLDataType dtype, DLDevice device,
                            ExtraArgs&&... extra_args) {
    using Obj = details::TensorObjFromNDAlloc<TNDAlloc>;
    return Tensor(make_inplace_array_object<Obj, int64_t>(2 * shape.size(), std::move(alloc), shape,
                                                          dtype, device,
                                                          std::forward<ExtraArgs>(extra_args)...));
  }
  /*! \brief As FromNDAlloc, with strides (in elements) of the caller's: AllocData sees the
   *         tensor with them set and must provide memory they stay within. ValueError when
   *         shape and strides differ in length. */
  template <typename TNDAlloc, typename... ExtraArgs>
  static Tensor FromNDAllocStrided(TNDAlloc alloc, ShapeView shape, ShapeView strides,
                                   DLDataType dtype, DLDevice device, ExtraArgs&&... extra_args) {
    if (shape.size() != strides.size()) {
      TVM_FFI_THROW(ValueError) << "FromNDAllocStrided: " << shape.size() << " dimensions but "
                                << strides.size() << " strides";
    }
    using Obj = details::TensorObjFromNDAlloc<TNDAlloc>;
    return Tensor(make_inplace_array_object<Obj, int64_t>(2 * shape.size(), std::move(alloc), shape,
                                                          strides, dtype, device,
                                                          std::forward<ExtraArgs>(extra_args)...));
  }
  /*! \brief A tensor from the environment's allocator (pass TVMFFIEnvTensorAlloc). */
  static Tensor FromEnvAlloc(int (*env_alloc)(DLTensor*, TVMFFIObjectHandle*), ShapeView shape,
                             DLDataType dtype, DLDevice device) {
    DLTensor prototype{};
    prototype.device = device;
    prototype.dtype = dtype;
    prototype.ndim = static_cast<int32_t>(shape.size());
    prototype.shape = const_cast<int64_t*>(shape.data());
    TVMFFIObjectHandle out = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(env_alloc(&prototype, &out));
    return FromOwnedHandle(out);
  }
  /*! \brief Takes ownership of a legacy DLPack tensor (its deleter runs once, on release).
   *         RuntimeError when the alignment or contiguity requirement fails. */
  static Tensor FromDLPack(DLManagedTensor* tensor, size_t require_alignment = 0,
                           bool require_contiguous = false) {
    TVMFFIObjectHandle out = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITensorFromDLPack(tensor, static_cast<int32_t>(require_alignment),
                                                   require_contiguous ? 1 : 0, &out));
    return FromOwnedHandle(out);
  }
  static Tensor FromDLPackVersioned(DLManagedTensorVersioned* tensor, size_t require_alignment = 0,
                                    bool require_contiguous = false) {
    TVMFFIObjectHandle out = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITensorFromDLPackVersioned(
        tensor, static_cast<int32_t>(require_alignment), require_contiguous ? 1 : 0, &out));
    return FromOwnedHandle(out);
  }
  /*! \brief Exports as a legacy DLPack tensor that keeps this tensor alive. */
  DLManagedTensor* ToDLPack() const {
    DLManagedTensor* out = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITensorToDLPack(Handle(), &out));
    return out;
  }
  DLManagedTensorVersioned* ToDLPackVersioned() const {
    DLManagedTensorVersioned* out = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITensorToDLPackVersioned(Handle(), &out));
    return out;
  }
  /*! \brief A view of the same memory with another shape/strides, starting elem_offset
   *         elements in. The caller vouches that it stays in bounds. */
  Tensor as_strided(ShapeView shape, ShapeView strides,
                    Optional<int64_t> elem_offset = std::nullopt) const {
    DLTensor prototype = *get();
    prototype.ndim = static_cast<int32_t>(shape.size());
    prototype.shape = const_cast<int64_t*>(shape.data());
    prototype.strides = const_cast<int64_t*>(strides.data());
    int64_t offset = elem_offset.has_value() ? elem_offset.value() : 0;
    prototype.byte_offset += ffi::GetDataSize(offset, prototype.dtype);
    if (prototype.byte_offset != 0 && IsDirectAddressDevice(prototype.device)) {
      prototype.data = static_cast<char*>(prototype.data) + prototype.byte_offset;
      prototype.byte_offset = 0;
    }
    TVMFFIObjectHandle out = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITensorCreateUnsafeView(Handle(), &prototype, &out));
    return FromOwnedHandle(out);
  }

  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Tensor, ObjectRef, TensorObj);

 private:
  TVMFFIObjectHandle Handle() const {
    return details::ObjectUnsafe::RawObjectPtrFromObjectRef(*this);
  }
  static Tensor FromOwnedHandle(TVMFFIObjectHandle handle) {
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<Tensor>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(static_cast<Object*>(handle)));
  }
};

/*!
 * \brief A non-owning view of a tensor: from a Tensor (which must outlive it) or a borrowed
 *        DLTensor*. The recommended type for kernel arguments.
 */
class TensorView {
 public:
  TensorView(const Tensor& tensor) : tensor_(*tensor.GetDLTensorPtr()) {}  // NOLINT(*)
  TensorView(const DLTensor* tensor) : tensor_(*tensor) {}                 // NOLINT(*)
  ShapeView shape() const { return ShapeView(tensor_.shape, static_cast<size_t>(tensor_.ndim)); }
  ShapeView strides() const {
    return ShapeView(tensor_.strides, tensor_.strides ? static_cast<size_t>(tensor_.ndim) : 0);
  }
  int32_t ndim() const { return tensor_.ndim; }
  DLDataType dtype() const { return tensor_.dtype; }
  DLDevice device() const { return tensor_.device; }
  void* data_ptr() const { return tensor_.data; }
  uint64_t byte_offset() const { return tensor_.byte_offset; }
  int64_t size(int64_t i) const { return tensor_.shape[details::DimIndex(i, ndim())]; }
  int64_t numel() const { return shape().Product(); }
  /*! \brief The stride of dimension i (from the end when negative); IndexError out of range. */
  int64_t stride(int64_t i) const { return tensor_.strides[details::DimIndex(i, ndim())]; }
  bool IsContiguous() const { return ffi::IsContiguous(tensor_); }
  const DLTensor* GetDLTensorPtr() const { return &tensor_; }
  // ATen's spellings of the same.
  int32_t dim() const { return ndim(); }
  ShapeView sizes() const { return shape(); }
  bool is_contiguous() const { return IsContiguous(); }
  /*! \brief A view of the same memory with shape and strides (which must outlive the view: it
   *         borrows them), starting element_offset elements in (>= 0). Nothing is checked
   *         against the memory: the caller vouches for the bounds. */
  TensorView as_strided(ShapeView shape, ShapeView strides,
                        std::optional<int64_t> element_offset = std::nullopt) const {
    if (shape.size() != strides.size()) {
      TVM_FFI_THROW(ValueError) << "as_strided: " << shape.size() << " dimensions but "
                                << strides.size() << " strides";
    }
    int64_t offset = element_offset.value_or(0);
    if (offset < 0) TVM_FFI_THROW(ValueError) << "as_strided: a negative element offset";
    DLTensor view = tensor_;
    view.ndim = static_cast<int32_t>(shape.size());
    view.shape = const_cast<int64_t*>(shape.data());
    view.strides = const_cast<int64_t*>(strides.data());
    view.byte_offset += ffi::GetDataSize(offset, view.dtype);
    if (view.byte_offset != 0 && IsDirectAddressDevice(view.device)) {
      view.data = static_cast<char*>(view.data) + view.byte_offset;
      view.byte_offset = 0;
    }
    return TensorView(&view);
  }

 private:
  DLTensor tensor_;
};

/*! \brief Bytes of a tensor's elements (numel times the element size, sub-byte rounded up). */
inline size_t GetDataSize(const Tensor& tensor) {
  return GetDataSize(tensor.numel(), tensor.dtype());
}
inline size_t GetDataSize(const TensorView& tensor) {
  return GetDataSize(tensor.numel(), tensor.dtype());
}

template <>
struct TypeTraits<TensorView> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = false;
  static void CopyToAnyView(const TensorView& src, TVMFFIAny* result) {
    TypeTraits<DLTensor*>::CopyToAnyView(const_cast<DLTensor*>(src.GetDLTensorPtr()), result);
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIDLTensorPtr ||
           src->type_index == TypeIndex::kTVMFFITensor;
  }
  static TensorView CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return TensorView(*TypeTraits<DLTensor*>::TryCastFromAnyView(src));
  }
  static std::optional<TensorView> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIDLTensorPtr; }
  static std::string TypeSchema() { return details::SchemaOf(StaticTypeKey::kTVMFFIDLTensorPtr); }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_TENSOR_H_
