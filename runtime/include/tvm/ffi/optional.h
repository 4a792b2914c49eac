/*
 * tvmffi-rpc runtime: Optional<T>. For an ObjectRef T it is the (nullable) reference itself, 8
 * bytes; for other T it wraps std::optional<T>. None in an Any is the empty Optional.
 */
#ifndef TVM_FFI_OPTIONAL_H_
#define TVM_FFI_OPTIONAL_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/string.h>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

template <typename T, typename = void>
class Optional;

template <typename T>
inline constexpr bool is_optional_type_v = false;
template <typename T>
inline constexpr bool is_optional_type_v<Optional<T>> = true;
// References are their own optional (null: empty); an Optional of an Optional is not, so that
// the outer one keeps a representation of its own (an Any cell).
template <typename T>
inline constexpr bool use_object_ref_optional_v =
    std::is_base_of_v<ObjectRef, T> && !is_optional_type_v<T>;
// An ObjectPtr or Arc is its own optional too (null: empty), one pointer.
template <typename T>
inline constexpr bool is_object_ptr_type_v = false;
template <typename TObject>
inline constexpr bool is_object_ptr_type_v<ObjectPtr<TObject>> = true;
template <typename T>
inline constexpr bool is_arc_type_v = false;
template <typename TObject>
inline constexpr bool is_arc_type_v<Arc<TObject>> = true;
template <typename T>
inline constexpr bool use_object_ptr_optional_v = is_object_ptr_type_v<T> || is_arc_type_v<T>;

namespace details {
// U is a value an Optional<T> compares with or converts from: not an Optional, not the empty
// markers.
template <typename U>
inline constexpr bool optional_operand_v =
    !is_optional_type_v<std::decay_t<U>> && !std::is_same_v<std::decay_t<U>, std::nullopt_t> &&
    !std::is_same_v<std::decay_t<U>, std::nullptr_t>;
}  // namespace details

// Comparisons every Optional has, with the empty markers and with values (an empty Optional
// equals no value) and with another Optional of the same T (both empty, or equal values).
#define TVM_FFI_OPTIONAL_VALUE_COMPARISONS_                                                        \
  bool operator==(std::nullopt_t) const { return !has_value(); }                                   \
  bool operator!=(std::nullopt_t) const { return has_value(); }                                    \
  template <typename U, typename = std::enable_if_t<details::optional_operand_v<U>>>               \
  auto operator==(const U& other) const->decltype(std::declval<T>() == other) {                    \
    using R = decltype(std::declval<T>() == other);                                                \
    if (!has_value()) return R(false);                                                             \
    return **this == other;                                                                        \
  }                                                                                                \
  template <typename U, typename = std::enable_if_t<details::optional_operand_v<U>>>               \
  auto operator!=(const U& other) const->decltype(std::declval<T>() != other) {                    \
    using R = decltype(std::declval<T>() != other);                                                \
    if (!has_value()) return R(true);                                                              \
    return **this != other;                                                                        \
  }                                                                                                \
  template <typename V = T>                                                                        \
  auto operator==(const Optional& other) const->decltype(std::declval<V>() == std::declval<V>()) { \
    using R = decltype(std::declval<V>() == std::declval<V>());                                    \
    if (has_value() && other.has_value()) return **this == *other;                                 \
    return R(has_value() == other.has_value());                                                    \
  }                                                                                                \
  template <typename V = T>                                                                        \
  auto operator!=(const Optional& other) const->decltype(std::declval<V>() != std::declval<V>()) { \
    using R = decltype(std::declval<V>() != std::declval<V>());                                    \
    if (has_value() && other.has_value()) return **this != *other;                                 \
    return R(has_value() != other.has_value());                                                    \
  }

/*!
 * \brief Optional of a value type storable in an Any (String, int64_t, double, ...): one 16-byte
 *        Any cell, None when empty (the same layout as upstream, so it can cross a virtual call).
 */
