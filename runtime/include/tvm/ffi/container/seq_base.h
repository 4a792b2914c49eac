/*
 * tvmffi-rpc runtime: SeqBaseObj, what ArrayObj and ListObj share: an object followed by a
 * TVMFFISeqCell (data, size, capacity, data_deleter). `size` Anys live at `data`, inline after
 * the object (Array: data_deleter null) or in a buffer of their own (List: data_deleter frees
 * it). The mutators here never grow the storage: the container reserves first.
 */
#ifndef TVM_FFI_CONTAINER_SEQ_BASE_H_
#define TVM_FFI_CONTAINER_SEQ_BASE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/object.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <new>
#include <utility>

namespace tvm {
namespace ffi {

class SeqBaseObj : public Object, protected TVMFFISeqCell {
 public:
  SeqBaseObj() {
    data = nullptr;
    TVMFFISeqCell::size = 0;
    TVMFFISeqCell::capacity = 0;
    data_deleter = nullptr;
  }
  ~SeqBaseObj() {
    Any* elems = MutableBegin();
    for (int64_t i = 0; i < TVMFFISeqCell::size; ++i) elems[i].Any::~Any();
    if (data_deleter != nullptr) data_deleter(data);
  }

  size_t size() const { return static_cast<size_t>(TVMFFISeqCell::size); }
  size_t capacity() const { return static_cast<size_t>(TVMFFISeqCell::capacity); }
  bool empty() const { return TVMFFISeqCell::size == 0; }
  /*! \brief Element i; an IndexError out of range. */
  const Any& operator[](int64_t i) const {
    if (i < 0 || i >= TVMFFISeqCell::size) {
      TVM_FFI_THROW(IndexError) << "Index " << i << " out of bounds " << TVMFFISeqCell::size;
    }
    return begin()[i];
  }
  const Any& at(int64_t i) const { return (*this)[i]; }
  const Any& front() const {
    if (empty()) TVM_FFI_THROW(IndexError) << "front() on empty sequence";
    return begin()[0];
  }
  const Any& back() const {
    if (empty()) TVM_FFI_THROW(IndexError) << "back() on empty sequence";
    return begin()[TVMFFISeqCell::size - 1];
  }
  const Any* begin() const { return static_cast<const Any*>(data); }
  const Any* end() const { return begin() + TVMFFISeqCell::size; }

  /*! \brief Drops every element (the storage stays). */
  void clear() { ShrinkBy(TVMFFISeqCell::size); }
  /*! \brief Replaces element i; an IndexError out of range. */
  void SetItem(int64_t i, Any item) {
    if (i < 0 || i >= TVMFFISeqCell::size) {
      TVM_FFI_THROW(IndexError) << "Index " << i << " out of bounds " << TVMFFISeqCell::size;
    }
    MutableBegin()[i] = std::move(item);
  }
  void pop_back() {
    if (empty()) TVM_FFI_THROW(IndexError) << "pop_back() on empty sequence";
    ShrinkBy(1);
  }
  /*! \brief Removes element idx. */
  void erase(int64_t idx) { erase(idx, idx + 1); }
  /*! \brief Removes elements [first, last). */
  void erase(int64_t first, int64_t last) {
    if (first < 0 || last > TVMFFISeqCell::size || first > last) {
      TVM_FFI_THROW(IndexError) << "erase range [" << first << ", " << last << ") out of bounds "
                                << TVMFFISeqCell::size;
    }
    if (first == last) return;
    std::move(MutableBegin() + last, MutableEnd(), MutableBegin() + first);
    ShrinkBy(last - first);
  }
  /*! \brief Inserts item before idx (the caller has made room). */
  void insert(int64_t idx, Any item) {
    CheckInsertAt(idx);
    EnlargeBy(1);
    std::move_backward(MutableBegin() + idx, MutableEnd() - 1, MutableEnd());
    MutableBegin()[idx] = std::move(item);
  }
  /*! \brief Inserts [first, last) before idx (the caller has made room). */
  template <typename IterType>
  void insert(int64_t idx, IterType first, IterType last) {
    CheckInsertAt(idx);
    int64_t n = static_cast<int64_t>(std::distance(first, last));
    if (n == 0) return;
    EnlargeBy(n);
    std::move_backward(MutableBegin() + idx, MutableEnd() - n, MutableEnd());
    for (Any* out = MutableBegin() + idx; first != last; ++first, ++out) *out = Any(*first);
  }
  void Reverse() { std::reverse(MutableBegin(), MutableEnd()); }
  /*! \brief Grows with None or shrinks to n elements (the caller has made room). */
  void resize(int64_t n) {
    if (n < 0) TVM_FFI_THROW(ValueError) << "cannot resize to a negative size";
    if (n > TVMFFISeqCell::size) {
      EnlargeBy(n - TVMFFISeqCell::size);
    } else {
      ShrinkBy(TVMFFISeqCell::size - n);
    }
  }

