/*
 * tvmffi-rpc runtime: reflection::OverloadObjectDef<Class>, ObjectDef where one method name may
 * be registered more than once. Calling the name tries the overloads in registration order and
 * calls the first whose argument count matches and whose arguments all convert (as
 * Any::try_cast does); when none does, a TypeError lists why each was refused. Every
 * registration is recorded in the type's method table (with its own type schema); each entry
 * calls the whole set.
 *   refl::OverloadObjectDef<NumObj>()
 *       .def(refl::init<int32_t>())
 *       .def(refl::init<float>())
 *       .def_static("add_one", &NumObj::AddOneInt)
 *       .def_static("add_one", &NumObj::AddOneFloat);
 */
#ifndef TVM_FFI_REFLECTION_OVERLOAD_H_
#define TVM_FFI_REFLECTION_OVERLOAD_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {
namespace reflection {
namespace details {

/*! \brief The overloads of one name. */
class OverloadSet {
 public:
  // Calls when the arguments fit; otherwise says why (when why is not null) and returns false.
  using TryCall =
      std::function<bool(const AnyView* args, int32_t num_args, Any* rv, std::string* why)>;
  explicit OverloadSet(std::string name) : name_(std::move(name)) {}
  void Add(TryCall overload) { overloads_.push_back(std::move(overload)); }
  void Call(const AnyView* args, int32_t num_args, Any* rv) const {
    for (const TryCall& overload : overloads_) {
      if (overload(args, num_args, rv, nullptr)) return;
    }
    std::string reasons;
    for (size_t i = 0; i < overloads_.size(); ++i) {
      std::string why;
      overloads_[i](args, num_args, nullptr, &why);
      reasons += "\nOverload #" + std::to_string(i) + ": " + why;
    }
    TVM_FFI_THROW(TypeError) << "No matching overload found when calling: `" << name_ << "` with "
                             << num_args << " arguments:" << reasons;
  }

 private:
  std::string name_;
  std::vector<TryCall> overloads_;
};

template <typename Tuple>
struct OptionalArgs;
template <typename... Args>
struct OptionalArgs<std::tuple<Args...>> {
  using type = std::tuple<std::optional<std::remove_const_t<std::remove_reference_t<Args>>>...>;
};

// Converts every argument into values; on the first that does not fit, says why.
template <typename Values, size_t... I>
bool ConvertAll(const AnyView* args, Values* values, std::string* why, const std::string& sig,
                std::index_sequence<I...>) {
  bool fits = true;
  auto one = [&](auto index) {
    constexpr size_t i = decltype(index)::value;
    using T = typename std::tuple_element_t<i, Values>::value_type;
    auto& slot = std::get<i>(*values);
    if constexpr (std::is_same_v<T, AnyView>) {
      slot = args[i];
    } else if constexpr (std::is_same_v<T, Any>) {
      slot = Any(args[i]);
    } else {
      slot = args[i].template try_cast<T>();
      if (!slot.has_value()) {
        fits = false;
        if (why != nullptr) {
          TVMFFIAny cell = args[i].CopyToTVMFFIAny();
          *why = "Mismatched type on argument #" + std::to_string(i) + " when calling: `" + sig +
                 "`. Expected `" + TypeTraits<T>::TypeStr() + "` but got `" +
                 ::tvm::ffi::details::MismatchTypeInfo<T>(&cell) + "`";
        }
      }
    }
  };
  // stop at the first argument that does not fit
  ((fits ? one(std::integral_constant<size_t, I>{}) : void()), ...);
  return fits;
}

/*! \brief The TryCall of a callable (its arguments converted as try_cast converts). */
template <typename Callable, typename Ret, typename... Args>
OverloadSet::TryCall MakeTryCallImpl(Callable f, std::string name,
                                     ::tvm::ffi::details::FuncSignature<Ret, Args...>) {
  std::string sig = name + " " + ::tvm::ffi::details::SignatureStr<Ret, Args...>();
  return [f = std::move(f), sig = std::move(sig)](const AnyView* args, int32_t num_args, Any* rv,
                                                  std::string* why) mutable {
    if (num_args != static_cast<int32_t>(sizeof...(Args))) {
      if (why != nullptr) {
        *why = "Mismatched number of arguments when calling: `" + sig + "`. Expected " +
               std::to_string(sizeof...(Args)) + " arguments";
      }
      return false;
    }
    typename OptionalArgs<std::tuple<Args...>>::type values;
    bool fits = ConvertAll(args, &values, why, sig, std::index_sequence_for<Args...>{});
    if (!fits || rv == nullptr) return fits;
    std::apply(
        [&](auto&... v) {
          if constexpr (std::is_void_v<Ret>) {
            f(std::move(*v)...);
            *rv = Any();
          } else {
            *rv = Any(f(std::move(*v)...));
          }
        },
        values);
    return true;
  };
}
template <typename Callable>
OverloadSet::TryCall MakeTryCall(Callable f, std::string name) {
  return MakeTryCallImpl(std::move(f), std::move(name),
                         ::tvm::ffi::details::FunctionInfo<Callable>{});
}

}  // namespace details

template <typename Class>
class OverloadObjectDef : public ReflectionDefBase {
 public:
  template <typename... ExtraArgs>
  explicit OverloadObjectDef(ExtraArgs&&... extra_args)
      : def_(std::forward<ExtraArgs>(extra_args)...) {}

