/*
 * tvmffi-rpc runtime: Array<T>, an immutable copy-on-write sequence. ArrayObj is header +
 * TVMFFISeqCell with the Any elements stored inline after the object (data_deleter NULL).
 */
#ifndef TVM_FFI_CONTAINER_ARRAY_H_
#define TVM_FFI_CONTAINER_ARRAY_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/container/seq_base.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {

/*! \brief Array storage: `size` Anys stored inline after the object (data_deleter null). */
class ArrayObj : public SeqBaseObj {
 public:
  /*! \brief An empty array with room for capacity elements. */
  static ObjectPtr<ArrayObj> Empty(int64_t capacity) {
    if (capacity < 0) TVM_FFI_THROW(ValueError) << "cannot construct an Array of negative size";
    ObjectPtr<ArrayObj> p = make_inplace_array_object<ArrayObj, Any>(static_cast<size_t>(capacity));
    p->data = reinterpret_cast<char*>(p.get()) + sizeof(ArrayObj);
    p->TVMFFISeqCell::capacity = capacity;
    return p;
  }
  /*! \brief n copies of value. */
  static ObjectPtr<ArrayObj> CreateRepeated(int64_t n, const Any& value) {
    ObjectPtr<ArrayObj> p = Empty(n);
    p->EnlargeBy(n, value);
    return p;
  }
  /*! \brief Appends; the caller guarantees size < capacity. */
  void EmplaceBackUnchecked(Any value) {
    EmplaceInit(size(), std::move(value));
    ++TVMFFISeqCell::size;
  }
  Any* MutableBegin() const { return SeqBaseObj::MutableBegin(); }

  static constexpr int32_t _type_index = TypeIndex::kTVMFFIArray;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIArray, ArrayObj, Object);
};
static_assert(sizeof(ArrayObj) == 56, "ArrayObj is header + TVMFFISeqCell");

/*! \brief Immutable sequence of T with copy-on-write mutation. Never null. */
template <typename T, typename = std::enable_if_t<details::storage_enabled_v<T>>>
class Array : public ObjectRef {
 public:
  static constexpr bool _type_custom_any_traits = true;
  using value_type = T;
  using ContainerType = ArrayObj;
  static constexpr bool _type_is_nullable = false;
  static constexpr bool _type_container_is_exact = false;

  Array() : ObjectRef(ArrayObj::Empty(kMinGrowth)) {}
  Array(std::initializer_list<T> init) : Array(init.begin(), init.end()) {}
  Array(const std::vector<T>& init) : Array(init.begin(), init.end()) {}  // NOLINT(*)
  template <typename Iter>
  Array(Iter first, Iter last) {
    int64_t n = static_cast<int64_t>(std::distance(first, last));
    ObjectPtr<ArrayObj> p = ArrayObj::Empty(n);
    for (; first != last; ++first) p->EmplaceBackUnchecked(Any(T(*first)));
    data_ = std::move(p);
  }
  /*! \brief n copies of value. */
  Array(size_t n, const T& value)
      : ObjectRef(ArrayObj::CreateRepeated(static_cast<int64_t>(n), Any(value))) {}
  explicit Array(ObjectPtr<ArrayObj> p) : ObjectRef(std::move(p)) {}
  explicit Array(ObjectPtr<Object> p) : ObjectRef(std::move(p)) {}
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

  size_t size() const { return GetArrayObj()->size(); }
  size_t capacity() const { return GetArrayObj()->capacity(); }
  bool empty() const { return size() == 0; }
  /*! \brief Element i converted to T (IndexError when out of range). */
  T operator[](int64_t i) const {
    if (i < 0 || i >= static_cast<int64_t>(size())) {
      TVM_FFI_THROW(IndexError) << "Array index " << i << " out of range [0, " << size() << ")";
    }
    return Get(i);
  }
  T front() const {
    if (empty()) TVM_FFI_THROW(IndexError) << "front() on an empty Array";
    return Get(0);
  }
  T back() const {
    if (empty()) TVM_FFI_THROW(IndexError) << "back() on an empty Array";
    return Get(static_cast<int64_t>(size()) - 1);
  }

  void push_back(T value) { CopyOnWrite(1)->EmplaceBackUnchecked(Any(std::move(value))); }