 protected:
  Any* MutableBegin() const { return static_cast<Any*>(data); }
  Any* MutableEnd() const { return MutableBegin() + TVMFFISeqCell::size; }
  /*! \brief Constructs element idx in place (idx == size; room reserved). */
  template <typename... Args>
  void EmplaceInit(size_t idx, Args&&... args) {
    new (MutableBegin() + idx) Any(std::forward<Args>(args)...);
  }
  /*! \brief Appends delta copies of val (room reserved). */
  void EnlargeBy(int64_t delta, const Any& val = Any()) {
    Any* out = MutableEnd();
    for (int64_t i = 0; i < delta; ++i) new (out + i) Any(val);
    TVMFFISeqCell::size += delta;
  }
  /*! \brief Destroys the last delta elements. */
  void ShrinkBy(int64_t delta) {
    Any* last = MutableEnd();
    for (int64_t i = 1; i <= delta; ++i) (last - i)->Any::~Any();
    TVMFFISeqCell::size -= delta;
  }
  void CheckInsertAt(int64_t idx) const {
    if (idx < 0 || idx > TVMFFISeqCell::size) {
      TVM_FFI_THROW(IndexError) << "insert at " << idx << " out of bounds " << TVMFFISeqCell::size;
    }
  }
  template <typename, typename>
  friend class Array;
  template <typename, typename>
  friend class List;
  template <typename, typename>
  friend struct TypeTraits;
};

namespace details {
/*! \brief A random-access iterator over stored Anys that yields them converted to T. */
/*!
 * \brief A typed sequence's element as T. The element is normally stored exactly as a T (the
 *        sequence checked it on the way in): one type test, then a plain copy; otherwise the
 *        usual conversion (a TypeError when there is none).
 */
template <typename T>
TVM_FFI_INLINE T SeqElementAs(const Any& elem) {
  if constexpr (std::is_same_v<T, Any>) {
    return elem;
  } else {
    if constexpr (has_strict_check_v<T>) {
      const TVMFFIAny* cell = AnyUnsafe::TVMFFIAnyPtrFromAny(elem);
      if (TVM_FFI_LIKELY(TypeTraits<T>::CheckAnyStrict(cell))) {
        return TypeTraits<T>::CopyFromAnyViewAfterCheck(cell);
      }
    }
    return elem.cast<T>();
  }
}
/*! \brief A typed sequence's element as T without the type test: for a sequence that cannot
 *         hold another type (an Array: checked on the way in, copied on write). */
template <typename T>
TVM_FFI_INLINE T SeqElementAsUnchecked(const Any& elem) {
  if constexpr (std::is_same_v<T, Any>) {
    return elem;
  } else {
    return AnyUnsafe::CopyFromAnyViewAfterCheck<T>(elem);
  }
}

/*! \brief Iterator over a typed sequence. kChecked: each element is type-tested before it is
 *         read (List: shared and changed in place, another handle may have stored anything);
 *         Array's elements are read unchecked (see Array::ConvertElem). */
template <typename T, bool kChecked = true>
class SeqIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = T;
  SeqIterator() = default;
  explicit SeqIterator(const Any* ptr) : ptr_(ptr) {}
  T operator*() const {
    if constexpr (kChecked) {
      return SeqElementAs<T>(*ptr_);
    } else {
      return SeqElementAsUnchecked<T>(*ptr_);
    }
  }
  T operator[](difference_type n) const { return *(*this + n); }
  SeqIterator& operator++() {
    ++ptr_;
    return *this;
  }
  SeqIterator operator++(int) {
    SeqIterator old = *this;
    ++ptr_;
    return old;
  }
  SeqIterator& operator--() {
    --ptr_;
    return *this;
  }
  SeqIterator operator--(int) {
    SeqIterator old = *this;
    --ptr_;
    return old;
  }
  SeqIterator& operator+=(difference_type n) {
    ptr_ += n;
    return *this;
  }
  SeqIterator& operator-=(difference_type n) {
    ptr_ -= n;
    return *this;
  }
  SeqIterator operator+(difference_type n) const { return SeqIterator(ptr_ + n); }
  SeqIterator operator-(difference_type n) const { return SeqIterator(ptr_ - n); }
  difference_type operator-(const SeqIterator& other) const { return ptr_ - other.ptr_; }
  bool operator==(const SeqIterator& other) const { return ptr_ == other.ptr_; }
  bool operator!=(const SeqIterator& other) const { return ptr_ != other.ptr_; }
  bool operator<(const SeqIterator& other) const { return ptr_ < other.ptr_; }
  /*! \brief The stored Any this iterator is at. */
  const Any* get() const { return ptr_; }

 private:
  const Any* ptr_ = nullptr;
};
}  // namespace details

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_SEQ_BASE_H_
