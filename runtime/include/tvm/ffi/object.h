/*
 * tvmffi-rpc runtime: the object model. Object (header only, no vtable), ObjectPtr (intrusive
 * strong pointer), WeakObjectPtr, ObjectRef (the base of every managed reference) and the
 * macros that give a class its type key and runtime type index.
 */
#ifndef TVM_FFI_OBJECT_H_
#define TVM_FFI_OBJECT_H_

#include <tvm/ffi/base_details.h>
#include <tvm/ffi/c_api.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

using TypeIndex = TVMFFITypeIndex;

// Type keys of the builtin indices, as upstream names them.
namespace StaticTypeKey {
static constexpr const char* kTVMFFIAny = "Any";
static constexpr const char* kTVMFFINone = "None";
static constexpr const char* kTVMFFIInt = "int";
static constexpr const char* kTVMFFIBool = "bool";
static constexpr const char* kTVMFFIFloat = "float";
static constexpr const char* kTVMFFIOpaquePtr = "void*";
static constexpr const char* kTVMFFIDataType = "DataType";
static constexpr const char* kTVMFFIDevice = "Device";
static constexpr const char* kTVMFFIDLTensorPtr = "DLTensor*";
static constexpr const char* kTVMFFIRawStr = "const char*";
static constexpr const char* kTVMFFIByteArrayPtr = "TVMFFIByteArray*";
static constexpr const char* kTVMFFIObjectRValueRef = "ObjectRValueRef";
static constexpr const char* kTVMFFISmallStr = "ffi.SmallStr";
static constexpr const char* kTVMFFISmallBytes = "ffi.SmallBytes";
static constexpr const char* kTVMFFIObject = "ffi.Object";
static constexpr const char* kTVMFFIStr = "ffi.String";
static constexpr const char* kTVMFFIBytes = "ffi.Bytes";
static constexpr const char* kTVMFFIError = "ffi.Error";
static constexpr const char* kTVMFFIFunction = "ffi.Function";
static constexpr const char* kTVMFFIShape = "ffi.Shape";
static constexpr const char* kTVMFFITensor = "ffi.Tensor";
static constexpr const char* kTVMFFIArray = "ffi.Array";
static constexpr const char* kTVMFFIMap = "ffi.Map";
static constexpr const char* kTVMFFIModule = "ffi.Module";
static constexpr const char* kTVMFFIOpaquePyObject = "ffi.OpaquePyObject";
static constexpr const char* kTVMFFIList = "ffi.List";
static constexpr const char* kTVMFFIDict = "ffi.Dict";
static constexpr const char* kTVMFFIVisitInterrupt = "ffi.VisitInterrupt";
}  // namespace StaticTypeKey

/*! \brief The type key of any type index (POD or object). */
inline std::string TypeIndexToTypeKey(int32_t type_index) {
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(type_index);
  return std::string(info->type_key.data, info->type_key.size);
}

namespace details {
class ObjectUnsafe;
template <typename T>
class ObjectAllocatorBase;
constexpr uint64_t kCombinedRefCountStrongOne = 1;
constexpr uint64_t kCombinedRefCountWeakOne = static_cast<uint64_t>(1) << 32;
constexpr uint64_t kCombinedRefCountBothOne = kCombinedRefCountStrongOne | kCombinedRefCountWeakOne;
// Decrements release, then fence acquire before destruction; TSan does not model fences, so
// under TSan the decrement itself is acquire-release.
#if defined(__SANITIZE_THREAD__)
constexpr int kDecRefOrder = __ATOMIC_ACQ_REL;
inline void AcquireFenceBeforeDelete() {}
#else
constexpr int kDecRefOrder = __ATOMIC_RELEASE;
inline void AcquireFenceBeforeDelete() { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
#endif
}  // namespace details

/*! \brief Tag for constructors that leave a reference uninitialised on purpose. */
struct UnsafeInit {};

/*!
 * \brief Base of every heap object. Holds the 24-byte TVMFFIObject header and nothing else.
 * \note Subclasses may add a vtable or other bases, so the header is not always at offset 0 of
 *       the allocation; handles always point at the header.
 */
class Object {
 protected:
  TVMFFIObject header_;

