/*
 * tvmffi-rpc runtime: Array<T>, an immutable copy-on-write sequence. ArrayObj is header +
 * TVMFFISeqCell with the Any elements stored inline after the object (data_deleter NULL).
 */
#ifndef TVM_FFI_CONTAINER_ARRAY_H_
#define TVM_FFI_CONTAINER_ARRAY_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {

/*! \brief Array storage: elements are `size` Anys at `data` (inline, capacity reserved). */
class ArrayObj : public Object, public TVMFFISeqCell {
 public:
  ArrayObj() {
    data = nullptr;
    size = 0;
    capacity = 0;
    data_deleter = nullptr;
  }
  ~ArrayObj() {
    Any* elems = MutableBegin();
    for (int64_t i = 0; i < size; ++i) elems[i].Any::~Any();
    if (data_deleter != nullptr) data_deleter(data);
  }
  const Any* begin() const { return static_cast<const Any*>(data); }
  const Any* end() const { return begin() + size; }
  const Any& operator[](int64_t i) const { return begin()[i]; }
  Any* MutableBegin() { return static_cast<Any*>(data); }

  /*! \brief An empty array with room for capacity elements. */
  static ObjectPtr<ArrayObj> Empty(int64_t capacity) {
    ObjectPtr<ArrayObj> p = make_inplace_array_object<ArrayObj, Any>(static_cast<size_t>(capacity));
    p->data = reinterpret_cast<char*>(p.get()) + sizeof(ArrayObj);
    p->capacity = capacity;
    return p;
  }
  /*! \brief Appends; the caller guarantees size < capacity. */
  void EmplaceBackUnchecked(Any value) {
    new (MutableBegin() + size) Any(std::move(value));
    ++size;
  }

  static constexpr int32_t _type_index = TypeIndex::kTVMFFIArray;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIArray, ArrayObj, Object);
};
static_assert(sizeof(ArrayObj) == 56, "ArrayObj is header + TVMFFISeqCell");

/*! \brief Immutable sequence of T with copy-on-write mutation. Never null. */
template <typename T>
class Array : public ObjectRef {
 public:
  static constexpr bool _type_custom_any_traits = true;
  using value_type = T;
  using ContainerType = ArrayObj;
  static constexpr bool _type_is_nullable = false;

  Array() : ObjectRef(ArrayObj::Empty(0)) {}
  Array(std::initializer_list<T> init) : Array(init.begin(), init.end()) {}
  Array(const std::vector<T>& init) : Array(init.begin(), init.end()) {}  // NOLINT(*)
  template <typename Iter>
  Array(Iter first, Iter last) {
    int64_t n = static_cast<int64_t>(std::distance(first, last));
    ObjectPtr<ArrayObj> p = ArrayObj::Empty(n);
    for (; first != last; ++first) p->EmplaceBackUnchecked(Any(T(*first)));
    data_ = std::move(p);
  }
  explicit Array(ObjectPtr<ArrayObj> p) : ObjectRef(std::move(p)) {}
  explicit Array(UnsafeInit tag) : ObjectRef(tag) {}
  Array(const Array&) = default;
  Array(Array&&) = default;
  Array& operator=(const Array&) = default;
  Array& operator=(Array&&) = default;
  /*! \brief An Array<U> whose elements every T can hold (e.g. Array<int> as
   *         Array<Variant<int, float>>) shares its storage. */
  template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && type_subsumes_v<T, U>>>
  Array(const Array<U>& other) : ObjectRef(other) {}  // NOLINT(*)
  template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && type_subsumes_v<T, U>>>
  Array(Array<U>&& other) : ObjectRef(std::move(other)) {}  // NOLINT(*)
  template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && type_subsumes_v<T, U>>>
  Array& operator=(const Array<U>& other) {
    ObjectRef::operator=(other);
    return *this;
  }

  size_t size() const { return static_cast<size_t>(GetArrayObj()->size); }
  bool empty() const { return size() == 0; }
  /*! \brief Element i converted to T (IndexError when out of range). */
  T operator[](int64_t i) const {
    if (i < 0 || i >= static_cast<int64_t>(size())) {
      TVM_FFI_THROW(IndexError) << "Array index " << i << " out of range [0, " << size() << ")";
    }
    return Get(i);
  }
  T front() const { return (*this)[0]; }
  T back() const { return (*this)[static_cast<int64_t>(size()) - 1]; }

  void push_back(T value) {
    ArrayObj* p = CopyOnWrite(1);
    p->EmplaceBackUnchecked(Any(std::move(value)));
  }
  void Set(int64_t i, T value) {
    if (i < 0 || i >= static_cast<int64_t>(size())) {
      TVM_FFI_THROW(IndexError) << "Array index " << i << " out of range [0, " << size() << ")";
    }
    ArrayObj* p = CopyOnWrite(0);
    p->MutableBegin()[i] = Any(std::move(value));
  }
  void pop_back() {
    ArrayObj* p = CopyOnWrite(0);
    p->MutableBegin()[p->size - 1].reset();
    --p->size;
  }
  void clear() { data_ = ArrayObj::Empty(0); }
  void reserve(int64_t n) {
    if (n > GetArrayObj()->capacity) Reallocate(n);
  }

