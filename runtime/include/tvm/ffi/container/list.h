/*
 * tvmffi-rpc runtime: List<T>, a mutable sequence shared by reference (unlike Array, no copy on
 * write: every List handle to one ListObj sees each change). ListObj keeps its Anys in a buffer
 * of its own that grows by doubling (data_deleter frees it), so upstream-built code and this
 * library free each other's lists correctly.
 */
#ifndef TVM_FFI_CONTAINER_LIST_H_
#define TVM_FFI_CONTAINER_LIST_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/container/seq_base.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {

class ListObj : public SeqBaseObj {
 public:
  /*! \brief A list of n copies of value. */
  static ObjectPtr<ListObj> CreateRepeated(int64_t n, const Any& value) {
    ObjectPtr<ListObj> p = Empty(n);
    p->EnlargeBy(n, value);
    return p;
  }
  /*! \brief Makes room for n elements (never shrinks). */
  void Reserve(int64_t n) {
    if (n <= TVMFFISeqCell::capacity) return;
    void* buffer = ::operator new(sizeof(Any) * static_cast<size_t>(n));
    Any* old = MutableBegin();
    std::uninitialized_move(old, old + TVMFFISeqCell::size, static_cast<Any*>(buffer));
    std::destroy(old, old + TVMFFISeqCell::size);
    Any* fresh = static_cast<Any*>(buffer);
    if (data_deleter != nullptr) data_deleter(data);
    data = fresh;
    data_deleter = FreeBuffer;
    TVMFFISeqCell::capacity = n;
  }

  static constexpr int32_t _type_index = TypeIndex::kTVMFFIList;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIList, ListObj, Object);

 private:
  static ObjectPtr<ListObj> Empty(int64_t capacity) {
    if (capacity < 0) TVM_FFI_THROW(ValueError) << "cannot construct a List of negative size";
    ObjectPtr<ListObj> p = make_object<ListObj>();
    p->Reserve(capacity);
    return p;
  }
  // Room for `extra` more elements: doubling, at least 4.
  void Grow(int64_t extra) {
    int64_t need = TVMFFISeqCell::size + extra;
    if (need <= TVMFFISeqCell::capacity) return;
    Reserve(std::max<int64_t>({need, TVMFFISeqCell::capacity * 2, 4}));
  }
  static void FreeBuffer(void* buffer) { ::operator delete(buffer); }

  template <typename, typename>
  friend class List;
};

/*! \brief A mutable, shared sequence of T. Never null. */
template <typename T, typename = std::enable_if_t<details::storage_enabled_v<T>>>
class List : public ObjectRef {
 public:
  static constexpr bool _type_custom_any_traits = true;
  using value_type = T;
  using ContainerType = ListObj;
  static constexpr bool _type_is_nullable = false;
  static constexpr bool _type_container_is_exact = false;

  List() : ObjectRef(ListObj::Empty(0)) {}
  explicit List(UnsafeInit tag) : ObjectRef(tag) {}
  explicit List(ObjectPtr<Object> n) : ObjectRef(std::move(n)) {}
  List(const List&) = default;
  List(List&&) = default;
  List& operator=(const List&) = default;
  List& operator=(List&&) = default;
  template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && type_subsumes_v<T, U>>>
  List(const List<U>& other) : ObjectRef(other) {}  // NOLINT(*)
  template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && type_subsumes_v<T, U>>>
  List(List<U>&& other) : ObjectRef(std::move(other)) {}  // NOLINT(*)
  template <typename U, typename = std::enable_if_t<!std::is_same_v<T, U> && type_subsumes_v<T, U>>>
  List& operator=(const List<U>& other) {
    ObjectRef::operator=(other);
    return *this;
  }
  template <typename Iter>
  List(Iter first, Iter last) : List() {
    Assign(first, last);
  }
  List(std::initializer_list<T> init) : List(init.begin(), init.end()) {}
  List(const std::vector<T>& init) : List(init.begin(), init.end()) {}  // NOLINT(*)
  List(size_t n, const T& value)
      : ObjectRef(ListObj::CreateRepeated(static_cast<int64_t>(n), Any(value))) {}

