/*
 * tvmffi-rpc runtime: compile-time signature handling for typed functions: callable signature
 * introspection, argument unpacking with typed errors, and type-schema strings.
 */
#ifndef TVM_FFI_FUNCTION_DETAILS_H_
#define TVM_FFI_FUNCTION_DETAILS_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/base_details.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/string.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {
namespace details {

// Signature of a callable: return type R and argument types Args.
template <typename R, typename... Args>
struct FuncSignature {
  using RetType = R;
  using ArgsTuple = std::tuple<Args...>;
  using ArgType = std::tuple<Args...>;
  static constexpr size_t num_args = sizeof...(Args);
};

template <typename T, typename = void>
struct FunctionInfo;
template <typename R, typename... Args>
struct FunctionInfo<R(Args...)> : FuncSignature<R, Args...> {};
template <typename R, typename... Args>
struct FunctionInfo<R (*)(Args...)> : FuncSignature<R, Args...> {};
template <typename C, typename R, typename... Args>
struct FunctionInfo<R (C::*)(Args...) const> : FuncSignature<R, Args...> {};
template <typename C, typename R, typename... Args>
struct FunctionInfo<R (C::*)(Args...)> : FuncSignature<R, Args...> {};
template <typename F>
struct FunctionInfo<F, std::void_t<decltype(&F::operator())>>
    : FunctionInfo<decltype(&F::operator())> {};

template <typename T>
using ArgStorage = std::remove_const_t<std::remove_reference_t<T>>;

template <typename T>
std::string TypeStrOf() {
  using U = ArgStorage<T>;
  if constexpr (std::is_void_v<U>) {
    return StaticTypeKey::kTVMFFINone;
  } else if constexpr (std::is_same_v<U, AnyView>) {
    return "AnyView";  // a signature tells a borrowed argument from an owned one
  } else {
    return TypeTraits<U>::TypeStr();
  }
}
template <typename T>
std::string TypeSchemaOf() {
  using U = ArgStorage<T>;
  if constexpr (std::is_void_v<U>) {
    return SchemaOf(StaticTypeKey::kTVMFFINone);
  } else {
    return TypeTraits<U>::TypeSchema();
  }
}

/*! \brief T's type schema (JSON) as a struct, for code that names it so: TypeSchema<T>::v(). */
template <typename T>
struct TypeSchema {
  static std::string v() { return TypeSchemaOf<T>(); }
};

/*! \brief "(0: int, 1: str) -> float" for R(Args...). */
template <typename R, typename... Args>
std::string SignatureStr() {
  std::string out = "(";
  size_t index = 0;
  ((out += (index ? ", " : "") + std::to_string(index) + ": " + TypeStrOf<Args>(), ++index), ...);
  out += ") -> " + TypeStrOf<R>();
  return out;
}

/*! \brief {"type":"ffi.Function","args":[<ret>, <arg0>, ...]} for R(Args...). */
template <typename R, typename... Args>
std::string FunctionSchema() {
  std::string out = "{\"type\":\"ffi.Function\",\"args\":[" + TypeSchemaOf<R>();
  ((out += "," + TypeSchemaOf<Args>()), ...);
  out += "]}";
  return out;
}

// Prints the signature for error messages (a function pointer keeps the happy path small).
using SignaturePrinter = std::string (*)();

[[noreturn]] inline void ThrowArgTypeMismatch(const std::string* name, SignaturePrinter sig,
                                              int index, const std::string& expected,
                                              const std::string& got) {
  TVM_FFI_THROW(TypeError) << "Mismatched type on argument #" << index << " when calling: `"
                           << (name ? *name : std::string()) << sig() << "`. Expected `" << expected
                           << "` but got `" << got << '`';
  TVM_FFI_UNREACHABLE();
}

[[noreturn]] inline void ThrowArgCountMismatch(const std::string* name, SignaturePrinter sig,
                                               size_t expected, int32_t got) {
  TVM_FFI_THROW(TypeError) << "Mismatched number of arguments when calling: `"
                           << (name ? *name : std::string()) << sig() << "`. Expected " << expected
                           << " but got " << got << " arguments";
  TVM_FFI_UNREACHABLE();
}

// Converts argument `index` to T, or throws the typed mismatch error.
template <typename T>
TVM_FFI_INLINE ArgStorage<T> UnpackArg(const AnyView* args, int index, const std::string* name,
                                       SignaturePrinter sig) {
  using U = ArgStorage<T>;
  const TVMFFIAny* cell = AnyUnsafe::TVMFFIAnyPtrFromAnyView(args[index]);
  if constexpr (std::is_same_v<U, AnyView>) {
    return args[index];
  } else if constexpr (std::is_same_v<U, Any>) {
    return Any(args[index]);
  } else {
    if constexpr (has_strict_check_v<U>) {
      if (TVM_FFI_LIKELY(TypeTraits<U>::CheckAnyStrict(cell))) {
        return TypeTraits<U>::CopyFromAnyViewAfterCheck(cell);
      }
    }
    std::optional<U> opt = TypeTraits<U>::TryCastFromAnyView(cell);
    if (!opt.has_value()) {
      ThrowArgTypeMismatch(name, sig, index, TypeTraits<U>::TypeStr(), MismatchTypeInfo<U>(cell));
    }
    return std::move(*opt);
  }
}

template <typename R, typename... Args, typename F, size_t... I>
TVM_FFI_INLINE void UnpackCallImpl(const std::string* name, F& f, const AnyView* args,
                                   int32_t num_args, Any* rv, std::index_sequence<I...>) {
  constexpr SignaturePrinter sig = SignatureStr<R, Args...>;
  if (TVM_FFI_UNLIKELY(num_args != static_cast<int32_t>(sizeof...(Args)))) {
    ThrowArgCountMismatch(name, sig, sizeof...(Args), num_args);
  }
  (void)args;
  (void)sig;
  if constexpr (std::is_void_v<R>) {
    f(UnpackArg<Args>(args, static_cast<int>(I), name, sig)...);
  } else {
    *rv = R(f(UnpackArg<Args>(args, static_cast<int>(I), name, sig)...));
  }
}

/*! \brief Calls f with the packed arguments converted to its parameter types. */
template <typename F, typename R, typename... Args>
TVM_FFI_INLINE void UnpackCall(const std::string* name, F& f, FuncSignature<R, Args...>,
                               const AnyView* args, int32_t num_args, Any* rv) {
  UnpackCallImpl<R, Args...>(name, f, args, num_args, rv, std::index_sequence_for<Args...>{});
}

}  // namespace details
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_FUNCTION_DETAILS_H_
