/*
 * tvmffi-rpc runtime: functions. FunctionObj (header + TVMFFIFunctionCell), Function (the
 * type-erased reference), TypedFunction<R(Args...)>, the global registry helpers and
 * TVM_FFI_DLL_EXPORT_TYPED_FUNC.
 */
#ifndef TVM_FFI_FUNCTION_H_
#define TVM_FFI_FUNCTION_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/base_details.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/expected.h>
#include <tvm/ffi/function_details.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/string.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {

/*! \brief The function object. cpp_call (when set) throws; safe_call returns a code. */
class FunctionObj : public Object, public TVMFFIFunctionCell {
 public:
  using FCall = void (*)(const FunctionObj*, const AnyView*, int32_t, Any*);
  using TVMFFIFunctionCell::cpp_call;
  using TVMFFIFunctionCell::safe_call;

  /*! \brief Calls through cpp_call when present, else safe_call (rethrowing its error). */
  TVM_FFI_INLINE void CallPacked(const AnyView* args, int32_t num_args, Any* result) const {
    FCall call = cpp_call != nullptr ? reinterpret_cast<FCall>(cpp_call) : CallThroughSafeCall;
    call(this, args, num_args, result);
  }

  static constexpr int32_t _type_index = TypeIndex::kTVMFFIFunction;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIFunction, FunctionObj, Object);

 protected:
  FunctionObj() {
    safe_call = nullptr;
    cpp_call = nullptr;
  }

 private:
  static void CallThroughSafeCall(const FunctionObj* self, const AnyView* args, int32_t num_args,
                                  Any* result) {
    FunctionObj* mut = const_cast<FunctionObj*>(self);
    TVM_FFI_CHECK_SAFE_CALL(mut->safe_call(mut, reinterpret_cast<const TVMFFIAny*>(args), num_args,
                                           reinterpret_cast<TVMFFIAny*>(result)));
  }
  friend class Function;
};

/*! \brief Borrowed packed arguments. */
class PackedArgs {
 public:
  PackedArgs(const AnyView* data, int32_t size) : data_(data), size_(size) {}
  int32_t size() const { return size_; }
  const AnyView* data() const { return data_; }
  AnyView operator[](int i) const { return data_[i]; }
  PackedArgs Slice(int begin, int end = -1) const {
    if (end < 0) end = size_;
    return PackedArgs(data_ + begin, end - begin);
  }
  /*! \brief Fills views of args into out (which must have room for them). */
  template <typename... Args>
  TVM_FFI_INLINE static void Fill(AnyView* out, Args&&... args) {
    size_t i = 0;
    ((out[i++] = AnyView(std::forward<Args>(args))), ...);
    (void)i;
  }

 private:
  const AnyView* data_;
  int32_t size_;
};

namespace details {
/*!
 * \brief The arguments of one call, as views. An argument whose view would be a new object
 *        nobody owns (an STL value, see view_allocates_v) is converted into an owned Any first,
 *        released when the pack goes; every other argument is only viewed, as before.
 */
template <typename... Args>
class ArgPack {
 public:
  static constexpr size_t kNum = sizeof...(Args);
  static constexpr bool kOwns = (view_allocates_v<Args> || ...);
  explicit ArgPack(Args&&... args) {
    if constexpr (kOwns) {
      size_t i = 0;
      ((owned_[i] = Any(std::forward<Args>(args)), views_[i] = owned_[i], ++i), ...);
    } else {
      PackedArgs::Fill(views_, std::forward<Args>(args)...);
    }
  }
  const AnyView* data() const { return views_; }

 private:
  AnyView views_[kNum > 0 ? kNum : 1];
  std::conditional_t<kOwns, std::array<Any, kNum>, std::array<char, 0>> owned_;
};

// A C++ callable stored inline; both call pointers set.
template <typename TCallable>
class FunctionObjImpl : public FunctionObj {
 public:
  explicit FunctionObjImpl(TCallable callable) : callable_(std::move(callable)) {
    this->safe_call = SafeCall;
    this->cpp_call = reinterpret_cast<void*>(CppCall);
  }

