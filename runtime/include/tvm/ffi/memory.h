/*
 * tvmffi-rpc runtime: object allocation. make_object<T>(...) and
 * make_inplace_array_object<T, Elem>(n, ...) (n trailing elements in the same block).
 */
#ifndef TVM_FFI_MEMORY_H_
#define TVM_FFI_MEMORY_H_

#include <tvm/ffi/object.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {
namespace details {

// Fills the header of a freshly constructed object: one strong and one weak reference.
template <typename T>
class ObjectAllocatorBase {
 protected:
  static void InitHeader(T* ptr, void (*deleter)(void*, int)) {
    TVMFFIObject* header = ObjectUnsafe::GetHeader(ptr);
    header->combined_ref_count = kCombinedRefCountBothOne;
    header->type_index = T::RuntimeTypeIndex();
    header->deleter = deleter;
  }
};

constexpr size_t kObjectAlign(size_t align) { return align < 8 ? 8 : align; }

// Storage for T plus extra bytes, aligned for T; freed with FreeStorage. malloc when its
// alignment suffices (every object here), posix_memalign beyond, as upstream's allocator does
// (with operator new's aligned form, used before, a 64-byte String took 17.0 ns, with plain
// operator new 14.8: scripts/bench-vs-upstream, medians of 3).
template <typename T>
void* AllocStorage(size_t extra_bytes) {
  constexpr size_t kAlign = kObjectAlign(alignof(T));
  // A whole number of alignment units, as upstream asks for.
  size_t bytes = (sizeof(T) + extra_bytes + (kAlign - 1)) & ~(kAlign - 1);
  void* ptr = nullptr;
  if constexpr (kAlign <= alignof(std::max_align_t)) {
    ptr = std::malloc(bytes);
  } else {
    if (posix_memalign(&ptr, kAlign, bytes) != 0) ptr = nullptr;
  }
  if (ptr == nullptr) throw std::bad_alloc();
  return ptr;
}
template <typename T>
void FreeStorage(void* ptr) {
  std::free(ptr);
}

template <typename T>
class SimpleObjAllocator : public ObjectAllocatorBase<T> {
 public:
  template <typename... Args>
  static T* New(Args&&... args) {
    void* storage = AllocStorage<T>(0);
    T* ptr;
    try {
      ptr = new (storage) T(std::forward<Args>(args)...);
    } catch (...) {
      FreeStorage<T>(storage);
      throw;
    }
    ObjectAllocatorBase<T>::InitHeader(ptr, Deleter);
    return ptr;
  }
  // Destroys on the Strong flag, frees on the Weak flag (both when the last reference goes).
  static void Deleter(void* handle, int flags) {
    T* ptr = static_cast<T*>(static_cast<Object*>(handle));
    if (flags & kTVMFFIObjectDeleterFlagBitMaskStrong) ptr->T::~T();
    if (flags & kTVMFFIObjectDeleterFlagBitMaskWeak) FreeStorage<T>(static_cast<void*>(ptr));
  }
};

template <typename ArrayType, typename ElemType>
class SimpleInplaceArrayAllocator : public ObjectAllocatorBase<ArrayType> {
 public:
  template <typename... Args>
  static ArrayType* New(size_t num_elems, Args&&... args) {
    static_assert(sizeof(ArrayType) % alignof(ElemType) == 0, "trailing elements misaligned");
    void* storage = AllocStorage<ArrayType>(num_elems * sizeof(ElemType));
    ArrayType* ptr;
    try {
      ptr = new (storage) ArrayType(std::forward<Args>(args)...);
    } catch (...) {
      FreeStorage<ArrayType>(storage);
      throw;
    }
    ObjectAllocatorBase<ArrayType>::InitHeader(ptr, Deleter);
    return ptr;
  }
  static void Deleter(void* handle, int flags) {
    ArrayType* ptr = static_cast<ArrayType*>(static_cast<Object*>(handle));
    if (flags & kTVMFFIObjectDeleterFlagBitMaskStrong) ptr->ArrayType::~ArrayType();
    if (flags & kTVMFFIObjectDeleterFlagBitMaskWeak) {
      FreeStorage<ArrayType>(static_cast<void*>(ptr));
    }
  }
};

}  // namespace details

/*! \brief Allocates and constructs a T with one strong reference. */
template <typename T, typename... Args>
inline ObjectPtr<T> make_object(Args&&... args) {
  static_assert(std::is_base_of_v<Object, T>, "make_object needs an Object subclass");
  T* ptr = details::SimpleObjAllocator<T>::New(std::forward<Args>(args)...);
  return details::ObjectUnsafe::ObjectPtrFromOwned<T>(static_cast<Object*>(ptr));
}

/*! \brief A new object of class T as a non-null Arc<T>. */
template <typename T, typename... Args>
inline Arc<T> make_arc(Args&&... args) {
  return details::ObjectUnsafe::ArcFromObjectPtr(make_object<T>(std::forward<Args>(args)...));
}

/*! \brief Like make_object, with room for num_elems ElemType right after the object. The
 *         object's destructor must destroy any elements it constructed there. */
template <typename ArrayType, typename ElemType, typename... Args>
inline ObjectPtr<ArrayType> make_inplace_array_object(size_t num_elems, Args&&... args) {
  ArrayType* ptr = details::SimpleInplaceArrayAllocator<ArrayType, ElemType>::New(
      num_elems, std::forward<Args>(args)...);
  return details::ObjectUnsafe::ObjectPtrFromOwned<ArrayType>(static_cast<Object*>(ptr));
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_MEMORY_H_