  /*! \brief fmap of every element, as an Array<U>. When a T can be a U or a U a T, and every
   *         element maps to itself, the result is this array (same storage). */
  template <typename F, typename U = std::invoke_result_t<F, T>>
  Array<U> Map(F fmap) const {
    return Array<U>(Apply<U>(data_, fmap));
  }
  /*! \brief Replaces every element with fmutate(element): in place when this handle is the
   *         array's only one (each element is then handed over as the only reference to it),
   *         else into a copy, made at the first element that changes. */
  template <typename F, typename = std::enable_if_t<std::is_same_v<T, std::invoke_result_t<F, T>>>>
  void MutateByApply(F fmutate) {
    data_ = Apply<T>(std::move(data_), fmutate);
  }
  template <typename... Args>
  void emplace_back(Args&&... args) {
    push_back(T(std::forward<Args>(args)...));
  }
  void Set(int64_t i, T value) {
    if (i < 0 || i >= static_cast<int64_t>(size())) {
      TVM_FFI_THROW(IndexError) << "Array index " << i << " out of range [0, " << size() << ")";
    }
    CopyOnWrite(0)->SetItem(i, Any(std::move(value)));
  }
  void pop_back() {
    if (empty()) TVM_FFI_THROW(IndexError) << "pop_back() on an empty Array";
    CopyOnWrite(0)->pop_back();
  }
  void clear() { data_ = ArrayObj::Empty(0); }
  void reserve(int64_t n) {
    if (n > static_cast<int64_t>(capacity())) Reallocate(n);
  }
  void resize(int64_t n) {
    int64_t extra = n > static_cast<int64_t>(size()) ? n - static_cast<int64_t>(size()) : 0;
    CopyOnWrite(extra)->resize(n);
  }

  using iterator = details::SeqIterator<T, /*kChecked=*/false>;
  iterator begin() const { return iterator(GetArrayObj()->begin()); }
  iterator end() const { return iterator(GetArrayObj()->end()); }

  void insert(iterator position, const T& value) {
    int64_t idx = position - begin();
    CopyOnWrite(1)->insert(idx, Any(value));
  }
  template <typename Iter>
  void insert(iterator position, Iter first, Iter last) {
    int64_t idx = position - begin();
    int64_t n = static_cast<int64_t>(std::distance(first, last));
    std::vector<Any> values;
    values.reserve(static_cast<size_t>(n));
    for (; first != last; ++first) values.emplace_back(T(*first));
    CopyOnWrite(n)->insert(idx, values.begin(), values.end());
  }
  void erase(iterator position) {
    int64_t idx = position - begin();
    CopyOnWrite(0)->erase(idx);
  }
  void erase(iterator first, iterator last) {
    int64_t a = first - begin();
    int64_t b = last - begin();
    CopyOnWrite(0)->erase(a, b);
  }

  ArrayObj* GetArrayObj() const { return static_cast<ArrayObj*>(data_.get()); }
  const ArrayObj* operator->() const { return GetArrayObj(); }
  const ArrayObj* get() const { return GetArrayObj(); }

 private:
  // An Array holds only Ts (checked on the way in, and nobody can change it behind this handle:
  // it copies on write), so reading one needs no check, as upstream's does not.
  static T ConvertElem(const Any& elem) { return details::SeqElementAsUnchecked<T>(elem); }
  T Get(int64_t i) const { return ConvertElem(GetArrayObj()->begin()[i]); }
  // Map and MutateByApply: f over the elements of data (an ArrayObj), as storage for Array<U>.
  template <typename U, typename F>
  static ObjectPtr<Object> Apply(ObjectPtr<Object> data, F& f) {
    if (data == nullptr) return data;
    ArrayObj* arr = static_cast<ArrayObj*>(data.get());
    const int64_t n = static_cast<int64_t>(arr->size());
    if constexpr (std::is_same_v<T, U>) {
      if (data.unique()) {
        Any* elems = arr->MutableBegin();
        for (int64_t i = 0; i < n; ++i) {
          T value = ConvertElem(elems[i]);
          elems[i] = Any();  // value is now the element's only reference here
          elems[i] = Any(f(std::move(value)));
        }
        return data;
      }
    }
    int64_t i = 0;
    ObjectPtr<ArrayObj> out;
    constexpr bool related = std::is_same_v<T, U> || type_subsumes_v<T, U> || type_subsumes_v<U, T>;
    if constexpr (related) {
      // Keep the storage while elements map to themselves; copy from the first that does not.
      for (; i < n; ++i) {
        Any mapped(f(ConvertElem(arr->begin()[i])));
        if (!arr->begin()[i].same_as(mapped)) {
          out = ArrayObj::Empty(n);
          for (int64_t j = 0; j < i; ++j) out->EmplaceBackUnchecked(arr->begin()[j]);
          out->EmplaceBackUnchecked(std::move(mapped));
          ++i;
          break;
        }
      }
      if (out == nullptr) return data;
    } else {
      out = ArrayObj::Empty(n);
    }
    for (; i < n; ++i) out->EmplaceBackUnchecked(Any(f(ConvertElem(arr->begin()[i]))));
    return out;
  }
  // Makes the storage unique with room for extra more elements.
  // The first growth makes room for 4, as upstream's does (then doubling).
  static constexpr int64_t kMinGrowth = 4;
  ArrayObj* CopyOnWrite(int64_t extra) {
    const ArrayObj* cur = GetArrayObj();
    int64_t need = static_cast<int64_t>(cur->size()) + extra;
    int64_t cap = static_cast<int64_t>(cur->capacity());
    if (!data_.unique() || need > cap) {
      if (need > cap) cap = std::max<int64_t>({need, cap * 2, kMinGrowth});
      Reallocate(cap);
    }
    return static_cast<ArrayObj*>(data_.get());
  }
  void Reallocate(int64_t capacity) {
    const ArrayObj* cur = GetArrayObj();
    ObjectPtr<ArrayObj> p = ArrayObj::Empty(capacity);
    if (data_.unique()) {
      // Sole owner: an Any moves by its bytes, so the elements are relocated with one copy and
      // the old array is left empty (nothing to destroy there).
      auto* old = static_cast<ArrayObj*>(data_.get());
      int64_t n = old->TVMFFISeqCell::size;
      if (n > 0) {
        std::memcpy(static_cast<void*>(p->MutableBegin()), old->MutableBegin(),
                    static_cast<size_t>(n) * sizeof(Any));
      }
      p->TVMFFISeqCell::size = n;
      old->TVMFFISeqCell::size = 0;
    } else {
      for (const Any& elem : *cur) p->EmplaceBackUnchecked(elem);
    }
    data_ = std::move(p);
  }
};