 private:
  static void CppCall(const FunctionObj* self, const AnyView* args, int32_t num_args, Any* result) {
    static_cast<const FunctionObjImpl*>(self)->callable_(args, num_args, result);
  }
  static int SafeCall(void* self, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
    TVM_FFI_SAFE_CALL_BEGIN();
    auto* obj = static_cast<FunctionObjImpl*>(static_cast<Object*>(self));
    obj->callable_(reinterpret_cast<const AnyView*>(args), num_args,
                   reinterpret_cast<Any*>(result));
    TVM_FFI_SAFE_CALL_END();
  }
  mutable TCallable callable_;
};

// A C function with a resource handle: safe_call only; deleter(self) on release.
class ExternCFunctionObj : public FunctionObj {
 public:
  ExternCFunctionObj(void* self, TVMFFISafeCallType safe, void (*deleter)(void*))
      : self_(self), deleter_(deleter), call_(safe) {
    this->safe_call = Redirect;
  }
  ~ExternCFunctionObj() {
    if (deleter_ != nullptr) deleter_(self_);
  }

 private:
  static int Redirect(void* handle, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
    auto* obj = static_cast<ExternCFunctionObj*>(static_cast<Object*>(handle));
    return obj->call_(obj->self_, args, num_args, result);
  }
  void* self_;
  void (*deleter_)(void*);
  TVMFFISafeCallType call_;
};

// A C function without a resource handle: its safe_call is stored directly.
class ExternCFunctionObjNoHandle : public FunctionObj {
 public:
  explicit ExternCFunctionObjNoHandle(TVMFFISafeCallType safe) { this->safe_call = safe; }
};
}  // namespace details

/*! \brief A reference to any FFI function: C++ lambda, C symbol, remote proxy, ... */
class Function : public ObjectRef {
 public:
  Function(std::nullptr_t) {}  // NOLINT(*)

  /*! \brief Wraps f(PackedArgs, Any*) or f(const AnyView*, int32_t, Any*). */
  template <typename TCallable>
  static Function FromPacked(TCallable packed) {
    if constexpr (std::is_invocable_v<TCallable, const AnyView*, int32_t, Any*>) {
      return FromCallable(std::move(packed));
    } else {
      static_assert(std::is_invocable_v<TCallable, PackedArgs, Any*>,
                    "FromPacked needs f(PackedArgs, Any*) or f(const AnyView*, int32_t, Any*)");
      return FromCallable(
          [packed = std::move(packed)](const AnyView* args, int32_t num_args, Any* rv) mutable {
            packed(PackedArgs(args, num_args), rv);
          });
    }
  }

  /*! \brief Wraps a typed callable; arguments are converted and checked on each call. */
  template <typename TCallable>
  static Function FromTyped(TCallable callable) {
    using Info = details::FunctionInfo<std::decay_t<TCallable>>;
    return FromCallable(
        [f = std::move(callable)](const AnyView* args, int32_t num_args, Any* rv) mutable {
          details::UnpackCall(nullptr, f, Info{}, args, num_args, rv);
        });
  }
  /*! \brief Like FromTyped; name appears in argument errors. */
  template <typename TCallable>
  static Function FromTyped(TCallable callable, std::string name) {
    using Info = details::FunctionInfo<std::decay_t<TCallable>>;
    return FromCallable([f = std::move(callable), name = std::move(name)](
                            const AnyView* args, int32_t num_args, Any* rv) mutable {
      details::UnpackCall(&name, f, Info{}, args, num_args, rv);
    });
  }

  /*! \brief Wraps a C safe-call function and its resource handle (deleter may be NULL). */
  static Function FromExternC(void* self, TVMFFISafeCallType safe_call,
                              void (*deleter)(void* self)) {
    if (self == nullptr && deleter == nullptr) {
      return Function(make_object<details::ExternCFunctionObjNoHandle>(safe_call));
    }
    return Function(make_object<details::ExternCFunctionObj>(self, safe_call, deleter));
  }

  /*! \brief Calls a C safe-call function directly, rethrowing its error. */
  template <typename... Args>
  static Any InvokeExternC(void* handle, TVMFFISafeCallType safe_call, Args&&... args) {
    constexpr size_t kNum = sizeof...(Args);
    details::ArgPack<Args...> packed(std::forward<Args>(args)...);
    Any result;
    TVM_FFI_CHECK_SAFE_CALL(safe_call(handle, reinterpret_cast<const TVMFFIAny*>(packed.data()),
                                      static_cast<int32_t>(kNum),
                                      reinterpret_cast<TVMFFIAny*>(&result)));
    return result;
  }