template <typename T>
class Optional<T, std::enable_if_t<!use_object_ref_optional_v<T> && !use_object_ptr_optional_v<T> &&
                                   TypeTraits<T>::storage_enabled>> {
 public:
  static constexpr bool _type_custom_any_traits = true;
  Optional() = default;
  Optional(std::nullopt_t) {}                     // NOLINT(*)
  Optional(std::nullptr_t) {}                     // NOLINT(*)
  Optional(T value) : data_(std::move(value)) {}  // NOLINT(*)
  /*! \brief From a value T can be made from ("text" for an Optional<String>). */
  template <typename U, typename = std::enable_if_t<
                            details::optional_operand_v<U> && !std::is_same_v<std::decay_t<U>, T> &&
                            !std::is_same_v<std::decay_t<U>, std::optional<T>> &&
                            std::is_constructible_v<T, U&&>>>
  Optional(U&& value) : data_(T(std::forward<U>(value))) {}  // NOLINT(*)
  Optional(std::optional<T> value) {                         // NOLINT(*)
    if (value.has_value()) data_ = Any(std::move(*value));
  }
  bool has_value() const { return data_.type_index() != TypeIndex::kTVMFFINone; }
  explicit operator bool() const { return has_value(); }
  T value() const {
    if (!has_value()) TVM_FFI_THROW(RuntimeError) << "Bad optional access";
    return data_.cast<T>();
  }
  T value_or(T other) const { return has_value() ? value() : std::move(other); }
  T operator*() const { return value(); }
  bool operator==(std::nullptr_t) const { return !has_value(); }
  bool operator!=(std::nullptr_t) const { return has_value(); }
  TVM_FFI_OPTIONAL_VALUE_COMPARISONS_

 private:
  Any data_;
};

/*!
 * \brief Optional of a type an Any cannot hold (a non-owning view such as TensorView): a
 *        std::optional, never stored in an Any.
 */
template <typename T>
class Optional<T,
               std::enable_if_t<!use_object_ref_optional_v<T> && !TypeTraits<T>::storage_enabled>> {
 public:
  Optional() = default;
  Optional(std::nullopt_t) {}                                    // NOLINT(*)
  Optional(std::nullptr_t) {}                                    // NOLINT(*)
  Optional(T value) : data_(std::move(value)) {}                 // NOLINT(*)
  Optional(std::optional<T> value) : data_(std::move(value)) {}  // NOLINT(*)
  bool has_value() const { return data_.has_value(); }
  explicit operator bool() const { return has_value(); }
  T value() const {
    if (!has_value()) TVM_FFI_THROW(RuntimeError) << "Bad optional access";
    return *data_;
  }
  T value_or(T other) const { return has_value() ? *data_ : std::move(other); }
  T operator*() const { return value(); }
  const T* operator->() const { return &*data_; }
  bool operator==(std::nullptr_t) const { return !has_value(); }
  bool operator!=(std::nullptr_t) const { return has_value(); }
  TVM_FFI_OPTIONAL_VALUE_COMPARISONS_

 private:
  std::optional<T> data_;
};

