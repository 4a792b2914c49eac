/*
 * tvmffi-rpc runtime: registration helpers. reflection::GlobalDef registers global functions
 * with their doc and type-schema metadata through TVMFFIFunctionSetGlobalFromMethodInfo.
 */
#ifndef TVM_FFI_REFLECTION_REGISTRY_H_
#define TVM_FFI_REFLECTION_REGISTRY_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {
namespace reflection {

/*!
 * \brief Registers global functions: `GlobalDef().def("my_ext.add_one", AddOne, "doc")`.
 *        A name that is already registered is an error (logged, then thrown).
 */
class GlobalDef {
 public:
  /*! \brief A typed function (checked argument conversion); extra may hold a doc string. */
  template <typename Func, typename... Extra>
  GlobalDef& def(const char* name, Func&& func, Extra&&... extra) {
    using F = std::decay_t<Func>;
    Register(name, Function::FromTyped(F(std::forward<Func>(func)), std::string(name)),
             details::TypedMetadataJSON<F>(), std::forward<Extra>(extra)...);
    return *this;
  }
  /*! \brief A packed function: f(PackedArgs, Any*) or f(const AnyView*, int32_t, Any*). */
  template <typename Func, typename... Extra>
  GlobalDef& def_packed(const char* name, Func func, Extra&&... extra) {
    Register(name, Function::FromPacked(std::move(func)), "{}", std::forward<Extra>(extra)...);
    return *this;
  }
  /*! \brief A member function; the object becomes the first argument. */
  template <typename Cls, typename R, typename... Args, typename... Extra>
  GlobalDef& def_method(const char* name, R (Cls::*method)(Args...) const, Extra&&... extra) {
    auto f = [method](const Cls* self, Args... args) -> R { return (self->*method)(args...); };
    return def(name, std::move(f), std::forward<Extra>(extra)...);
  }
  /*! \brief A callable registered under def_method's name (no self argument). */
  template <typename Func, typename... Extra,
            typename = std::enable_if_t<!std::is_member_function_pointer_v<std::decay_t<Func>>>>
  GlobalDef& def_method(const char* name, Func&& func, Extra&&... extra) {
    return def(name, std::forward<Func>(func), std::forward<Extra>(extra)...);
  }

 private:
  static void Collect(std::string*) {}
  template <typename First, typename... Rest>
  static void Collect(std::string* doc, First&& first, Rest&&... rest) {
    if constexpr (std::is_convertible_v<First, std::string_view>) {
      *doc = std::string(std::string_view(first));
    }
    Collect(doc, std::forward<Rest>(rest)...);
  }
  template <typename... Extra>
  static void Register(const char* name, Function func, const std::string& metadata,
                       Extra&&... extra) {
    std::string doc;
    Collect(&doc, std::forward<Extra>(extra)...);
    TVMFFIMethodInfo info;
    info.name = TVMFFIByteArray{name, std::char_traits<char>::length(name)};
    info.doc = TVMFFIByteArray{doc.data(), doc.size()};
    info.metadata = TVMFFIByteArray{metadata.data(), metadata.size()};
    info.flags = kTVMFFIFieldFlagBitMaskIsStaticMethod;
    info.method = AnyView(func).CopyToTVMFFIAny();
    TVM_FFI_CHECK_SAFE_CALL(TVMFFIFunctionSetGlobalFromMethodInfo(&info, 0));
  }
};

}  // namespace reflection
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_REFLECTION_REGISTRY_H_