  /*! \brief The global function called name, or nullopt. */
  static std::optional<Function> GetGlobal(std::string_view name) {
    TVMFFIByteArray arr{name.data(), name.size()};
    TVMFFIObjectHandle handle = nullptr;
    TVM_FFI_CHECK_SAFE_CALL(TVMFFIFunctionGetGlobal(&arr, &handle));
    if (handle == nullptr) return std::nullopt;
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<Function>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(static_cast<Object*>(handle)));
  }
  static std::optional<Function> GetGlobal(const std::string& name) {
    return GetGlobal(std::string_view(name));
  }
  static std::optional<Function> GetGlobal(const String& name) { return GetGlobal(name.view()); }
  static std::optional<Function> GetGlobal(const char* name) {
    return GetGlobal(std::string_view(name));
  }
  /*! \brief The global function called name; ValueError when there is none. */
  static Function GetGlobalRequired(std::string_view name) {
    std::optional<Function> f = GetGlobal(name);
    if (!f.has_value()) TVM_FFI_THROW(ValueError) << "Function " << name << " not found";
    return std::move(*f);
  }
  static Function GetGlobalRequired(const std::string& name) {
    return GetGlobalRequired(std::string_view(name));
  }
  static Function GetGlobalRequired(const String& name) { return GetGlobalRequired(name.view()); }
  static Function GetGlobalRequired(const char* name) {
    return GetGlobalRequired(std::string_view(name));
  }
  /*! \brief Registers func as a global; RuntimeError if taken and override is false. */
  static void SetGlobal(std::string_view name, Function func, bool override = false) {
    TVMFFIByteArray arr{name.data(), name.size()};
    TVM_FFI_CHECK_SAFE_CALL(TVMFFIFunctionSetGlobal(
        &arr, details::ObjectUnsafe::RawObjectPtrFromObjectRef(func), override ? 1 : 0));
  }
  /*! \brief Names of all global functions. */
  static std::vector<String> ListGlobalNames() {
    Function functor = GetGlobalRequired("ffi.FunctionListGlobalNamesFunctor")().cast<Function>();
    int64_t count = functor(-1).cast<int64_t>();
    std::vector<String> names;
    names.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) names.push_back(functor(i).cast<String>());
    return names;
  }
  /*! \brief Removes a global function (no error if it does not exist). */
  static void RemoveGlobal(const String& name) {
    static Function remove = GetGlobalRequired("ffi.FunctionRemoveGlobal");
    remove(name);
  }

  /*! \brief Calls with C++ arguments (each viewed as an AnyView) and returns the result. */
  template <typename... Args>
  TVM_FFI_INLINE Any operator()(Args&&... args) const {
    constexpr size_t kNum = sizeof...(Args);
    details::ArgPack<Args...> packed(std::forward<Args>(args)...);
    Any result;
    static_cast<const FunctionObj*>(data_.get())
        ->CallPacked(packed.data(), static_cast<int32_t>(kNum), &result);
    return result;
  }
  void CallPacked(const AnyView* args, int32_t num_args, Any* result) const {
    static_cast<const FunctionObj*>(data_.get())->CallPacked(args, num_args, result);
  }
  /*!
   * \brief Calls without throwing: the result as T, or the Error the call raised (also an
   *        Error it returned, and a TypeError when the result is not a T).
   */
  template <typename T = Any, typename... Args>
  Expected<T> CallExpected(Args&&... args) const {
    constexpr size_t kNum = sizeof...(Args);
    details::ArgPack<Args...> packed(std::forward<Args>(args)...);
    Any result;
    FunctionObj* fn = const_cast<FunctionObj*>(static_cast<const FunctionObj*>(data_.get()));
    int rc = fn->safe_call(fn, reinterpret_cast<const TVMFFIAny*>(packed.data()),
                           static_cast<int32_t>(kNum), reinterpret_cast<TVMFFIAny*>(&result));
    if (rc != 0) return Unexpected(details::MoveFromSafeCallRaised());
    if constexpr (std::is_same_v<T, Any>) {
      return result;
    } else {
      if constexpr (std::is_void_v<T>) {
        if (result.type_index() == TypeIndex::kTVMFFINone) return Expected<void>();
      } else {
        if (std::optional<T> value = result.template try_cast<T>()) return *std::move(value);
      }
      if (std::optional<Error> error = result.template try_cast<Error>()) {
        return Unexpected(*std::move(error));
      }
      std::string expected;
      if constexpr (std::is_void_v<T>) {
        expected = "void";
      } else {
        expected = TypeTraits<T>::TypeStr();
      }
      return Unexpected(Error("TypeError",
                              "CallExpected: result type mismatch, expected " + expected +
                                  ", but got " + result.GetTypeKey(),
                              ""));
    }
  }
  void CallPacked(PackedArgs args, Any* result) const {
    CallPacked(args.data(), args.size(), result);
  }

  bool operator==(std::nullptr_t) const { return !defined(); }
  bool operator!=(std::nullptr_t) const { return defined(); }

  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Function, ObjectRef, FunctionObj);

 private:
  template <typename TCallable>
  static Function FromCallable(TCallable callable) {
    return Function(make_object<details::FunctionObjImpl<TCallable>>(std::move(callable)));
  }
};