template <typename T, typename U>
inline constexpr bool type_subsumes_v<Array<T>, Array<U>> = type_subsumes_v<T, U>;

/*! \brief lhs followed by rhs's elements (lhs's storage is reused when it is the only handle). */
template <typename T>
inline Array<T> Concat(Array<T> lhs, const Array<T>& rhs) {
  lhs.insert(lhs.end(), rhs.begin(), rhs.end());
  return lhs;
}

namespace details {
// Traits shared by Array<T> and List<T>: stored as their own container (elements checked
// without conversion), converted element-wise from the other one or with converting elements.
template <typename SeqRef, typename SeqObj, typename T, int32_t kOwnIndex, int32_t kOtherIndex>
struct SeqTraitsImpl : ObjectRefTypeTraitsBase<SeqRef> {
  static constexpr int32_t field_static_type_index = kOwnIndex;
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    if (src->type_index != kOwnIndex) return false;
    if constexpr (std::is_same_v<T, Any>) {
      return true;
    } else {
      for (const Any& elem : *reinterpret_cast<const SeqBaseObj*>(src->v_obj)) {
        if (!TypeTraits<T>::CheckAnyStrict(AnyUnsafe::TVMFFIAnyPtrFromAny(elem))) return false;
      }
      return true;
    }
  }
  static SeqRef CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return ObjectUnsafe::ObjectRefFromUnowned<SeqRef>(reinterpret_cast<Object*>(src->v_obj));
  }
  static SeqRef MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Object* obj = reinterpret_cast<Object*>(src->v_obj);
    SetNone(src);
    return ObjectUnsafe::ObjectRefFromObjectPtr<SeqRef>(
        ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
  }
  static std::optional<SeqRef> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index != kOwnIndex && src->type_index != kOtherIndex) return std::nullopt;
    const SeqBaseObj* seq = reinterpret_cast<const SeqBaseObj*>(src->v_obj);
    SeqRef out;
    out.reserve(static_cast<int64_t>(seq->size()));
    for (const Any& elem : *seq) {
      if constexpr (std::is_same_v<T, Any>) {
        out.push_back(elem);
      } else {
        std::optional<T> conv = elem.try_cast<T>();
        if (!conv.has_value()) return std::nullopt;
        out.push_back(std::move(*conv));
      }
    }
    return out;
  }
  static std::string GetMismatchTypeInfo(const TVMFFIAny* src) {
    if (src->type_index == kOwnIndex || src->type_index == kOtherIndex) {
      if constexpr (!std::is_same_v<T, Any>) {
        const SeqBaseObj* seq = reinterpret_cast<const SeqBaseObj*>(src->v_obj);
        for (size_t i = 0; i < seq->size(); ++i) {
          const Any& elem = (*seq)[static_cast<int64_t>(i)];
          if (!elem.try_cast<T>().has_value()) {
            return std::string(kOwnIndex == TypeIndex::kTVMFFIList ? "List" : "Array") + "[index " +
                   std::to_string(i) + ": " +
                   MismatchTypeInfo<T>(AnyUnsafe::TVMFFIAnyPtrFromAny(elem)) + "]";
          }
        }
      }
    }
    return AnyTypeStr(src);
  }
};
}  // namespace details

template <typename T>
struct TypeTraits<Array<T>> : details::SeqTraitsImpl<Array<T>, ArrayObj, T, TypeIndex::kTVMFFIArray,
                                                     TypeIndex::kTVMFFIList> {
  static std::string TypeStr() { return "Array<" + TypeTraits<T>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return "{\"type\":\"ffi.Array\",\"args\":[" + TypeTraits<T>::TypeSchema() + "]}";
  }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_ARRAY_H_
