/*
 * tvmffi-rpc runtime: standard-library types as arguments and results of exported functions.
 *
 *   std::vector<T>, std::array<T, N>, std::tuple<T...>  travel as an Array (a vector also
 *                                                       accepts a List; an array and a tuple
 *                                                       need an Array of exactly their size)
 *   std::map<K, V>, std::unordered_map<K, V>           travel as a Map
 *   std::optional<T>                                   None, or a T (type_traits.h: always on)
 *   std::variant<T...>                                 the first alternative that accepts it
 *   std::function<R(Args...)>                          an ffi.Function
 *
 * Every one is copied on the way in and out (an Any never holds an STL object), so prefer the
 * ffi containers where a value is large or shared. A value that does not convert element by
 * element is refused like any other mismatch: the call fails with a TypeError naming the
 * expected type. Types nest freely (std::vector<std::map<std::string, int>> works).
 */
#ifndef TVM_FFI_EXTRA_STL_H_
#define TVM_FFI_EXTRA_STL_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/base_details.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/type_traits.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace tvm {
namespace ffi {
namespace details {

/*! \brief Shared by the copied (not stored) STL types. */
struct STLTraitsBase : TypeTraitsBase {
  static constexpr bool storage_enabled = false;
  static constexpr bool kViewAllocates = true;  // a view is a new Array/Map: see ArgPack

 protected:
  /*! \brief Each cell of [first, last) converted to T, appended to `out`; false at the first
   *         cell that does not convert. */
  template <typename T, typename Out>
  static bool ConvertEach(const Any* first, const Any* last, Out* out) {
    for (; first != last; ++first) {
      std::optional<T> v = first->try_cast<T>();
      if (!v.has_value()) return false;
      out->push_back(std::move(*v));
    }
    return true;
  }
  /*! \brief An Array of the range's elements, each converted to Any. */
  template <typename Iter>
  static Array<Any> ToArray(Iter first, Iter last, size_t size) {
    Array<Any> out;
    out.reserve(static_cast<int64_t>(size));
    for (; first != last; ++first) out.push_back(Any(*first));
    return out;
  }
  /*! \brief A Map of the range's pairs, each side converted to Any. */
  template <typename Iter>
  static Map<Any, Any> ToMap(Iter first, Iter last) {
    Map<Any, Any> out;
    for (; first != last; ++first) out.Set(Any(first->first), Any(first->second));
    return out;
  }
  /*! \brief The cell's storage as a sequence (Array or List) of `size` cells. */
  static const SeqBaseObj* Sequence(const TVMFFIAny* src) {
    return reinterpret_cast<const SeqBaseObj*>(src->v_obj);
  }
  /*! \brief A std::map or std::unordered_map of a Map cell, or nullopt. */
  template <typename M>
  static std::optional<M> FromMap(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIMap) return std::nullopt;
    using K = typename M::key_type;
    using V = typename M::mapped_type;
    const auto* map = reinterpret_cast<const MapObj*>(src->v_obj);
    M out;
    for (const auto& kv : *map) {
      std::optional<K> k = kv.first.template try_cast<K>();
      if (!k.has_value()) return std::nullopt;
      std::optional<V> v = kv.second.template try_cast<V>();
      if (!v.has_value()) return std::nullopt;
      out.emplace(std::move(*k), std::move(*v));
    }
    return out;
  }
  static std::string JoinSchemas(std::initializer_list<std::string> parts) {
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
    return out;
  }
};

}  // namespace details

template <typename T>
struct TypeTraits<std::vector<T>> : details::STLTraitsBase {
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIArray;
  static void CopyToAnyView(const std::vector<T>& src, TVMFFIAny* result) {
    TypeTraits<Array<Any>>::MoveToAny(ToArray(src.begin(), src.end(), src.size()), result);
  }
  static void MoveToAny(std::vector<T> src, TVMFFIAny* result) {
    TypeTraits<Array<Any>>::MoveToAny(ToArray(std::make_move_iterator(src.begin()),
                                              std::make_move_iterator(src.end()), src.size()),
                                      result);
  }
  static std::optional<std::vector<T>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIArray && src->type_index != TypeIndex::kTVMFFIList) {
      return std::nullopt;
    }
    const SeqBaseObj* seq = Sequence(src);
    std::vector<T> out;
    out.reserve(seq->size());
    if (!ConvertEach<T>(seq->begin(), seq->end(), &out)) return std::nullopt;
    return out;
  }
  static std::string TypeStr() { return "std::vector<" + details::Type2Str<T>::v() + ">"; }
  static std::string TypeSchema() {
    return R"({"type":"std::vector","args":[)" + details::TypeSchema<T>::v() + "]}";
  }
};

