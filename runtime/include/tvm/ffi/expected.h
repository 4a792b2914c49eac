/*
 * tvmffi-rpc runtime: Expected<T>, a value or an Error without an exception. It is one Any
 * holding either a T or an Error (kTVMFFIError), so it crosses the ABI as that Any: a function
 * returning Expected<T> returns the T or the Error object itself. Unexpected<E> marks an error
 * for construction; Function::CallExpected<T> catches what a call raises into one.
 */
#ifndef TVM_FFI_EXPECTED_H_
#define TVM_FFI_EXPECTED_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function_details.h>

#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

/*! \brief An error, as the argument that makes an Expected hold it. */
template <typename E = Error>
class Unexpected {
  static_assert(std::is_base_of_v<Error, std::remove_cv_t<E>>,
                "Unexpected<E> holds an Error (or a class derived from it)");

 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  const E& error() const& noexcept { return error_; }
  E& error() & noexcept { return error_; }
  const E&& error() const&& noexcept { return std::move(error_); }
  E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

namespace details {
struct ExpectedUnsafe;
}  // namespace details

/*! \brief A T or an Error. value() returns the T or throws the Error. */
template <typename T>
class Expected {
 public:
  static_assert(!std::is_void_v<T>, "use Expected<void>");
  static_assert(!std::is_same_v<T, Error>, "Expected<Error> is ambiguous; use Error");

  Expected(T value) : data_(Any(std::move(value))) {}      // NOLINT(*)
  Expected(Error error) : data_(Any(std::move(error))) {}  // NOLINT(*)
  template <typename E, typename = std::enable_if_t<std::is_base_of_v<Error, std::remove_cv_t<E>>>>
  Expected(Unexpected<E> unexpected)
      : data_(Any(Error(std::move(unexpected).error()))) {}  // NOLINT(*)

  int32_t type_index() const noexcept { return data_.type_index(); }
  bool is_ok() const noexcept { return data_.type_index() != TypeIndex::kTVMFFIError; }
  bool is_err() const noexcept { return !is_ok(); }
  bool has_value() const noexcept { return is_ok(); }

  T value() const& {
    if (TVM_FFI_PREDICT_TRUE(is_ok()))
      return details::AnyUnsafe::CopyFromAnyViewAfterCheck<T>(data_);
    throw details::AnyUnsafe::CopyFromAnyViewAfterCheck<Error>(data_);
  }
  T value() && {
    if (TVM_FFI_PREDICT_TRUE(is_ok())) {
      return details::AnyUnsafe::MoveFromAnyAfterCheck<T>(std::move(data_));
    }
    throw details::AnyUnsafe::MoveFromAnyAfterCheck<Error>(std::move(data_));
  }
  /*! \brief The error; a RuntimeError when it holds a value. */
  Error error() const& {
    if (is_ok()) TVM_FFI_THROW(RuntimeError) << "Bad expected access: contains value, not error";
    return details::AnyUnsafe::CopyFromAnyViewAfterCheck<Error>(data_);
  }
  Error error() && {
    if (is_ok()) TVM_FFI_THROW(RuntimeError) << "Bad expected access: contains value, not error";
    return details::AnyUnsafe::MoveFromAnyAfterCheck<Error>(std::move(data_));
  }
  template <typename U = std::remove_cv_t<T>>
  T value_or(U&& fallback) const& {
    if (is_ok()) return details::AnyUnsafe::CopyFromAnyViewAfterCheck<T>(data_);
    return T(std::forward<U>(fallback));
  }
  template <typename U = std::remove_cv_t<T>>
  T value_or(U&& fallback) && {
    if (is_ok()) return details::AnyUnsafe::MoveFromAnyAfterCheck<T>(std::move(data_));
    return T(std::forward<U>(fallback));
  }

 private:
  Expected() = default;
  friend struct details::ExpectedUnsafe;
  Any data_;  // a T, or an Error
};

/*! \brief Success (None) or an Error. */
template <>
class Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : data_(Any(std::move(error))) {}  // NOLINT(*)
  template <typename E, typename = std::enable_if_t<std::is_base_of_v<Error, std::remove_cv_t<E>>>>
  Expected(Unexpected<E> unexpected)
      : data_(Any(Error(std::move(unexpected).error()))) {}  // NOLINT(*)

  int32_t type_index() const noexcept { return data_.type_index(); }
  bool is_ok() const noexcept { return data_.type_index() != TypeIndex::kTVMFFIError; }
  bool is_err() const noexcept { return !is_ok(); }
  bool has_value() const noexcept { return is_ok(); }
  void value() const& {
    if (TVM_FFI_PREDICT_FALSE(is_err())) {
      throw details::AnyUnsafe::CopyFromAnyViewAfterCheck<Error>(data_);
    }
  }
  void value() && {
    if (TVM_FFI_PREDICT_FALSE(is_err())) {
      throw details::AnyUnsafe::MoveFromAnyAfterCheck<Error>(std::move(data_));
    }
  }
  Error error() const& {
    if (is_ok()) TVM_FFI_THROW(RuntimeError) << "Bad expected access: contains value, not error";
    return details::AnyUnsafe::CopyFromAnyViewAfterCheck<Error>(data_);
  }
  Error error() && {
    if (is_ok()) TVM_FFI_THROW(RuntimeError) << "Bad expected access: contains value, not error";
    return details::AnyUnsafe::MoveFromAnyAfterCheck<Error>(std::move(data_));
  }