/*! \brief Optional of a reference: the null reference is the empty state. */
template <typename T>
class Optional<T, std::enable_if_t<use_object_ref_optional_v<T>>> : public ObjectRef {
 public:
  static constexpr bool _type_custom_any_traits = true;
  using ContainerType = typename T::ContainerType;
  static constexpr bool _type_container_is_exact = T::_type_container_is_exact;
  Optional() = default;
  Optional(std::nullopt_t) {}                         // NOLINT(*)
  Optional(std::nullptr_t) {}                         // NOLINT(*)
  Optional(T value) : ObjectRef(std::move(value)) {}  // NOLINT(*)
  Optional(std::optional<T> value) {                  // NOLINT(*)
    if (value.has_value()) *this = Optional(std::move(*value));
  }
  explicit Optional(UnsafeInit tag) : ObjectRef(tag) {}
  bool has_value() const { return data_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T value() const& {
    if (!has_value()) TVM_FFI_THROW(RuntimeError) << "Bad optional access";
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<T>(data_);
  }
  /*! \brief Moves the reference out: this Optional is empty after. */
  T value() && {
    if (!has_value()) TVM_FFI_THROW(RuntimeError) << "Bad optional access";
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<T>(std::move(data_));
  }
  T value_or(T other) const { return has_value() ? value() : std::move(other); }
  T operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  const ContainerType* operator->() const { return static_cast<const ContainerType*>(data_.get()); }
  bool operator==(std::nullptr_t) const { return !has_value(); }
  bool operator!=(std::nullptr_t) const { return has_value(); }
  bool operator==(std::nullopt_t) const { return !has_value(); }
  bool operator!=(std::nullopt_t) const { return has_value(); }
};

namespace details {
template <typename T>
struct PtrOptional;
template <typename TObject>
struct PtrOptional<ObjectPtr<TObject>> {
  using Object = TObject;
  static ObjectPtr<TObject> Wrap(ObjectPtr<TObject> p) { return p; }
};
template <typename TObject>
struct PtrOptional<Arc<TObject>> {
  using Object = TObject;
  static Arc<TObject> Wrap(ObjectPtr<TObject> p) {
    return ObjectUnsafe::ArcFromObjectPtr(std::move(p));
  }
};
}  // namespace details

/*! \brief Optional of an ObjectPtr or Arc: the pointer itself, null when empty. */
template <typename T>
class Optional<T, std::enable_if_t<use_object_ptr_optional_v<T>>>
    : public ObjectPtr<typename details::PtrOptional<T>::Object> {
  using Storage = ObjectPtr<typename details::PtrOptional<T>::Object>;

 public:
  using ContainerType = typename details::PtrOptional<T>::Object;
  Optional() = default;
  Optional(const Optional&) = default;
  Optional(Optional&&) noexcept = default;
  Optional& operator=(const Optional&) = default;
  Optional& operator=(Optional&&) noexcept = default;
  Optional(std::nullopt_t) {}                       // NOLINT(*)
  Optional(std::nullptr_t) {}                       // NOLINT(*)
  Optional(T value) : Storage(std::move(value)) {}  // NOLINT(*)
  Optional(std::optional<T> value) {                // NOLINT(*)
    if (value.has_value()) Storage::operator=(Storage(std::move(*value)));
  }
  Optional& operator=(std::nullopt_t) {
    Storage::reset();
    return *this;
  }
  Optional& operator=(std::nullptr_t) {
    Storage::reset();
    return *this;
  }
  bool has_value() const { return Storage::get() != nullptr; }
  explicit operator bool() const { return has_value(); }
  T value() const& {
    if (!has_value()) TVM_FFI_THROW(RuntimeError) << "Bad optional access";
    return details::PtrOptional<T>::Wrap(Storage(*this));
  }
  /*! \brief Moves the pointer out: this Optional is empty after. */
  T value() && {
    if (!has_value()) TVM_FFI_THROW(RuntimeError) << "Bad optional access";
    return details::PtrOptional<T>::Wrap(Storage(std::move(static_cast<Storage&>(*this))));
  }
  template <typename U = T>
  T value_or(U&& other) const {
    return has_value() ? value() : T(std::forward<U>(other));
  }
  T operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  bool operator==(std::nullopt_t) const { return !has_value(); }
  bool operator!=(std::nullopt_t) const { return has_value(); }
  bool operator==(std::nullptr_t) const { return !has_value(); }
  bool operator!=(std::nullptr_t) const { return has_value(); }
  bool operator==(const Optional& other) const { return Storage::get() == other.get(); }
  bool operator!=(const Optional& other) const { return Storage::get() != other.get(); }
  bool same_as(const Optional& other) const { return Storage::get() == other.get(); }
};

#undef TVM_FFI_OPTIONAL_VALUE_COMPARISONS_

template <typename T>
struct TypeTraits<Optional<T>> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = TypeTraits<T>::storage_enabled;
  static void CopyToAnyView(const Optional<T>& src, TVMFFIAny* result) {
    if (!src.has_value()) {
      details::SetNone(result);
    } else if constexpr (use_object_ref_optional_v<T>) {
      TypeTraits<T>::CopyToAnyView(*src, result);
    } else {
      TypeTraits<T>::CopyToAnyView(*src, result);
    }
  }
  static void MoveToAny(Optional<T> src, TVMFFIAny* result) {
    if (!src.has_value()) {
      details::SetNone(result);
    } else {
      TypeTraits<T>::MoveToAny(std::move(src).value(), result);
    }
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFINone || TypeTraits<T>::CheckAnyStrict(src);
  }
  static Optional<T> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return Optional<T>();
    return Optional<T>(TypeTraits<T>::CopyFromAnyViewAfterCheck(src));
  }
  static Optional<T> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return Optional<T>();
    return Optional<T>(TypeTraits<T>::MoveFromAnyAfterCheck(src));
  }
  static std::optional<Optional<T>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return Optional<T>();
    std::optional<T> inner = TypeTraits<T>::TryCastFromAnyView(src);
    if (!inner.has_value()) return std::nullopt;
    return Optional<T>(std::move(*inner));
  }
  static std::string TypeStr() { return "Optional<" + TypeTraits<T>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return "{\"type\":\"Optional\",\"args\":[" + TypeTraits<T>::TypeSchema() + "]}";
  }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_OPTIONAL_H_
