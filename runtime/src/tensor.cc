// Tensors across the C ABI: DLPack import/export (legacy and versioned), unsafe views, and
// allocation through the environment's DLPack allocator.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>

#include <string>

namespace tvm {
namespace ffi {
namespace {

// Owns a producer's managed tensor; its deleter runs exactly once, when this object dies.
template <typename TManaged>
class TensorObjFromDLPack : public TensorObj {
 public:
  explicit TensorObjFromDLPack(TManaged* managed) : managed_(managed) {
    const DLTensor& src = managed->dl_tensor;
    this->data = src.data;
    this->device = src.device;
    this->dtype = src.dtype;
    this->byte_offset = src.byte_offset;
    details::InitInlineShape(this, src.ndim, src.shape, src.strides);
  }
  ~TensorObjFromDLPack() {
    if (managed_->deleter != nullptr) managed_->deleter(managed_);
  }

 private:
  TManaged* managed_;
};

// A view of another tensor's memory; keeps the source alive.
class TensorViewObj : public TensorObj {
 public:
  TensorViewObj(ObjectRef source, const DLTensor& prototype, void* data, DLDevice device)
      : source_(std::move(source)) {
    this->data = data;
    this->device = device;
    this->dtype = prototype.dtype;
    this->byte_offset = prototype.byte_offset;
    details::InitInlineShape(this, prototype.ndim, prototype.shape, prototype.strides);
  }

 private:
  ObjectRef source_;
};

template <typename TManaged>
void CheckImportable(const TManaged* managed, int32_t require_alignment,
                     int32_t require_contiguous) {
  if (managed == nullptr) TVM_FFI_THROW(ValueError) << "FromDLPack: the managed tensor is NULL";
  const DLTensor& t = managed->dl_tensor;
  if (t.ndim < 0) TVM_FFI_THROW(ValueError) << "FromDLPack: negative ndim " << t.ndim;
  if (t.ndim > 0 && t.shape == nullptr) {
    TVM_FFI_THROW(ValueError) << "FromDLPack: shape is NULL for a " << t.ndim << "-d tensor";
  }
  if (require_alignment > 0 && !IsAligned(t, static_cast<size_t>(require_alignment))) {
    TVM_FFI_THROW(RuntimeError) << "FromDLPack: Data is not aligned to " << require_alignment
                                << " bytes.";
  }
  if (require_contiguous != 0 && !IsContiguous(t)) {
    TVM_FFI_THROW(RuntimeError) << "FromDLPack: Tensor is not contiguous.";
  }
}

template <typename TManaged>
TVMFFIObjectHandle Import(TManaged* managed) {
  int32_t ndim = managed->dl_tensor.ndim;
  auto obj = make_inplace_array_object<TensorObjFromDLPack<TManaged>, int64_t>(2 * ndim, managed);
  return details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(std::move(obj));
}

TensorObj* AsTensor(TVMFFIObjectHandle handle) {
  if (handle == nullptr) TVM_FFI_THROW(ValueError) << "ToDLPack: the tensor is NULL";
  Object* obj = static_cast<Object*>(handle);
  if (obj->type_index() != TypeIndex::kTVMFFITensor) {
    TVM_FFI_THROW(TypeError) << "expected a Tensor, got " << obj->GetTypeKey();
  }
  return static_cast<TensorObj*>(obj);
}

// The exported struct holds one reference to the tensor; its deleter drops it.
template <typename TManaged>
void DeleteExported(TManaged* self) {
  details::ObjectUnsafe::DecRefObjectHandle(static_cast<Object*>(self->manager_ctx));
  delete self;
}

template <typename TManaged>
TManaged* Export(TVMFFIObjectHandle handle) {
  TensorObj* tensor = AsTensor(handle);
  TManaged* out = new TManaged();
  out->dl_tensor = *static_cast<DLTensor*>(tensor);
  out->manager_ctx = static_cast<Object*>(tensor);
  out->deleter = DeleteExported<TManaged>;
  details::ObjectUnsafe::IncRefObjectHandle(static_cast<Object*>(tensor));
  return out;
}

struct AllocErrorContext {
  std::string kind;
  std::string message;
  bool set = false;
};

}  // namespace
}  // namespace ffi
}  // namespace tvm