 public:
  Object() {
    header_.combined_ref_count = 0;
    header_.type_index = 0;
    header_.__padding = 0;
    header_.deleter = nullptr;
  }
  int32_t type_index() const { return header_.type_index; }
  std::string GetTypeKey() const { return TypeIndexToTypeKey(header_.type_index); }
  uint64_t GetTypeKeyHash() const { return TVMFFIGetTypeInfo(header_.type_index)->type_key_hash; }
  /*! \brief Whether this object is a TargetType (or derives from it). */
  template <typename TargetType>
  inline bool IsInstance() const;
  /*! \brief Whether exactly one strong reference exists. */
  bool unique() const { return use_count() == 1; }
  /*! \brief The strong reference count (a racy snapshot across threads). */
  uint32_t use_count() const {
    return static_cast<uint32_t>(__atomic_load_n(&header_.combined_ref_count, __ATOMIC_RELAXED));
  }

  static constexpr const char* _type_key = StaticTypeKey::kTVMFFIObject;
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIObject;
  static constexpr int32_t _type_depth = 0;
  static constexpr uint32_t _type_child_slots = 0;
  static constexpr bool _type_child_slots_can_overflow = true;
  static constexpr bool _type_final = false;
  static constexpr bool _type_mutable = false;
  static constexpr TVMFFISEqHashKind _type_s_eq_hash_kind = kTVMFFISEqHashKindUnsupported;
  static int32_t RuntimeTypeIndex() { return TypeIndex::kTVMFFIObject; }
  static int32_t _GetOrAllocRuntimeTypeIndex() { return TypeIndex::kTVMFFIObject; }

