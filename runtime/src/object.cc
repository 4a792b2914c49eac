// Object lifetime, the custom allocator slot and the version query.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>

#include <atomic>
#include <cstddef>
#include <new>

namespace tvm {
namespace ffi {
namespace {

// Wraps a foreign handle (e.g. a PyObject*) and calls its deleter on destruction.
class OpaqueObject : public Object, public TVMFFIOpaqueObjectCell {
 public:
  OpaqueObject(void* h, void (*deleter)(void*)) : deleter_(deleter) { handle = h; }
  ~OpaqueObject() {
    if (deleter_ != nullptr) deleter_(handle);
  }
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIOpaquePyObject;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIOpaquePyObject, OpaqueObject, Object);

 private:
  void (*deleter_)(void*);
};

// The builtin allocator puts the body at a fixed offset so delete_space can find the block
// from the body pointer alone; the TVMFFIObjectAllocHeader sits right before the body.
constexpr size_t kDefaultBodyOffset = alignof(std::max_align_t);
static_assert(kDefaultBodyOffset >= sizeof(TVMFFIObjectAllocHeader), "header must fit");

void DefaultDeleteSpace(void* body) {
  char* base = static_cast<char*>(body) - kDefaultBodyOffset;
  ::operator delete(base);  // plain new aligns to max_align_t already
}

void* DefaultAllocate(size_t size, size_t alignment, int32_t, void*) {
  size_t align = alignment > kDefaultBodyOffset ? alignment : kDefaultBodyOffset;
  if (align > kDefaultBodyOffset) return nullptr;  // over-aligned classes are not supported
  static_assert(kDefaultBodyOffset <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "plain new suffices");
  char* base = static_cast<char*>(::operator new(kDefaultBodyOffset + size));
  char* body = base + kDefaultBodyOffset;
  reinterpret_cast<TVMFFIObjectAllocHeader*>(body - sizeof(TVMFFIObjectAllocHeader))->delete_space =
      DefaultDeleteSpace;
  return body;
}

TVMFFICustomAllocator* DefaultAllocator() {
  static TVMFFICustomAllocator builtin{DefaultAllocate, nullptr};
  return &builtin;
}

std::atomic<TVMFFICustomAllocator*> g_custom_allocator{nullptr};

}  // namespace
}  // namespace ffi
}  // namespace tvm

void TVMFFIGetVersion(TVMFFIVersion* out_version) {
  out_version->major = TVM_FFI_VERSION_MAJOR;
  out_version->minor = TVM_FFI_VERSION_MINOR;
  out_version->patch = TVM_FFI_VERSION_PATCH;
}

int TVMFFIObjectIncRef(TVMFFIObjectHandle obj) {
  tvm::ffi::details::ObjectUnsafe::IncRefObjectHandle(obj);
  return 0;
}

int TVMFFIObjectDecRef(TVMFFIObjectHandle obj) {
  TVM_FFI_SAFE_CALL_BEGIN();
  tvm::ffi::details::ObjectUnsafe::DecRefObjectHandle(obj);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIObjectCreateOpaque(void* handle, int32_t type_index, void (*deleter)(void* handle),
                             TVMFFIObjectHandle* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  if (type_index != kTVMFFIOpaquePyObject) {
    TVM_FFI_THROW(RuntimeError)
        << "Only kTVMFFIOpaquePyObject is supported for now, got type index " << type_index;
  }
  *out = tvm::ffi::details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(
      tvm::ffi::make_object<tvm::ffi::OpaqueObject>(handle, deleter));
  TVM_FFI_SAFE_CALL_END();
}

TVMFFICustomAllocator* TVMFFIGetCustomAllocator(void) {
  TVMFFICustomAllocator* current = tvm::ffi::g_custom_allocator.load(std::memory_order_acquire);
  return current != nullptr ? current : tvm::ffi::DefaultAllocator();
}

int TVMFFISetCustomAllocator(TVMFFICustomAllocator* allocator) {
  // NULL restores the builtin allocator.
  tvm::ffi::g_custom_allocator.store(allocator, std::memory_order_release);
  return 0;
}