using namespace tvm::ffi;  // NOLINT(build/namespaces): C entry points only below

// Exported for allocators that report errors through the runtime (not in the public header).
extern "C" TVM_FFI_DLL void TVMFFIEnvTensorAllocSetError(void* error_ctx, const char* kind,
                                                         const char* message) {
  auto* ctx = static_cast<AllocErrorContext*>(error_ctx);
  ctx->kind = kind != nullptr ? kind : "RuntimeError";
  ctx->message = message != nullptr ? message : "";
  ctx->set = true;
}

int TVMFFITensorFromDLPack(DLManagedTensor* from, int32_t require_alignment,
                           int32_t require_contiguous, TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  CheckImportable(from, require_alignment, require_contiguous);
  *out = Import(from);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITensorFromDLPackVersioned(DLManagedTensorVersioned* from, int32_t require_alignment,
                                    int32_t require_contiguous, TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  CheckImportable(from, require_alignment, require_contiguous);
  if (from->version.major > DLPACK_MAJOR_VERSION) {
    TVM_FFI_THROW(RuntimeError) << "FromDLPack: DLPack version " << from->version.major << "."
                                << from->version.minor << " is newer than supported "
                                << DLPACK_MAJOR_VERSION << "." << DLPACK_MINOR_VERSION;
  }
  if (from->flags & DLPACK_FLAG_BITMASK_IS_SUBBYTE_TYPE_PADDED) {
    TVM_FFI_THROW(RuntimeError) << "FromDLPack: sub-byte types with padding are not supported";
  }
  *out = Import(from);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITensorToDLPack(TVMFFIObjectHandle from, DLManagedTensor** out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  *out = Export<DLManagedTensor>(from);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITensorToDLPackVersioned(TVMFFIObjectHandle from, DLManagedTensorVersioned** out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  DLManagedTensorVersioned* result = Export<DLManagedTensorVersioned>(from);
  result->version.major = DLPACK_MAJOR_VERSION;
  result->version.minor = DLPACK_MINOR_VERSION;
  result->flags = 0;
  *out = result;
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITensorCreateUnsafeView(TVMFFIObjectHandle source, const DLTensor* prototype,
                                 TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  TensorObj* src = AsTensor(source);
  if (prototype == nullptr) TVM_FFI_THROW(ValueError) << "CreateUnsafeView: prototype is NULL";
  if (prototype->ndim < 0 || (prototype->ndim > 0 && prototype->shape == nullptr)) {
    TVM_FFI_THROW(ValueError) << "CreateUnsafeView: invalid prototype shape";
  }
  ObjectRef keep = GetRef<ObjectRef>(static_cast<Object*>(src));
  auto obj = make_inplace_array_object<TensorViewObj, int64_t>(
      2 * prototype->ndim, std::move(keep), *prototype, prototype->data, prototype->device);
  *out = details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(std::move(obj));
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIEnvTensorAlloc(DLTensor* prototype, TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  DLPackManagedTensorAllocator allocator = TVMFFIEnvGetDLPackManagedTensorAllocator();
  if (allocator == nullptr) {
    TVM_FFI_THROW(RuntimeError) << "TVMFFIEnvTensorAlloc: no DLPack tensor allocator is set "
                                   "(see TVMFFIEnvSetDLPackManagedTensorAllocator)";
  }
  AllocErrorContext ctx;
  DLManagedTensorVersioned* managed = nullptr;
  if (allocator(prototype, &managed, &ctx, TVMFFIEnvTensorAllocSetError) != 0 ||
      managed == nullptr) {
    throw Error(ctx.set ? ctx.kind : "RuntimeError",
                ctx.set ? ctx.message : "the DLPack tensor allocator failed",
                TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0));
  }
  TVMFFIObjectHandle handle = nullptr;
  if (TVMFFITensorFromDLPackVersioned(managed, 0, 0, &handle) != 0) {
    if (managed->deleter != nullptr) managed->deleter(managed);
    throw details::MoveFromSafeCallRaised();
  }
  *out = handle;
  TVM_FFI_SAFE_CALL_END();
}