/*! \brief A Function with a static signature: calls convert arguments and the result. */
template <typename FType>
class TypedFunction;

template <typename R, typename... Args>
class TypedFunction<R(Args...)> {
 public:
  using TSelf = TypedFunction<R(Args...)>;
  TypedFunction() = default;
  TypedFunction(std::nullptr_t) {}                                // NOLINT(*)
  TypedFunction(Function packed) : packed_(std::move(packed)) {}  // NOLINT(*)
  template <typename FLambda,
            typename = std::enable_if_t<std::is_convertible_v<FLambda, std::function<R(Args...)>> &&
                                        !std::is_same_v<std::decay_t<FLambda>, Function> &&
                                        !std::is_same_v<std::decay_t<FLambda>, TSelf>>>
  TypedFunction(FLambda typed_lambda)  // NOLINT(*)
      : packed_(Function::FromTyped(std::function<R(Args...)>(std::move(typed_lambda)))) {}
  template <typename FLambda>
  TypedFunction(FLambda typed_lambda, std::string name)
      : packed_(Function::FromTyped(std::function<R(Args...)>(std::move(typed_lambda)),
                                    std::move(name))) {}

  TVM_FFI_INLINE R operator()(Args... args) const {
    if constexpr (std::is_void_v<R>) {
      packed_(std::forward<Args>(args)...);
    } else {
      Any result = packed_(std::forward<Args>(args)...);
      if constexpr (std::is_same_v<R, Any>) {
        return result;
      } else {
        return std::move(result).template cast<R>();
      }
    }
  }
  operator Function() const { return packed_; }  // NOLINT(*)
  const Function& packed() const& { return packed_; }
  Function&& packed() && { return std::move(packed_); }
  bool operator==(std::nullptr_t) const { return packed_ == nullptr; }
  bool operator!=(std::nullptr_t) const { return packed_ != nullptr; }
  /*! \brief {"type":"ffi.Function","args":[<ret>, <args>...]}. */
  static std::string TypeSchema() { return details::FunctionSchema<R, Args...>(); }

 private:
  Function packed_;
};

template <typename FType>
struct TypeTraits<TypedFunction<FType>> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static void CopyToAnyView(const TypedFunction<FType>& src, TVMFFIAny* result) {
    TypeTraits<Function>::CopyToAnyView(src.packed(), result);
  }
  static void MoveToAny(TypedFunction<FType> src, TVMFFIAny* result) {
    TypeTraits<Function>::MoveToAny(std::move(src).packed(), result);
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return TypeTraits<Function>::CheckAnyStrict(src);
  }
  static TypedFunction<FType> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return TypeTraits<Function>::CopyFromAnyViewAfterCheck(src);
  }
  static TypedFunction<FType> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    return TypeTraits<Function>::MoveFromAnyAfterCheck(src);
  }
  static std::optional<TypedFunction<FType>> TryCastFromAnyView(const TVMFFIAny* src) {
    std::optional<Function> f = TypeTraits<Function>::TryCastFromAnyView(src);
    if (!f.has_value()) return std::nullopt;
    return TypedFunction<FType>(std::move(*f));
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIFunction; }
  static std::string TypeSchema() { return TypedFunction<FType>::TypeSchema(); }
};

