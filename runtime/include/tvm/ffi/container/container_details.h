/*
 * tvmffi-rpc runtime: helpers shared by the typed containers. An iterator adapter that shows
 * the cells of a container (Any) as typed values, the same read backwards, the compile-time
 * checks a container's element types pass, and the "Name<T1, T2>" spelling of a container
 * type in messages.
 */
#ifndef TVM_FFI_CONTAINER_CONTAINER_DETAILS_H_
#define TVM_FFI_CONTAINER_CONTAINER_DETAILS_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>

#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {
namespace details {

/*!
 * \brief Walks `Iter` forwards and shows each cell through `Converter::convert`, which
 *        returns a `Converter::ResultType` by value.
 */
template <typename Converter, typename Iter>
class IterAdapter {
 public:
  using difference_type = typename std::iterator_traits<Iter>::difference_type;
  using value_type = typename Converter::ResultType;
  using pointer = const value_type*;
  using reference = const value_type;
  using iterator_category = typename std::iterator_traits<Iter>::iterator_category;

  explicit IterAdapter(Iter iter) : iter_(iter) {}

  reference operator*() const { return Converter::convert(*iter_); }
  IterAdapter& operator++() {
    ++iter_;
    return *this;
  }
  IterAdapter& operator--() {
    --iter_;
    return *this;
  }
  IterAdapter operator++(int) {
    IterAdapter before = *this;
    ++iter_;
    return before;
  }
  IterAdapter operator--(int) {
    IterAdapter before = *this;
    --iter_;
    return before;
  }
  IterAdapter operator+(difference_type n) const { return IterAdapter(iter_ + n); }
  IterAdapter operator-(difference_type n) const { return IterAdapter(iter_ - n); }
  IterAdapter& operator+=(difference_type n) {
    iter_ += n;
    return *this;
  }
  IterAdapter& operator-=(difference_type n) {
    iter_ -= n;
    return *this;
  }
  /*! \brief The distance between two positions (random-access iterators only). */
  template <typename Self = IterAdapter>
  std::enable_if_t<std::is_same_v<iterator_category, std::random_access_iterator_tag>,
                   typename Self::difference_type>
  operator-(const IterAdapter& other) const {
    return iter_ - other.iter_;
  }
  bool operator==(const IterAdapter& other) const { return iter_ == other.iter_; }
  bool operator!=(const IterAdapter& other) const { return iter_ != other.iter_; }

 private:
  Iter iter_;
};

/*! \brief IterAdapter walking backwards: ++ moves `Iter` towards the front. */
template <typename Converter, typename Iter>
class ReverseIterAdapter {
 public:
  using difference_type = typename std::iterator_traits<Iter>::difference_type;
  using value_type = typename Converter::ResultType;
  using pointer = const value_type*;
  using reference = const value_type;
  using iterator_category = typename std::iterator_traits<Iter>::iterator_category;

  explicit ReverseIterAdapter(Iter iter) : iter_(iter) {}

  reference operator*() const { return Converter::convert(*iter_); }
  ReverseIterAdapter& operator++() {
    --iter_;
    return *this;
  }
  ReverseIterAdapter& operator--() {
    ++iter_;
    return *this;
  }
  ReverseIterAdapter operator++(int) {
    ReverseIterAdapter before = *this;
    --iter_;
    return before;
  }
  ReverseIterAdapter operator--(int) {
    ReverseIterAdapter before = *this;
    ++iter_;
    return before;
  }
  ReverseIterAdapter operator+(difference_type n) const { return ReverseIterAdapter(iter_ - n); }
  template <typename Self = ReverseIterAdapter>
  std::enable_if_t<std::is_same_v<iterator_category, std::random_access_iterator_tag>,
                   typename Self::difference_type>
  operator-(const ReverseIterAdapter& other) const {
    return other.iter_ - iter_;
  }
  bool operator==(const ReverseIterAdapter& other) const { return iter_ == other.iter_; }
  bool operator!=(const ReverseIterAdapter& other) const { return iter_ != other.iter_; }

 private:
  Iter iter_;
};

// storage_enabled_v / all_storage_enabled_v live in type_traits.h (included through any.h).

/*! \brief Whether every T is an ObjectRef type. */
template <typename... T>
inline constexpr bool all_object_ref_v = (std::is_base_of_v<ObjectRef, T> && ...);

/*! \brief "Name<T1, T2, ...>" with each T spelled by Type2Str. */
template <typename... V>
std::string ContainerTypeStr(const char* name) {
  std::string out = std::string(name) + "<";
  bool first = true;
  auto add = [&](std::string part) {
    if (!first) out += ", ";
    out += part;
    first = false;
  };
  (add(Type2Str<V>::v()), ...);
  return out + ">";
}

}  // namespace details
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_CONTAINER_DETAILS_H_