 private:
  void IncRef() { __atomic_fetch_add(&header_.combined_ref_count, 1, __ATOMIC_RELAXED); }
  void DecRef() {
    // The only reference, strong or weak: no other thread can hold one to change the count
    // (taking a reference needs one), so a load replaces the atomic subtraction (libstdc++'s
    // shared_ptr does the same). The acquire pairs with the release of every earlier drop.
    uint64_t old = __atomic_load_n(&header_.combined_ref_count, __ATOMIC_ACQUIRE);
    if (old != details::kCombinedRefCountBothOne) {
      old = __atomic_fetch_sub(&header_.combined_ref_count, details::kCombinedRefCountStrongOne,
                               details::kDecRefOrder);
    }
    if (old == details::kCombinedRefCountBothOne) {
      // Last strong and last weak reference: destroy and free in one deleter call.
      details::AcquireFenceBeforeDelete();
      header_.deleter(this, kTVMFFIObjectDeleterFlagBitMaskBoth);
    } else if ((old & 0xFFFFFFFFULL) == 1) {
      DestroyKeepingWeak();
    }
  }
  // The last strong reference went while weak ones remain: destroy now, free when the last
  // weak one goes. Out of line: rare, and DecRef stays small enough to inline.
  TVM_FFI_COLD_CODE void DestroyKeepingWeak() {
    details::AcquireFenceBeforeDelete();
    auto deleter = header_.deleter;
    deleter(this, kTVMFFIObjectDeleterFlagBitMaskStrong);
    DecWeakRefWith(&header_, deleter);
  }
  static void DecWeakRefWith(TVMFFIObject* header, void (*deleter)(void*, int)) {
    if (__atomic_fetch_sub(&header->combined_ref_count, details::kCombinedRefCountWeakOne,
                           details::kDecRefOrder) == details::kCombinedRefCountWeakOne) {
      details::AcquireFenceBeforeDelete();
      deleter(header, kTVMFFIObjectDeleterFlagBitMaskWeak);
    }
  }
  void IncWeakRef() {
    __atomic_fetch_add(&header_.combined_ref_count, details::kCombinedRefCountWeakOne,
                       __ATOMIC_RELAXED);
  }
  void DecWeakRef() { DecWeakRefWith(&header_, header_.deleter); }
  // Promotes a weak reference: succeeds only while the strong count is non-zero.
  bool TryPromoteWeakPtr() {
    uint64_t old = __atomic_load_n(&header_.combined_ref_count, __ATOMIC_RELAXED);
    while ((old & 0xFFFFFFFFULL) != 0) {
      if (__atomic_compare_exchange_n(&header_.combined_ref_count, &old, old + 1, true,
                                      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        return true;
      }
    }
    return false;
  }

  template <typename>
  friend class ObjectPtr;
  template <typename>
  friend class WeakObjectPtr;
  template <typename>
  friend class details::ObjectAllocatorBase;
  friend class details::ObjectUnsafe;
};

/*! \brief Strong intrusive pointer to an Object subclass. */
template <typename T>
class ObjectPtr {
 public:
  ObjectPtr() = default;
  ObjectPtr(std::nullptr_t) {}  // NOLINT(*)
  ObjectPtr(const ObjectPtr& other) : ObjectPtr(other.data_) {}
  template <typename U, typename = std::enable_if_t<std::is_base_of_v<T, U>>>
  ObjectPtr(const ObjectPtr<U>& other) : ObjectPtr(other.data_) {}  // NOLINT(*)
  ObjectPtr(ObjectPtr&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
  template <typename U, typename = std::enable_if_t<std::is_base_of_v<T, U>>>
  ObjectPtr(ObjectPtr<U>&& other) noexcept : data_(other.data_) {  // NOLINT(*)
    other.data_ = nullptr;
  }
  ~ObjectPtr() { reset(); }

  ObjectPtr& operator=(const ObjectPtr& other) {
    ObjectPtr(other).swap(*this);
    return *this;
  }
  ObjectPtr& operator=(ObjectPtr&& other) noexcept {
    ObjectPtr(std::move(other)).swap(*this);
    return *this;
  }
  void swap(ObjectPtr& other) noexcept { std::swap(data_, other.data_); }
  T* get() const { return static_cast<T*>(data_); }
  T* operator->() const { return get(); }
  T& operator*() const { return *get(); }
  explicit operator bool() const { return data_ != nullptr; }
  void reset() {
    if (data_ != nullptr) {
      static_cast<Object*>(data_)->DecRef();
      data_ = nullptr;
    }
  }
  int use_count() const { return data_ != nullptr ? static_cast<int>(data_->use_count()) : 0; }
  bool unique() const { return use_count() == 1; }
  bool operator==(const ObjectPtr& other) const { return data_ == other.data_; }
  bool operator!=(const ObjectPtr& other) const { return data_ != other.data_; }
  bool operator==(std::nullptr_t) const { return data_ == nullptr; }
  bool operator!=(std::nullptr_t) const { return data_ != nullptr; }

 private:
  // Takes a new strong reference to data.
  explicit ObjectPtr(Object* data) : data_(data) {
    if (data_ != nullptr) data_->IncRef();
  }
  Object* data_{nullptr};

  template <typename>
  friend class ObjectPtr;
  template <typename>
  friend class WeakObjectPtr;
  friend class ObjectRef;
  friend class details::ObjectUnsafe;
  template <typename>
  friend class details::ObjectAllocatorBase;
};

/*! \brief Weak pointer: keeps the storage, not the object, alive; lock() promotes it. */
template <typename T>
class WeakObjectPtr {
 public:
  WeakObjectPtr() = default;
  WeakObjectPtr(std::nullptr_t) {}  // NOLINT(*)
  template <typename U, typename = std::enable_if_t<std::is_base_of_v<T, U>>>
  WeakObjectPtr(const ObjectPtr<U>& other) : WeakObjectPtr(other.data_) {}  // NOLINT(*)
  WeakObjectPtr(const WeakObjectPtr& other) : WeakObjectPtr(other.data_) {}
  WeakObjectPtr(WeakObjectPtr&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
  ~WeakObjectPtr() { reset(); }
  WeakObjectPtr& operator=(const WeakObjectPtr& other) {
    WeakObjectPtr(other).swap(*this);
    return *this;
  }
  WeakObjectPtr& operator=(WeakObjectPtr&& other) noexcept {
    WeakObjectPtr(std::move(other)).swap(*this);
    return *this;
  }
  void swap(WeakObjectPtr& other) noexcept { std::swap(data_, other.data_); }
  void reset() {
    if (data_ != nullptr) {
      data_->DecWeakRef();
      data_ = nullptr;
    }
  }
  /*! \brief The object if it is still alive, else null. */
  ObjectPtr<T> lock() const {
    ObjectPtr<T> ret;
    if (data_ != nullptr && data_->TryPromoteWeakPtr()) ret.data_ = data_;
    return ret;
  }
  bool expired() const { return data_ == nullptr || data_->use_count() == 0; }
  int use_count() const { return data_ != nullptr ? static_cast<int>(data_->use_count()) : 0; }

 private:
  explicit WeakObjectPtr(Object* data) : data_(data) {
    if (data_ != nullptr) data_->IncWeakRef();
  }
  Object* data_{nullptr};
  template <typename>
  friend class WeakObjectPtr;
};

/*! \brief Whether T is Object or derives from it; specialize it to true for a class that is
 *         still incomplete where a container of Arc<T> is declared (a recursive type). */
template <typename T>
inline constexpr bool is_object_subclass_v = std::is_base_of_v<Object, T>;

/*!
 * \brief A non-null ObjectPtr: the same layout, copy and move, but no null state of its own
 *        (make_arc creates one). A moved-from Arc, or one made with UnsafeInit for a
 *        construct-then-fill flow, is empty and must be assigned before use.
 */
template <typename T>
class Arc : public ObjectPtr<T> {
 public:
  Arc() = delete;
  Arc(std::nullptr_t) = delete;
  Arc(const Arc&) = default;
  Arc(Arc&&) = default;
  Arc& operator=(const Arc&) = default;
  Arc& operator=(Arc&&) = default;
  template <typename U, std::enable_if_t<std::is_base_of_v<T, U>, int> = 0>
  Arc(const Arc<U>& other)  // NOLINT(*)
      : ObjectPtr<T>(static_cast<const ObjectPtr<U>&>(other)) {}
  template <typename U, std::enable_if_t<std::is_base_of_v<T, U>, int> = 0>
  Arc(Arc<U>&& other)  // NOLINT(*)
      : ObjectPtr<T>(static_cast<ObjectPtr<U>&&>(other)) {}
  explicit Arc(UnsafeInit) : ObjectPtr<T>(nullptr) {}