namespace details {
/*! \brief Escapes a string for a JSON string literal. */
inline std::string EscapeJSON(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* kHex = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  return out;
}

// {"type_schema": "<escaped schema>"} of R(Args...).
template <typename R, typename... Args>
std::string TypedMetadataFromSignature(FuncSignature<R, Args...>) {
  return "{\"type_schema\":\"" + EscapeJSON(FunctionSchema<R, Args...>()) + "\"}";
}
/*! \brief The JSON metadata of a typed callable F. */
template <typename F>
std::string TypedMetadataJSON() {
  return TypedMetadataFromSignature(FunctionInfo<std::decay_t<F>>{});
}
}  // namespace details

}  // namespace ffi
}  // namespace tvm

/*!
 * \brief Exports Function as the C symbol `__tvm_ffi_<ExportName>` (the safe-call signature),
 *        unpacking and checking its arguments like Function::FromTyped.
 */
#define TVM_FFI_DLL_EXPORT_TYPED_FUNC_IMPL_(ExportName, Function)                                 \
  extern "C" {                                                                                    \
  TVM_FFI_DLL_EXPORT int __tvm_ffi_##ExportName(void* self, const TVMFFIAny* args,                \
                                                int32_t num_args, TVMFFIAny* result) {            \
    TVM_FFI_SAFE_CALL_BEGIN();                                                                    \
    (void)self;                                                                                   \
    using FuncInfo = ::tvm::ffi::details::FunctionInfo<std::decay_t<decltype(Function)>>;         \
    static std::string name = #ExportName;                                                        \
    ::tvm::ffi::details::UnpackCall(&name, Function, FuncInfo{},                                  \
                                    reinterpret_cast<const ::tvm::ffi::AnyView*>(args), num_args, \
                                    reinterpret_cast<::tvm::ffi::Any*>(result));                  \
    TVM_FFI_SAFE_CALL_END();                                                                      \
  }                                                                                               \
  }

#if defined(TVM_FFI_DLL_EXPORT_INCLUDE_METADATA) && TVM_FFI_DLL_EXPORT_INCLUDE_METADATA
/*! \brief With metadata on, also exports `__tvm_ffi__metadata_<ExportName>` returning
 *         {"type_schema": ...} as a String. */
#define TVM_FFI_DLL_EXPORT_TYPED_FUNC(ExportName, Function)                                 \
  TVM_FFI_DLL_EXPORT_TYPED_FUNC_IMPL_(ExportName, Function)                                 \
  extern "C" {                                                                              \
  TVM_FFI_DLL_EXPORT int __tvm_ffi__metadata_##ExportName(void*, const TVMFFIAny*, int32_t, \
                                                          TVMFFIAny* result) {              \
    TVM_FFI_SAFE_CALL_BEGIN();                                                              \
    std::string meta = ::tvm::ffi::details::TypedMetadataJSON<decltype(Function)>();        \
    TVMFFIByteArray arr{meta.data(), meta.size()};                                          \
    TVM_FFI_CHECK_SAFE_CALL(TVMFFIStringFromByteArray(&arr, result));                       \
    TVM_FFI_SAFE_CALL_END();                                                                \
  }                                                                                         \
  }
/*! \brief Exports `__tvm_ffi__doc_<ExportName>` returning Doc as a String. */
#define TVM_FFI_DLL_EXPORT_TYPED_FUNC_DOC(ExportName, Doc)                             \
  extern "C" {                                                                         \
  TVM_FFI_DLL_EXPORT int __tvm_ffi__doc_##ExportName(void*, const TVMFFIAny*, int32_t, \
                                                     TVMFFIAny* result) {              \
    TVM_FFI_SAFE_CALL_BEGIN();                                                         \
    std::string_view doc = Doc;                                                        \
    TVMFFIByteArray arr{doc.data(), doc.size()};                                       \
    TVM_FFI_CHECK_SAFE_CALL(TVMFFIStringFromByteArray(&arr, result));                  \
    TVM_FFI_SAFE_CALL_END();                                                           \
  }                                                                                    \
  }
#else
#define TVM_FFI_DLL_EXPORT_TYPED_FUNC(ExportName, Function) \
  TVM_FFI_DLL_EXPORT_TYPED_FUNC_IMPL_(ExportName, Function)
#define TVM_FFI_DLL_EXPORT_TYPED_FUNC_DOC(ExportName, Doc)
#endif

#endif  // TVM_FFI_FUNCTION_H_