template <typename T, size_t N>
struct TypeTraits<std::array<T, N>> : details::STLTraitsBase {
  static_assert(N > 0, "a zero-length std::array cannot travel");
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIArray;
  static void CopyToAnyView(const std::array<T, N>& src, TVMFFIAny* result) {
    TypeTraits<Array<Any>>::MoveToAny(ToArray(src.begin(), src.end(), N), result);
  }
  static void MoveToAny(std::array<T, N> src, TVMFFIAny* result) {
    TypeTraits<Array<Any>>::MoveToAny(
        ToArray(std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()), N),
        result);
  }
  static std::optional<std::array<T, N>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIArray || Sequence(src)->size() != N) {
      return std::nullopt;
    }
    const Any* cells = Sequence(src)->begin();
    std::array<T, N> out;
    for (size_t i = 0; i < N; ++i) {
      std::optional<T> v = cells[i].try_cast<T>();
      if (!v.has_value()) return std::nullopt;
      out[i] = std::move(*v);
    }
    return out;
  }
  static std::string TypeStr() {
    return "std::array<" + details::Type2Str<T>::v() + ", " + std::to_string(N) + ">";
  }
  static std::string TypeSchema() {
    return R"({"type":"std::array","args":[)" + details::TypeSchema<T>::v() + "," +
           std::to_string(N) + "]}";
  }
};

template <typename... Ts>
struct TypeTraits<std::tuple<Ts...>> : details::STLTraitsBase {
  static_assert(sizeof...(Ts) > 0, "an empty std::tuple cannot travel");
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIArray;
  static void CopyToAnyView(const std::tuple<Ts...>& src, TVMFFIAny* result) {
    Array<Any> out;
    out.reserve(sizeof...(Ts));
    std::apply([&](const auto&... e) { (out.push_back(Any(e)), ...); }, src);
    TypeTraits<Array<Any>>::MoveToAny(std::move(out), result);
  }
  static void MoveToAny(std::tuple<Ts...> src, TVMFFIAny* result) {
    Array<Any> out;
    out.reserve(sizeof...(Ts));
    std::apply([&](auto&... e) { (out.push_back(Any(std::move(e))), ...); }, src);
    TypeTraits<Array<Any>>::MoveToAny(std::move(out), result);
  }
  static std::optional<std::tuple<Ts...>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index != TypeIndex::kTVMFFIArray || Sequence(src)->size() != sizeof...(Ts)) {
      return std::nullopt;
    }
    return Convert(Sequence(src)->begin(), std::index_sequence_for<Ts...>{});
  }
  static std::string TypeStr() { return details::ContainerTypeStr<Ts...>("std::tuple"); }
  static std::string TypeSchema() {
    return R"({"type":"std::tuple","args":[)" + JoinSchemas({details::TypeSchema<Ts>::v()...}) +
           "]}";
  }

 private:
  template <size_t... I>
  static std::optional<std::tuple<Ts...>> Convert(const Any* cells, std::index_sequence<I...>) {
    std::tuple<std::optional<Ts>...> parts{cells[I].try_cast<Ts>()...};
    if (!(std::get<I>(parts).has_value() && ...)) return std::nullopt;
    return std::tuple<Ts...>(std::move(*std::get<I>(parts))...);
  }
};

namespace details {
/*! \brief std::map and std::unordered_map: a Map both ways (each names itself). */
template <typename M>
struct STLMapTraits : STLTraitsBase {
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIMap;
  static void CopyToAnyView(const M& src, TVMFFIAny* result) {
    TypeTraits<Map<Any, Any>>::MoveToAny(ToMap(src.begin(), src.end()), result);
  }
  static void MoveToAny(M src, TVMFFIAny* result) {
    TypeTraits<Map<Any, Any>>::MoveToAny(
        ToMap(std::make_move_iterator(src.begin()), std::make_move_iterator(src.end())), result);
  }
  static std::optional<M> TryCastFromAnyView(const TVMFFIAny* src) { return FromMap<M>(src); }