 private:
  explicit Arc(ObjectPtr<T> ptr) : ObjectPtr<T>(std::move(ptr)) {}
  using ObjectPtr<T>::reset;
  using ObjectPtr<T>::swap;
  template <typename>
  friend class Arc;
  friend class details::ObjectUnsafe;
};

/*! \brief Base of every managed reference: one ObjectPtr<Object>, 8 bytes. */
class ObjectRef {
 public:
  ObjectRef() = default;
  explicit ObjectRef(ObjectPtr<Object> data) : data_(std::move(data)) {}
  explicit ObjectRef(UnsafeInit) {}
  TVM_FFI_DEFINE_DEFAULT_COPY_MOVE_AND_ASSIGN(ObjectRef)

  bool same_as(const ObjectRef& other) const { return data_ == other.data_; }
  bool operator==(const ObjectRef& other) const { return data_ == other.data_; }
  bool operator!=(const ObjectRef& other) const { return data_ != other.data_; }
  bool operator<(const ObjectRef& other) const { return data_.get() < other.data_.get(); }
  bool defined() const { return data_ != nullptr; }
  const Object* get() const { return data_.get(); }
  const Object* operator->() const { return get(); }
  bool unique() const { return data_.unique(); }
  int use_count() const { return data_.use_count(); }
  /*! \brief The object as ObjectType when it is one, else nullptr. */
  template <typename ObjectType, typename = std::enable_if_t<std::is_base_of_v<Object, ObjectType>>>
  const ObjectType* as() const& {
    if (data_ != nullptr && data_->IsInstance<ObjectType>()) {
      return static_cast<const ObjectType*>(data_.get());
    }
    return nullptr;
  }
  /*! \brief This reference as RefType when its object is one (checked as a cast from an Any
   *         is: a container's elements too), else nullopt (any.h). */
  template <typename RefType, typename = std::enable_if_t<std::is_base_of_v<ObjectRef, RefType>>>
  std::optional<RefType> as() const&;
  /*! \brief Like as<RefType>(), moving the reference out when it is one (this is null then). */
  template <typename RefType, typename = std::enable_if_t<std::is_base_of_v<ObjectRef, RefType>>>
  std::optional<RefType> as() &&;
  /*! \brief This reference as RefType; a TypeError when its object is not one (any.h). */
  template <typename RefType, typename = std::enable_if_t<std::is_base_of_v<ObjectRef, RefType>>>
  RefType as_or_throw() const&;
  template <typename RefType, typename = std::enable_if_t<std::is_base_of_v<ObjectRef, RefType>>>
  RefType as_or_throw() &&;
  int32_t type_index() const {
    return data_ != nullptr ? data_->type_index() : TypeIndex::kTVMFFINone;
  }
  std::string GetTypeKey() const {
    return data_ != nullptr ? data_->GetTypeKey() : StaticTypeKey::kTVMFFINone;
  }

