/*
 * tvmffi-rpc runtime: Tuple<Types...>, a fixed-size heterogeneous tuple stored as an Array of
 * sizeof...(Types) elements (so it travels as an ffi.Array). Elements convert on the way in;
 * Set copies the storage first when it is shared. Structured bindings and get<I>(t) work.
 */
#ifndef TVM_FFI_CONTAINER_TUPLE_H_
#define TVM_FFI_CONTAINER_TUPLE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/container_details.h>
#include <tvm/ffi/object.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

template <typename... Types>
class Tuple : public ObjectRef {
 public:
  static_assert(details::all_storage_enabled_v<Types...>, "every Tuple type is storable in an Any");
  using ContainerType = ArrayObj;
  static constexpr bool _type_is_nullable = false;
  static constexpr bool _type_container_is_exact = false;
  static constexpr bool _type_custom_any_traits = true;

  /*! \brief Every element default-constructed. */
  Tuple() : ObjectRef(Make(Types()...)) {}
  explicit Tuple(UnsafeInit tag) : ObjectRef(tag) {}
  Tuple(const Tuple&) = default;
  Tuple(Tuple&&) noexcept = default;
  Tuple& operator=(const Tuple&) = default;
  Tuple& operator=(Tuple&&) noexcept = default;
  /*! \brief A tuple whose elements every one of ours can hold shares its storage. */
  template <typename... U, typename = std::enable_if_t<!std::is_same_v<Tuple<U...>, Tuple> &&
                                                       sizeof...(U) == sizeof...(Types) &&
                                                       (type_subsumes_v<Types, U> && ...)>>
  Tuple(const Tuple<U...>& other) : ObjectRef(other) {}  // NOLINT(*)
  template <typename... U, typename = std::enable_if_t<!std::is_same_v<Tuple<U...>, Tuple> &&
                                                       sizeof...(U) == sizeof...(Types) &&
                                                       (type_subsumes_v<Types, U> && ...)>>
  Tuple(Tuple<U...>&& other) : ObjectRef(std::move(other)) {}  // NOLINT(*)
  /*! \brief From one value per element, each converted to its type. */
  template <typename... U,
            typename = std::enable_if_t<sizeof...(U) == sizeof...(Types) &&
                                        !(sizeof...(Types) == 1 &&
                                          (std::is_same_v<std::decay_t<U>, Tuple> && ...))>>
  explicit Tuple(U&&... values) : ObjectRef(Make(Types(std::forward<U>(values))...)) {}

  static constexpr size_t size() { return sizeof...(Types); }

  /*! \brief Element I, as its declared type. */
  template <size_t I>
  std::tuple_element_t<I, std::tuple<Types...>> get() const& {
    static_assert(I < sizeof...(Types), "Tuple index out of bounds");
    return Convert<I>(Storage()->begin()[I]);
  }
  /*! \brief Element I, moved out when this is the only reference. */
  template <size_t I>
  std::tuple_element_t<I, std::tuple<Types...>> get() && {
    static_assert(I < sizeof...(Types), "Tuple index out of bounds");
    if (!unique()) return Convert<I>(Storage()->begin()[I]);
    Any value = std::move(Storage()->MutableBegin()[I]);
    return Convert<I>(value);
  }
  /*! \brief Replaces element I (the storage is copied first when shared). */
  template <size_t I, typename U>
  void Set(U&& value) {
    static_assert(I < sizeof...(Types), "Tuple index out of bounds");
    using T = std::tuple_element_t<I, std::tuple<Types...>>;
    if (!data_.unique()) {
      ObjectPtr<ArrayObj> copy = ArrayObj::Empty(sizeof...(Types));
      for (const Any& item : *Storage()) copy->EmplaceBackUnchecked(item);
      data_ = std::move(copy);
    }
    Storage()->MutableBegin()[I] = Any(T(std::forward<U>(value)));
  }

 private:
  template <size_t I>
  static std::tuple_element_t<I, std::tuple<Types...>> Convert(const Any& item) {
    using T = std::tuple_element_t<I, std::tuple<Types...>>;
    if constexpr (std::is_same_v<T, Any>) {
      return item;
    } else {
      // the elements were checked (or converted) on the way in; an element moved out is None,
      // read back as an undefined reference, as upstream's
      return details::AnyUnsafe::CopyFromAnyViewAfterCheck<T>(item);
    }
  }
  ArrayObj* Storage() const { return static_cast<ArrayObj*>(const_cast<Object*>(data_.get())); }
  static ObjectPtr<ArrayObj> Make(Types... values) {
    ObjectPtr<ArrayObj> p = ArrayObj::Empty(sizeof...(Types));
    (p->EmplaceBackUnchecked(Any(std::move(values))), ...);
    return p;
  }
  template <typename... U>
  friend class Tuple;
};

template <typename... U>
Tuple(U&&...) -> Tuple<std::remove_cv_t<std::remove_reference_t<U>>...>;