  template <typename T, typename BaseClass, typename... Extra>
  OverloadObjectDef& def_ro(const char* name, T BaseClass::*field, Extra&&... extra) {
    def_.def_ro(name, field, std::forward<Extra>(extra)...);
    return *this;
  }
  template <typename T, typename BaseClass, typename... Extra>
  OverloadObjectDef& def_rw(const char* name, T BaseClass::*field, Extra&&... extra) {
    def_.def_rw(name, field, std::forward<Extra>(extra)...);
    return *this;
  }
  /*! \brief One overload of a method (a member function pointer or a callable taking the
   *         object first). */
  template <typename Func, typename... Extra>
  OverloadObjectDef& def(const char* name, Func&& func, Extra&&... extra) {
    Add(name, false, std::forward<Func>(func), extra...);
    return *this;
  }
  /*! \brief One overload of a static method. */
  template <typename Func, typename... Extra>
  OverloadObjectDef& def_static(const char* name, Func&& func, Extra&&... extra) {
    Add(name, true, std::forward<Func>(func), extra...);
    return *this;
  }
  /*! \brief One overload of the constructor (__ffi_init__, also its type attribute). */
  template <typename... Args, typename... Extra>
  OverloadObjectDef& def(init<Args...>, Extra&&... extra) {
    def_.has_explicit_init_ = true;
    bool first = sets_.count(type_attr::kInit) == 0;
    Function set = Add(type_attr::kInit, true, &init<Args...>::template Make<Class>, extra...);
    // the attribute is the whole set's function, registered once
    if (first) RegisterTypeAttr(def_.type_index_, type_attr::kInit, set);
    return *this;
  }

 private:
  // Adds func to name's set (made, with its dispatching function, on first use) and records
  // this overload in the method table. Returns the set's function.
  template <typename Func, typename... Extra>
  Function Add(const char* name, bool is_static, Func&& func, const Extra&... extra) {
    std::string full_name = std::string(def_.type_key_) + "." + name;
    std::string schema = MethodSchema(func);
    auto wrapped = WrapFunction(std::forward<Func>(func));
    auto found = sets_.find(name);
    if (found == sets_.end()) {
      auto set = std::make_shared<details::OverloadSet>(full_name);
      Function dispatch = Function::FromPacked(
          [set](PackedArgs args, Any* rv) { set->Call(args.data(), args.size(), rv); });
      found = sets_.emplace(name, std::make_pair(set, dispatch)).first;
    }
    found->second.first->Add(details::MakeTryCall(std::move(wrapped), full_name));
    ::tvm::ffi::reflection::details::MethodInfoBuilder info;
    info.name = AsByteArray(name);
    info.doc = TVMFFIByteArray{nullptr, 0};
    info.flags = is_static ? kTVMFFIFieldFlagBitMaskIsStaticMethod : 0;
    info.method = AnyView(found->second.second).CopyToTVMFFIAny();
    info.metadata_.emplace_back("type_schema", String(schema));
    (ApplyTrait(&info, extra), ...);
    RegisterMethodInfo(def_.type_index_, &info);
    return found->second.second;
  }

  ObjectDef<Class> def_;
  std::unordered_map<std::string, std::pair<std::shared_ptr<details::OverloadSet>, Function>> sets_;
};

}  // namespace reflection
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_REFLECTION_OVERLOAD_H_