  using ContainerType = Object;
  /*! \brief Whether every object of ContainerType (and no other) can be held: false for
   *         references that check more than the class (containers of typed elements). */
  static constexpr bool _type_container_is_exact = true;
  static constexpr bool _type_is_nullable = true;

 protected:
  ObjectPtr<Object> data_;
  Object* get_mutable() const { return data_.get(); }
  friend class details::ObjectUnsafe;
};

/*! \brief Hash and equality of references by address, for unordered containers. */
template <typename... V>
class Variant;

struct ObjectPtrHash {
  size_t operator()(const ObjectRef& a) const { return std::hash<const Object*>()(a.get()); }
  template <typename... V>
  size_t operator()(const Variant<V...>& a) const;  // container/variant.h
  template <typename T>
  size_t operator()(const ObjectPtr<T>& a) const {
    return std::hash<const Object*>()(a.get());
  }
};
struct ObjectPtrEqual {
  bool operator()(const ObjectRef& a, const ObjectRef& b) const { return a.same_as(b); }
  template <typename... V>
  bool operator()(const Variant<V...>& a, const Variant<V...>& b) const;  // container/variant.h
  template <typename T>
  bool operator()(const ObjectPtr<T>& a, const ObjectPtr<T>& b) const {
    return a == b;
  }
};

namespace details {
/*! \brief Low-level conversions between references and raw handles (internal). */
class ObjectUnsafe {
 public:
  static TVMFFIObject* GetHeader(const Object* obj) {
    return const_cast<TVMFFIObject*>(&obj->header_);
  }
  static void IncRefObjectHandle(TVMFFIObjectHandle handle) {
    if (handle != nullptr) static_cast<Object*>(handle)->IncRef();
  }
  static void DecRefObjectHandle(TVMFFIObjectHandle handle) {
    if (handle != nullptr) static_cast<Object*>(handle)->DecRef();
  }
  template <typename T>
  static ObjectPtr<T> ObjectPtrFromUnowned(Object* obj) {
    return ObjectPtr<T>(obj);
  }
  template <typename T>
  static ObjectPtr<T> ObjectPtrFromOwned(Object* obj) {
    ObjectPtr<T> ptr;
    ptr.data_ = obj;
    return ptr;
  }
  template <typename T>
  static ObjectPtr<T> ObjectPtrFromObjectRef(const ObjectRef& ref) {
    return ObjectPtr<T>(ref.data_.data_);
  }
  template <typename T>
  static ObjectPtr<T> ObjectPtrFromObjectRef(ObjectRef&& ref) {
    ObjectPtr<T> ptr;
    ptr.data_ = ref.data_.data_;
    ref.data_.data_ = nullptr;
    return ptr;
  }
  template <typename T>
  static Arc<T> ArcFromObjectPtr(ObjectPtr<T>&& ptr) {
    return Arc<T>(std::move(ptr));
  }
  template <typename TRef>
  static TRef ObjectRefFromObjectPtr(ObjectPtr<Object> ptr) {
    TRef ref(UnsafeInit{});
    static_cast<ObjectRef&>(ref).data_ = std::move(ptr);
    return ref;
  }
  template <typename TRef>
  static TRef ObjectRefFromUnowned(Object* obj) {
    return ObjectRefFromObjectPtr<TRef>(ObjectPtrFromUnowned<Object>(obj));
  }
  // Hands the reference to the caller as a raw owned handle.
  static TVMFFIObjectHandle MoveObjectRefToTVMFFIObjectPtr(ObjectRef&& ref) {
    Object* obj = ref.data_.data_;
    ref.data_.data_ = nullptr;
    return obj;
  }
  template <typename T>
  static TVMFFIObjectHandle MoveObjectPtrToTVMFFIObjectPtr(ObjectPtr<T>&& ptr) {
    Object* obj = ptr.data_;
    ptr.data_ = nullptr;
    return obj;
  }
  static TVMFFIObject* TVMFFIObjectPtrFromObjectRef(const ObjectRef& ref) {
    return ref.data_.data_ != nullptr ? &ref.data_.data_->header_ : nullptr;
  }
  static Object* RawObjectPtrFromObjectRef(const ObjectRef& ref) { return ref.data_.data_; }
  template <typename T>
  static ObjectPtr<T>& GetObjectPtr(ObjectRef* ref) {
    return reinterpret_cast<ObjectPtr<T>&>(ref->data_);
  }
};

/*! \brief Whether a value of type actual_type_index is a target_type_index: the same index,
 *         Any, str/bytes for their small forms, Object for every object, or a subtype. */
TVM_FFI_INLINE bool RuntimeTypeIndexMatch(int32_t actual_type_index, int32_t target_type_index) {
  if (actual_type_index == target_type_index || target_type_index == TypeIndex::kTVMFFIAny) {
    return true;
  }
  if (target_type_index == TypeIndex::kTVMFFIStr) {
    return actual_type_index == TypeIndex::kTVMFFISmallStr;
  }
  if (target_type_index == TypeIndex::kTVMFFIBytes) {
    return actual_type_index == TypeIndex::kTVMFFISmallBytes;
  }
  if (target_type_index == TypeIndex::kTVMFFIObject) {
    return actual_type_index >= TypeIndex::kTVMFFIStaticObjectBegin;
  }
  if (actual_type_index < TypeIndex::kTVMFFIStaticObjectBegin ||
      target_type_index < TypeIndex::kTVMFFIStaticObjectBegin ||
      actual_type_index < target_type_index) {
    return false;  // a subtype's index is always above its parent's
  }
  const TVMFFITypeInfo* actual = TVMFFIGetTypeInfo(actual_type_index);
  const TVMFFITypeInfo* target = TVMFFIGetTypeInfo(target_type_index);
  return actual->type_depth > target->type_depth &&
         actual->type_ancestors[target->type_depth]->type_index == target_type_index;
}

/*! \brief True when obj's type is target_index or one of its subtypes. */
TVM_FFI_INLINE bool IsInstanceOfIndex(int32_t object_index, int32_t target_index,
                                      int32_t target_depth, bool target_final,
                                      uint32_t target_child_slots) {
  if (object_index == target_index) return true;
  if (target_final) return false;
  if (object_index > target_index &&
      object_index <= target_index + static_cast<int32_t>(target_child_slots)) {
    return true;
  }
  if (object_index < TypeIndex::kTVMFFIStaticObjectBegin) return false;
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(object_index);
  return info->type_depth > target_depth &&
         info->type_ancestors[target_depth]->type_index == target_index;
}
}  // namespace details

template <typename TargetType>
inline bool Object::IsInstance() const {
  if constexpr (std::is_same_v<TargetType, Object>) {
    return true;
  } else {
    return details::IsInstanceOfIndex(header_.type_index, TargetType::RuntimeTypeIndex(),
                                      TargetType::_type_depth, TargetType::_type_final,
                                      TargetType::_type_child_slots);
  }
}

namespace details {
/*! \brief True when an object of type object_type_index is a TargetType. */
template <typename TargetType>
TVM_FFI_INLINE bool IsObjectInstance(int32_t object_type_index) {
  if constexpr (std::is_same_v<TargetType, Object>) {
    return object_type_index >= TypeIndex::kTVMFFIStaticObjectBegin;
  } else {
    return IsInstanceOfIndex(object_type_index, TargetType::RuntimeTypeIndex(),
                             TargetType::_type_depth, TargetType::_type_final,
                             TargetType::_type_child_slots);
  }
}
}  // namespace details

/*! \brief Whether every ObjectType object can be held by a RefType (specialize it for a
 *         reference whose container type is not exact). */
template <typename RefType, typename ObjectType,
          typename = std::enable_if_t<std::is_base_of_v<ObjectRef, RefType> &&
                                      std::is_base_of_v<Object, ObjectType>>>
inline constexpr bool object_ref_contains_v = RefType::_type_container_is_exact&&
    std::is_base_of_v<typename RefType::ContainerType, ObjectType>;

/*! \brief A new reference to an object that is already managed. */
template <typename RefType, typename ObjType>
inline RefType GetRef(const ObjType* ptr) {
  return details::ObjectUnsafe::ObjectRefFromUnowned<RefType>(
      const_cast<Object*>(static_cast<const Object*>(ptr)));
}
/*! \brief A new ObjectPtr to an object that is already managed. */
template <typename ObjType>
inline ObjectPtr<ObjType> GetObjectPtr(ObjType* ptr) {
  return details::ObjectUnsafe::ObjectPtrFromUnowned<ObjType>(static_cast<Object*>(ptr));
}

}  // namespace ffi
}  // namespace tvm

// Shared body of the type-info macros: depth, parent and index lookup of an object class.
#define TVM_FFI_OBJECT_INFO_LOOKUP_(TypeName, ParentType)             \
  static constexpr int32_t _type_depth = ParentType::_type_depth + 1; \
  using _type_parent = ParentType;                                    \
  static int32_t RuntimeTypeIndex() {                                 \
    static int32_t tindex = TypeName::_GetOrAllocRuntimeTypeIndex();  \
    return tindex;                                                    \
  }
// A builtin's index is a constant: no guarded static, so allocating one (a heap String) stores
// its header once instead of zeroing it around a guard check.
#define TVM_FFI_OBJECT_INFO_STATIC_LOOKUP_(TypeName, ParentType)      \
  static constexpr int32_t _type_depth = ParentType::_type_depth + 1; \
  using _type_parent = ParentType;                                    \
  TVM_FFI_INLINE static int32_t RuntimeTypeIndex() noexcept { return TypeName::_type_index; }

/*!
 * \brief Like TVM_FFI_DECLARE_OBJECT_INFO for a class that declares its own `_type_key` (a
 *        template base can then declare the type information of the class deriving from it).
 */
#define TVM_FFI_DECLARE_OBJECT_INFO_PREDEFINED_TYPE_KEY(TypeName, ParentType)                   \
  TVM_FFI_OBJECT_INFO_LOOKUP_(TypeName, ParentType)                                             \
  static int32_t _GetOrAllocRuntimeTypeIndex() {                                                \
    static_assert(!ParentType::_type_final, "ParentType is final");                             \
    static int32_t tindex = [] {                                                                \
      TVMFFIByteArray key{TypeName::_type_key,                                                  \
                          std::char_traits<char>::length(TypeName::_type_key)};                 \
      return TVMFFITypeGetOrAllocIndex(                                                         \
          &key, -1, TypeName::_type_depth, TypeName::_type_child_slots,                         \
          TypeName::_type_child_slots_can_overflow, ParentType::_GetOrAllocRuntimeTypeIndex()); \
    }();                                                                                        \
    return tindex;                                                                              \
  }

/*! \brief Declares an object class whose index is allocated at runtime under ParentType. */
#define TVM_FFI_DECLARE_OBJECT_INFO(TypeKey, TypeName, ParentType) \
  static constexpr const char* _type_key = TypeKey;                \
  TVM_FFI_DECLARE_OBJECT_INFO_PREDEFINED_TYPE_KEY(TypeName, ParentType)

/*! \brief Like TVM_FFI_DECLARE_OBJECT_INFO for a class that has no subclasses. */
#define TVM_FFI_DECLARE_OBJECT_INFO_FINAL(TypeKey, TypeName, ParentType) \
  static constexpr bool _type_final = true;                              \
  static constexpr uint32_t _type_child_slots = 0;                       \
  TVM_FFI_DECLARE_OBJECT_INFO(TypeKey, TypeName, ParentType)

/*! \brief For builtin classes whose `_type_index` is one of the static indices. */
#define TVM_FFI_DECLARE_OBJECT_INFO_STATIC(TypeKey, TypeName, ParentType) \
  static constexpr const char* _type_key = TypeKey;                       \
  TVM_FFI_OBJECT_INFO_STATIC_LOOKUP_(TypeName, ParentType)                \
  static int32_t _GetOrAllocRuntimeTypeIndex() { return TypeName::_type_index; }

/*! \brief Reference class methods for a reference that may be null. */
#define TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(TypeName, ParentType, ObjectName)   \
  TypeName() = default;                                                                \
  explicit TypeName(::tvm::ffi::ObjectPtr<ObjectName> n) : ParentType(std::move(n)) {} \
  explicit TypeName(::tvm::ffi::UnsafeInit tag) : ParentType(tag) {}                   \
  TVM_FFI_DEFINE_DEFAULT_COPY_MOVE_AND_ASSIGN(TypeName)                                \
  TVM_FFI_OBJECT_REF_ACCESSORS_(ObjectName)                                            \
  static constexpr bool _type_is_nullable = true;                                      \
  using ContainerType = ObjectName

/*! \brief Reference class methods for a reference that is never null. */
#define TVM_FFI_DEFINE_OBJECT_REF_METHODS_NOTNULLABLE(TypeName, ParentType, ObjectName) \
  explicit TypeName(::tvm::ffi::UnsafeInit tag) : ParentType(tag) {}                    \
  TVM_FFI_DEFINE_DEFAULT_COPY_MOVE_AND_ASSIGN(TypeName)                                 \
  TVM_FFI_OBJECT_REF_ACCESSORS_(ObjectName)                                             \
  static constexpr bool _type_is_nullable = false;                                      \
  using ContainerType = ObjectName

// operator-> and get(): a mutable pointer for a class declared _type_mutable, else const.
#define TVM_FFI_OBJECT_REF_ACCESSORS_(ObjectName)                                           \
  using TVMFFIObjectPtrType_ =                                                              \
      std::conditional_t<(ObjectName::_type_mutable), ObjectName*, const ObjectName*>;      \
  TVMFFIObjectPtrType_ operator->() const {                                                 \
    return static_cast<TVMFFIObjectPtrType_>(const_cast<::tvm::ffi::Object*>(data_.get())); \
  }                                                                                         \
  TVMFFIObjectPtrType_ get() const { return operator->(); }

#endif  // TVM_FFI_OBJECT_H_