 protected:
  static std::string Str(const char* name) { return ContainerTypeStr<K, V>(name); }
  static std::string Schema(const char* name) {
    return std::string(R"({"type":")") + name + R"(","args":[)" +
           JoinSchemas({TypeSchema<K>::v(), TypeSchema<V>::v()}) + "]}";
  }
};
}  // namespace details

template <typename K, typename V>
struct TypeTraits<std::map<K, V>> : details::STLMapTraits<std::map<K, V>> {
  static std::string TypeStr() { return TypeTraits::Str("std::map"); }
  static std::string TypeSchema() { return TypeTraits::Schema("std::map"); }
};

template <typename K, typename V>
struct TypeTraits<std::unordered_map<K, V>> : details::STLMapTraits<std::unordered_map<K, V>> {
  static std::string TypeStr() { return TypeTraits::Str("std::unordered_map"); }
  static std::string TypeSchema() { return TypeTraits::Schema("std::unordered_map"); }
};

template <typename... Ts>
struct TypeTraits<std::variant<Ts...>> : TypeTraitsBase {
  using Self = std::variant<Ts...>;
  static constexpr bool storage_enabled = false;
  static constexpr bool kViewAllocates = (details::view_allocates_v<Ts> || ...);
  static void CopyToAnyView(const Self& src, TVMFFIAny* result) {
    std::visit(
        [&](const auto& v) { TypeTraits<std::decay_t<decltype(v)>>::CopyToAnyView(v, result); },
        src);
  }
  static void MoveToAny(Self src, TVMFFIAny* result) {
    std::visit(
        [&](auto& v) { TypeTraits<std::decay_t<decltype(v)>>::MoveToAny(std::move(v), result); },
        src);
  }
  // A strict check exists when every alternative has one: the first that holds exactly wins.
  template <typename Dummy = void,
            typename = std::enable_if_t<(details::has_strict_check_v<Ts> && ...), Dummy>>
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return (TypeTraits<Ts>::CheckAnyStrict(src) || ...);
  }
  template <typename Dummy = void,
            typename = std::enable_if_t<(details::has_strict_check_v<Ts> && ...), Dummy>>
  static Self CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return *FirstStrict<0>(src);
  }
  template <typename Dummy = void,
            typename = std::enable_if_t<(details::has_strict_check_v<Ts> && ...), Dummy>>
  static Self MoveFromAnyAfterCheck(TVMFFIAny* src) {
    return *FirstStrict<0>(src);
  }
  /*! \brief The first alternative the value is exactly (of those that can tell); else the first
   *         it converts to: an int picks `int` out of std::variant<double, int>. */
  static std::optional<Self> TryCastFromAnyView(const TVMFFIAny* src) {
    if (std::optional<Self> exact = FirstStrict<0>(src)) return exact;
    return FirstConvertible<0>(src);
  }
  static std::string TypeStr() { return details::ContainerTypeStr<Ts...>("std::variant"); }
  static std::string TypeSchema() {
    std::string out;
    ((out += (out.empty() ? "" : ",") + details::TypeSchema<Ts>::v()), ...);
    return R"({"type":"std::variant","args":[)" + out + "]}";
  }

 private:
  template <size_t I>
  static std::optional<Self> FirstStrict(const TVMFFIAny* src) {
    if constexpr (I == sizeof...(Ts)) {
      return std::nullopt;
    } else {
      using Alt = std::variant_alternative_t<I, Self>;
      if constexpr (details::has_strict_check_v<Alt>) {
        if (TypeTraits<Alt>::CheckAnyStrict(src)) {
          return Self(std::in_place_index<I>, TypeTraits<Alt>::CopyFromAnyViewAfterCheck(src));
        }
      }
      return FirstStrict<I + 1>(src);
    }
  }
  template <size_t I>
  static std::optional<Self> FirstConvertible(const TVMFFIAny* src) {
    if constexpr (I == sizeof...(Ts)) {
      return std::nullopt;
    } else {
      using Alt = std::variant_alternative_t<I, Self>;
      if (std::optional<Alt> v = TypeTraits<Alt>::TryCastFromAnyView(src)) {
        return Self(std::in_place_index<I>, std::move(*v));
      }
      return FirstConvertible<I + 1>(src);
    }
  }
};

template <typename R, typename... Args>
struct TypeTraits<std::function<R(Args...)>> : TypeTraitsBase {
  using Self = std::function<R(Args...)>;
  static constexpr bool storage_enabled = false;
  static constexpr bool kViewAllocates = true;  // a view is a new ffi.Function
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIFunction;
  static void CopyToAnyView(const Self& src, TVMFFIAny* result) {
    TypeTraits<Function>::MoveToAny(Function::FromTyped(src), result);
  }
  static void MoveToAny(Self src, TVMFFIAny* result) {
    TypeTraits<Function>::MoveToAny(Function::FromTyped(std::move(src)), result);
  }
  /*! \brief A std::function that calls the ffi.Function (converting its arguments and result). */
  static std::optional<Self> TryCastFromAnyView(const TVMFFIAny* src) {
    std::optional<TypedFunction<R(Args...)>> f =
        TypeTraits<TypedFunction<R(Args...)>>::TryCastFromAnyView(src);
    if (!f.has_value()) return std::nullopt;
    return Self(
        [fn = std::move(*f)](Args... args) -> R { return fn(std::forward<Args>(args)...); });
  }
  static std::string TypeStr() {
    std::string args;
    ((args += (args.empty() ? "" : ", ") + details::Type2Str<Args>::v()), ...);
    return "std::function<" + details::Type2Str<R>::v() + "(" + args + ")>";
  }
  static std::string TypeSchema() {
    std::string args;
    ((args += (args.empty() ? "" : ",") + details::TypeSchema<Args>::v()), ...);
    return R"({"type":"std::function","args":[)" + details::TypeSchema<R>::v() + ",[" + args +
           "]]}";
  }
};

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_STL_H_