 private:
  friend struct details::ExpectedUnsafe;
  Any data_;  // None, or an Error
};

namespace details {
/*! \brief Raw access to an Expected's Any (internal: the visitor's C calling convention). */
struct ExpectedUnsafe {
  /*! \brief An Expected<T> taking over raw, which must hold a T or an Error. */
  template <typename T>
  static Expected<T> MoveFromTVMFFIAny(TVMFFIAny raw) {
    Expected<T> out;
    out.data_ = AnyUnsafe::MoveTVMFFIAnyToAny(&raw);
    return out;
  }
  template <typename T>
  static TVMFFIAny MoveToTVMFFIAny(Expected<T>&& result) {
    return AnyUnsafe::MoveAnyToTVMFFIAny(std::move(result.data_));
  }
  template <typename T>
  static const Any& GetData(const Expected<T>& result) {
    return result.data_;
  }
  /*! \brief The value as U (the caller knows it holds one), else throws the Error. */
  template <typename U, typename T>
  static U ValueAs(const Expected<T>& result) {
    if (TVM_FFI_PREDICT_TRUE(result.data_.type_index() != TypeIndex::kTVMFFIError)) {
      return AnyUnsafe::CopyFromAnyViewAfterCheck<U>(result.data_);
    }
    throw AnyUnsafe::CopyFromAnyViewAfterCheck<Error>(result.data_);
  }
};
}  // namespace details

template <typename T>
inline constexpr bool use_default_type_traits_v<Expected<T>> = false;

/*! \brief Expected<T> in an Any: the T or the Error itself. */
template <typename T>
struct TypeTraits<Expected<T>> : TypeTraitsBase {
  static void CopyToAnyView(const Expected<T>& src, TVMFFIAny* result) {
    *result = AnyView(details::ExpectedUnsafe::GetData(src)).CopyToTVMFFIAny();
  }
  static void MoveToAny(Expected<T> src, TVMFFIAny* result) {
    *result = details::ExpectedUnsafe::MoveToTVMFFIAny(std::move(src));
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return TypeTraits<T>::CheckAnyStrict(src) || TypeTraits<Error>::CheckAnyStrict(src);
  }
  static Expected<T> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    if (TypeTraits<T>::CheckAnyStrict(src)) return TypeTraits<T>::CopyFromAnyViewAfterCheck(src);
    return TypeTraits<Error>::CopyFromAnyViewAfterCheck(src);
  }
  static Expected<T> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    if (TypeTraits<T>::CheckAnyStrict(src)) return TypeTraits<T>::MoveFromAnyAfterCheck(src);
    return TypeTraits<Error>::MoveFromAnyAfterCheck(src);
  }
  static std::optional<Expected<T>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (auto value = TypeTraits<T>::TryCastFromAnyView(src)) return Expected<T>(*std::move(value));
    if (auto error = TypeTraits<Error>::TryCastFromAnyView(src)) {
      return Expected<T>(*std::move(error));
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return "Expected<" + TypeTraits<T>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return "{\"type\":\"Expected\",\"args\":[" + details::TypeSchemaOf<T>() +
           ",{\"type\":\"ffi.Error\"}]}";
  }
};

template <>
struct TypeTraits<Expected<void>> : TypeTraitsBase {
  static void CopyToAnyView(const Expected<void>& src, TVMFFIAny* result) {
    *result = AnyView(details::ExpectedUnsafe::GetData(src)).CopyToTVMFFIAny();
  }
  static void MoveToAny(Expected<void> src, TVMFFIAny* result) {
    *result = details::ExpectedUnsafe::MoveToTVMFFIAny(std::move(src));
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFINone || TypeTraits<Error>::CheckAnyStrict(src);
  }
  static Expected<void> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return Expected<void>();
    return TypeTraits<Error>::CopyFromAnyViewAfterCheck(src);
  }
  static Expected<void> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return Expected<void>();
    return TypeTraits<Error>::MoveFromAnyAfterCheck(src);
  }
  static std::optional<Expected<void>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return std::nullopt;
  }
  static std::string TypeStr() { return "Expected<void>"; }
  static std::string TypeSchema() {
    return "{\"type\":\"Expected\",\"args\":[{\"type\":\"None\"},{\"type\":\"ffi.Error\"}]}";
  }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_EXPECTED_H_
