/*
 * tvmffi-rpc runtime: Variant<V...>, one value of any of the listed types, held as an Any. It
 * converts from any value that converts to one of them (tried in the listed order, after an
 * exact match), so it travels through the ABI as the value itself.
 */
#ifndef TVM_FFI_CONTAINER_VARIANT_H_
#define TVM_FFI_CONTAINER_VARIANT_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/function_details.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

template <typename... V>
class Variant {
 public:
  static_assert(sizeof...(V) > 0, "Variant needs at least one type");
  static constexpr bool _type_container_is_exact = false;
  static_assert(details::all_storage_enabled_v<V...>, "every Variant type is storable in an Any");

  /*! \brief Whether a T can be stored as one of the types without conversion. */
  template <typename T>
  static constexpr bool variant_contains_v = (type_subsumes_v<V, T> || ...);
  template <typename T>
  using enable_if_variant_contains_t = std::enable_if_t<variant_contains_v<T>>;

  Variant(const Variant&) = default;
  Variant(Variant&&) noexcept = default;
  Variant& operator=(const Variant&) = default;
  Variant& operator=(Variant&&) noexcept = default;
  template <typename T, typename = enable_if_variant_contains_t<T>>
  Variant(T value) : data_(std::move(value)) {}  // NOLINT(*)
  template <typename T, typename = enable_if_variant_contains_t<T>>
  Variant& operator=(T value) {
    data_ = Any(std::move(value));
    return *this;
  }

  /*! \brief The value as T when it holds exactly a T (no conversion), else nullopt. */
  template <typename T, typename = enable_if_variant_contains_t<T>>
  std::optional<T> as() const {
    return AnyView(data_).template as<T>();
  }
  /*! \brief The object as const T* when it is one, else nullptr. */
  template <typename T, typename = std::enable_if_t<std::is_base_of_v<Object, T>>>
  const T* as() const {
    return AnyView(data_).template as<const T*>();
  }
  /*! \brief The value as T (a TypeError when it is another of the types). */
  template <typename T, typename = enable_if_variant_contains_t<T>>
  T get() const& {
    return AnyView(data_).template cast<T>();
  }
  template <typename T, typename = enable_if_variant_contains_t<T>>
  T get() && {
    return std::move(data_).template cast<T>();
  }
  std::string GetTypeKey() const { return data_.GetTypeKey(); }
  bool same_as(const Variant& other) const { return data_.same_as(other.data_); }

 private:
  template <typename, typename>
  friend struct TypeTraits;
  friend struct ObjectPtrHash;
  friend struct ObjectPtrEqual;
  explicit Variant(Any data) : data_(std::move(data)) {}
  const Object* ObjectForHashEqual() const {
    static_assert((std::is_base_of_v<ObjectRef, V> && ...),
                  "ObjectPtrHash/ObjectPtrEqual of a Variant need ObjectRef types only");
    return data_.as<const Object*>();
  }
  Any data_;
};

template <typename... V>
inline constexpr bool use_default_type_traits_v<Variant<V...>> = false;

template <typename... V>
struct TypeTraits<Variant<V...>> : TypeTraitsBase {
  static void CopyToAnyView(const Variant<V...>& src, TVMFFIAny* result) {
    *result = AnyView(src.data_).CopyToTVMFFIAny();
  }
  static void MoveToAny(Variant<V...> src, TVMFFIAny* result) {
    *result = details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(src.data_));
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return (TypeTraits<V>::CheckAnyStrict(src) || ...);
  }
  static Variant<V...> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return Variant<V...>(Any(AnyView::CopyFromTVMFFIAny(*src)));
  }
  static Variant<V...> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    return Variant<V...>(details::AnyUnsafe::MoveTVMFFIAnyToAny(src));
  }
  static std::optional<Variant<V...>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return TryEach<V...>(src);
  }
  static std::string TypeStr() { return details::ContainerTypeStr<V...>("Variant"); }
  static std::string TypeSchema() {
    std::string out = "{\"type\":\"Variant\",\"args\":[";
    size_t i = 0;
    ((out += (i++ ? "," : "") + details::TypeSchemaOf<V>()), ...);
    return out + "]}";
  }

 private:
  template <typename First, typename... Rest>
  static std::optional<Variant<V...>> TryEach(const TVMFFIAny* src) {
    if (auto value = TypeTraits<First>::TryCastFromAnyView(src)) {
      return Variant<V...>(Any(*std::move(value)));
    }
    if constexpr (sizeof...(Rest) > 0) {
      return TryEach<Rest...>(src);
    } else {
      return std::nullopt;
    }
  }
};

template <typename... V>
size_t ObjectPtrHash::operator()(const Variant<V...>& a) const {
  return std::hash<const Object*>()(a.ObjectForHashEqual());
}
template <typename... V>
bool ObjectPtrEqual::operator()(const Variant<V...>& a, const Variant<V...>& b) const {
  return a.ObjectForHashEqual() == b.ObjectForHashEqual();
}

template <typename... V, typename T>
inline constexpr bool type_subsumes_v<Variant<V...>, T> = (type_subsumes_v<V, T> || ...);

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_VARIANT_H_