  using iterator = details::SeqIterator<T>;
  iterator begin() const { return iterator(GetListObj()->begin()); }
  iterator end() const { return iterator(GetListObj()->end()); }
  std::reverse_iterator<iterator> rbegin() const { return std::reverse_iterator<iterator>(end()); }
  std::reverse_iterator<iterator> rend() const { return std::reverse_iterator<iterator>(begin()); }

  /*! \brief Element i converted to T (IndexError when out of range). */
  T operator[](int64_t i) const { return Convert((*GetListObj())[i]); }
  size_t size() const { return GetListObj()->size(); }
  size_t capacity() const { return GetListObj()->capacity(); }
  bool empty() const { return size() == 0; }
  T front() const { return Convert(GetListObj()->front()); }
  T back() const { return Convert(GetListObj()->back()); }

  void push_back(const T& item) {
    ListObj* p = Mutable(1);
    p->EmplaceInit(p->size(), Any(item));
    ++p->TVMFFISeqCell::size;
  }
  template <typename... Args>
  void emplace_back(Args&&... args) {
    push_back(T(std::forward<Args>(args)...));
  }
  void insert(iterator position, const T& value) {
    int64_t idx = Index(position);
    Mutable(1)->insert(idx, Any(value));
  }
  template <typename Iter>
  void insert(iterator position, Iter first, Iter last) {
    int64_t idx = Index(position);
    std::vector<Any> values;
    for (; first != last; ++first) values.emplace_back(T(*first));
    Mutable(static_cast<int64_t>(values.size()))->insert(idx, values.begin(), values.end());
  }
  void pop_back() { Mutable(0)->pop_back(); }
  void erase(iterator position) { Mutable(0)->erase(Index(position)); }
  void erase(iterator first, iterator last) { Mutable(0)->erase(Index(first), Index(last)); }
  void resize(int64_t n) {
    if (n < 0) TVM_FFI_THROW(ValueError) << "cannot resize a List to a negative size";
    Mutable(std::max<int64_t>(0, n - static_cast<int64_t>(size())))->resize(n);
  }
  void reserve(int64_t n) { Mutable(0)->Reserve(n); }
  void clear() { Mutable(0)->clear(); }
  /*! \brief Replaces element i (IndexError when out of range). */
  void Set(int64_t i, T value) { Mutable(0)->SetItem(i, Any(std::move(value))); }
  /*! \brief Replaces the contents with [first, last). */
  template <typename Iter>
  void Assign(Iter first, Iter last) {
    std::vector<Any> values;
    for (; first != last; ++first) values.emplace_back(T(*first));
    ListObj* p = Mutable(0);
    p->clear();
    p->Reserve(static_cast<int64_t>(values.size()));
    for (Any& v : values) {
      p->EmplaceInit(p->size(), std::move(v));
      ++p->TVMFFISeqCell::size;
    }
  }

  ListObj* GetListObj() const { return static_cast<ListObj*>(const_cast<Object*>(data_.get())); }
  const ListObj* operator->() const { return GetListObj(); }
  const ListObj* get() const { return GetListObj(); }

 private:
  static T Convert(const Any& elem) { return details::SeqElementAs<T>(elem); }
  int64_t Index(const iterator& it) const { return it.get() - GetListObj()->begin(); }
  ListObj* Mutable(int64_t extra) {
    ListObj* p = GetListObj();
    p->Grow(extra);
    return p;
  }
};

template <typename T>
struct TypeTraits<List<T>>
    : details::SeqTraitsImpl<List<T>, ListObj, T, TypeIndex::kTVMFFIList, TypeIndex::kTVMFFIArray> {
  static std::string TypeStr() { return "List<" + TypeTraits<T>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return "{\"type\":\"ffi.List\",\"args\":[" + TypeTraits<T>::TypeSchema() + "]}";
  }
};

template <typename T, typename U>
inline constexpr bool type_subsumes_v<List<T>, List<U>> = type_subsumes_v<T, U>;

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_LIST_H_