  /*! \brief Iterates elements converted to T. */
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = T;
    explicit iterator(const Any* ptr) : ptr_(ptr) {}
    T operator*() const { return ConvertElem(*ptr_); }
    iterator& operator++() {
      ++ptr_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++ptr_;
      return old;
    }
    difference_type operator-(const iterator& other) const { return ptr_ - other.ptr_; }
    bool operator==(const iterator& other) const { return ptr_ == other.ptr_; }
    bool operator!=(const iterator& other) const { return ptr_ != other.ptr_; }

   private:
    const Any* ptr_;
  };
  iterator begin() const { return iterator(GetArrayObj()->begin()); }
  iterator end() const { return iterator(GetArrayObj()->end()); }

  const ArrayObj* GetArrayObj() const { return static_cast<const ArrayObj*>(data_.get()); }
  const ArrayObj* operator->() const { return GetArrayObj(); }
  const ArrayObj* get() const { return GetArrayObj(); }

 private:
  static T ConvertElem(const Any& elem) {
    if constexpr (std::is_same_v<T, Any>) {
      return elem;
    } else {
      return elem.cast<T>();
    }
  }
  T Get(int64_t i) const { return ConvertElem((*GetArrayObj())[i]); }
  // Makes the storage unique with room for extra more elements.
  ArrayObj* CopyOnWrite(int64_t extra) {
    const ArrayObj* cur = GetArrayObj();
    int64_t need = cur->size + extra;
    if (!data_.unique() || need > cur->capacity) {
      int64_t cap = cur->capacity;
      if (need > cap) cap = std::max<int64_t>(need, cap * 2);
      Reallocate(cap);
    }
    return static_cast<ArrayObj*>(data_.get());
  }
  void Reallocate(int64_t capacity) {
    const ArrayObj* cur = GetArrayObj();
    ObjectPtr<ArrayObj> p = ArrayObj::Empty(capacity);
    if (data_.unique()) {
      // Sole owner: move elements instead of bumping reference counts.
      ArrayObj* mut = static_cast<ArrayObj*>(data_.get());
      for (int64_t i = 0; i < mut->size; ++i) {
        p->EmplaceBackUnchecked(std::move(mut->MutableBegin()[i]));
      }
    } else {
      for (int64_t i = 0; i < cur->size; ++i) p->EmplaceBackUnchecked((*cur)[i]);
    }
    data_ = std::move(p);
  }
};

template <typename T, typename U>
inline constexpr bool type_subsumes_v<Array<T>, Array<U>> = type_subsumes_v<T, U>;

template <typename T>
struct TypeTraits<Array<T>> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static void CopyToAnyView(const Array<T>& src, TVMFFIAny* result) {
    TypeTraits<ObjectRef>::CopyToAnyView(src, result);  // same storage as any object
  }
  static void MoveToAny(Array<T> src, TVMFFIAny* result) {
    TypeTraits<ObjectRef>::MoveToAny(std::move(src), result);
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIArray) return false;
    if constexpr (std::is_same_v<T, Any>) {
      return true;
    } else {
      const ArrayObj* arr = reinterpret_cast<const ArrayObj*>(src->v_obj);
      for (const Any& elem : *arr) {
        if (!TypeTraits<T>::CheckAnyStrict(details::AnyUnsafe::TVMFFIAnyPtrFromAny(elem))) {
          return false;
        }
      }
      return true;
    }
  }
  static Array<T> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return details::ObjectUnsafe::ObjectRefFromUnowned<Array<T>>(
        reinterpret_cast<Object*>(src->v_obj));
  }
  static Array<T> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Object* obj = reinterpret_cast<Object*>(src->v_obj);
    details::SetNone(src);
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<Array<T>>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
  }
  static std::optional<Array<T>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index != TypeIndex::kTVMFFIArray) return std::nullopt;
    // Convert element-wise into a new array.
    const ArrayObj* arr = reinterpret_cast<const ArrayObj*>(src->v_obj);
    ObjectPtr<ArrayObj> out = ArrayObj::Empty(arr->size);
    for (const Any& elem : *arr) {
      std::optional<T> conv = elem.try_cast<T>();
      if (!conv.has_value()) return std::nullopt;
      out->EmplaceBackUnchecked(Any(std::move(*conv)));
    }
    return Array<T>(std::move(out));
  }
  static std::string TypeStr() { return "Array<" + TypeTraits<T>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return "{\"type\":\"ffi.Array\",\"args\":[" + TypeTraits<T>::TypeSchema() + "]}";
  }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_ARRAY_H_