template <typename... T, typename... U>
inline constexpr bool
    type_subsumes_v<Tuple<T...>, Tuple<U...>, std::enable_if_t<sizeof...(T) == sizeof...(U)>> =
        (type_subsumes_v<T, U> && ...);

template <std::size_t I, typename... Types>
inline std::tuple_element_t<I, std::tuple<Types...>> get(const Tuple<Types...>& t) {
  return t.template get<I>();
}
template <std::size_t I, typename... Types>
inline std::tuple_element_t<I, std::tuple<Types...>> get(Tuple<Types...>&& t) {
  return std::move(t).template get<I>();
}

/*! \brief A Tuple in an Any: an Array of the right size whose elements are (or convert to) the
 *         types. */
template <typename... Types>
struct TypeTraits<Tuple<Types...>> : ObjectRefTypeTraitsBase<Tuple<Types...>> {
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    const ArrayObj* arr = SizedArray(src);
    if (arr == nullptr) return false;
    return CheckEach(arr->begin(), std::index_sequence_for<Types...>{});
  }
  static Tuple<Types...> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return details::ObjectUnsafe::ObjectRefFromUnowned<Tuple<Types...>>(
        reinterpret_cast<Object*>(src->v_obj));
  }
  static Tuple<Types...> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Object* obj = reinterpret_cast<Object*>(src->v_obj);
    details::SetNone(src);
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<Tuple<Types...>>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
  }
  static std::optional<Tuple<Types...>> TryCastFromAnyView(const TVMFFIAny* src) {
    const ArrayObj* arr = SizedArray(src);
    if (arr == nullptr) return std::nullopt;
    if (CheckEach(arr->begin(), std::index_sequence_for<Types...>{})) {
      return CopyFromAnyViewAfterCheck(src);
    }
    return ConvertEach(arr->begin(), std::index_sequence_for<Types...>{});
  }
  static std::string GetMismatchTypeInfo(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIArray) return details::AnyTypeStr(src);
    const ArrayObj* arr = reinterpret_cast<const ArrayObj*>(src->v_obj);
    if (arr->size() != sizeof...(Types)) return "Array[size=" + std::to_string(arr->size()) + "]";
    std::string out = details::AnyTypeStr(src);
    FirstMismatch(arr->begin(), &out, std::index_sequence_for<Types...>{});
    return out;
  }
  static std::string TypeStr() { return details::ContainerTypeStr<Types...>("Tuple"); }
  static std::string TypeSchema() {
    std::string out = "{\"type\":\"Tuple\",\"args\":[";
    size_t i = 0;
    ((out += (i++ ? "," : "") + TypeTraits<Types>::TypeSchema()), ...);
    return out + "]}";
  }

 private:
  static const ArrayObj* SizedArray(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIArray) return nullptr;
    const ArrayObj* arr = reinterpret_cast<const ArrayObj*>(src->v_obj);
    return arr->size() == sizeof...(Types) ? arr : nullptr;
  }
  template <size_t... I>
  static bool CheckEach(const Any* items, std::index_sequence<I...>) {
    return (StrictElem<Types>(items[I]) && ...);
  }
  template <typename T>
  static bool StrictElem(const Any& item) {
    if constexpr (std::is_same_v<T, Any>) {
      return true;
    } else {
      return TypeTraits<T>::CheckAnyStrict(details::AnyUnsafe::TVMFFIAnyPtrFromAny(item));
    }
  }
  template <size_t... I>
  static std::optional<Tuple<Types...>> ConvertEach(const Any* items, std::index_sequence<I...>) {
    std::tuple<std::optional<Types>...> converted{items[I].template try_cast<Types>()...};
    if (!(std::get<I>(converted).has_value() && ...)) return std::nullopt;
    return Tuple<Types...>(*std::move(std::get<I>(converted))...);
  }
  template <size_t... I>
  static void FirstMismatch(const Any* items, std::string* out, std::index_sequence<I...>) {
    bool found = false;
    ((found || items[I].template try_cast<Types>().has_value() ||
      (found = true,
       *out = "Array[index " + std::to_string(I) + ": " +
              details::MismatchTypeInfo<Types>(details::AnyUnsafe::TVMFFIAnyPtrFromAny(items[I])) +
              "]",
       true)),
     ...);
  }
};

template <typename... Types>
inline constexpr bool use_default_type_traits_v<Tuple<Types...>> = false;

}  // namespace ffi
}  // namespace tvm

namespace std {
template <typename... Types>
struct tuple_size<::tvm::ffi::Tuple<Types...>> : integral_constant<size_t, sizeof...(Types)> {};
template <size_t I, typename... Types>
struct tuple_element<I, ::tvm::ffi::Tuple<Types...>> {
  using type = tuple_element_t<I, tuple<Types...>>;
};
}  // namespace std

#endif  // TVM_FFI_CONTAINER_TUPLE_H_
