/*
 * tvmffi-rpc runtime: registration helpers.
 *   GlobalDef    global functions, with doc and type-schema metadata
 *                (TVMFFIFunctionSetGlobalFromMethodInfo)
 *   ObjectDef    a type's fields (def_ro/def_rw: offset, getter, setter, default), methods
 *                (def/def_static), constructor (def(init<Args...>())), creator and structural
 *                kind (TVMFFITypeRegisterField/Method/Metadata); when it goes out of scope it
 *                also registers __ffi_shallow_copy__, __ffi_new__ and, without an explicit
 *                init, the runtime's automatic __ffi_init__
 *   TypeAttrDef  type attributes (TVMFFITypeRegisterAttr): values, or callables as Functions
 * Traits given after a name: a doc string, default_value/default_factory, AttachFieldFlag,
 * repr/compare/hash/kw_only/init(bool) switches, Metadata{{"key", int|bool|string}}.
 */
#ifndef TVM_FFI_REFLECTION_REGISTRY_H_
#define TVM_FFI_REFLECTION_REGISTRY_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/creator.h>
#include <tvm/ffi/string.h>

#include <initializer_list>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {

namespace reflection {
namespace details {

template <typename T, typename = void>
struct HasContainerType : std::false_type {};
template <typename T>
struct HasContainerType<T, std::void_t<typename T::ContainerType>> : std::true_type {};

// The static type index a field's value is stored under, as the runtime and the JSON graph
// read it: inline POD kinds, Array/Shape/Function, other objects, or any.
template <typename T>
constexpr int32_t FieldStaticTypeIndex() {
  if constexpr (TypeToFieldStaticTypeIndex<T>::value != TypeIndex::kTVMFFIAny) {
    return TypeToFieldStaticTypeIndex<T>::value;
  } else if constexpr (std::is_same_v<T, bool>) {
    return TypeIndex::kTVMFFIBool;
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    return TypeIndex::kTVMFFIInt;
  } else if constexpr (std::is_floating_point_v<T>) {
    return TypeIndex::kTVMFFIFloat;
  } else if constexpr (std::is_same_v<T, void*>) {
    return TypeIndex::kTVMFFIOpaquePtr;
  } else if constexpr (std::is_same_v<T, DLDevice>) {
    return TypeIndex::kTVMFFIDevice;
  } else if constexpr (std::is_same_v<T, DLDataType>) {
    return TypeIndex::kTVMFFIDataType;
  } else if constexpr (std::is_same_v<T, String> || std::is_same_v<T, Bytes> ||
                       std::is_same_v<T, Any> || !std::is_base_of_v<ObjectRef, T>) {
    return TypeIndex::kTVMFFIAny;
  } else if constexpr (std::is_same_v<T, Shape>) {
    return TypeIndex::kTVMFFIShape;
  } else if constexpr (std::is_same_v<T, Function>) {
    return TypeIndex::kTVMFFIFunction;
  } else if constexpr (HasContainerType<T>::value &&
                       std::is_same_v<typename T::ContainerType, ArrayObj>) {
    return TypeIndex::kTVMFFIArray;
  } else {
    return TypeIndex::kTVMFFIObject;
  }
}

// Byte offset of a member from the start of the class's Object part (Object need not be the
// first base).
template <typename Class, typename T, typename BaseClass>
int64_t FieldByteOffset(T BaseClass::*field) {
  alignas(Class) static char probe[sizeof(Class)];
  Class* obj = reinterpret_cast<Class*>(probe);
  const char* member = reinterpret_cast<const char*>(&(obj->*field));
  const char* object = reinterpret_cast<const char*>(static_cast<Object*>(obj));
  return static_cast<int64_t>(member - object);
}

// The type schema of a function signature ({"type":"ffi.Function","args":[ret, args...]}).
template <typename R, typename... Args>
std::string SchemaOfSignature(::tvm::ffi::details::FuncSignature<R, Args...>) {
  return ::tvm::ffi::details::FunctionSchema<R, Args...>();
}

// Whether a trait applies to this kind of record (field traits do not apply to methods).
template <typename Trait, typename Info, typename = void>
struct CanApplyTo : std::false_type {};
template <typename Trait, typename Info>
struct CanApplyTo<Trait, Info,
                  std::void_t<decltype(std::declval<const Trait&>().Apply(std::declval<Info*>()))>>
    : std::true_type {};

// Key-value metadata of a field or method, written out as one JSON object.
using MetadataList = std::vector<std::pair<String, Any>>;

struct FieldInfoBuilder : public TVMFFIFieldInfo {
  MetadataList metadata_;
};
struct MethodInfoBuilder : public TVMFFIMethodInfo {
  MetadataList metadata_;
};
}  // namespace details

/*! \brief Byte offset of a member from the start of its class's Object part. */
template <typename Class, typename T>
inline int64_t GetFieldByteOffsetToObject(T Class::*field) {
  return details::FieldByteOffset<Class>(field);
}

/*! \brief Base of the traits that may follow a field's or a method's name. */
struct InfoTrait {};

/*! \brief Extra metadata entries (values: int, bool or string). */
class Metadata : public InfoTrait {
 public:
  Metadata(std::initializer_list<std::pair<String, Any>> entries) : entries_(entries) {}
  void Apply(details::FieldInfoBuilder* info) const { Append(&info->metadata_); }
  void Apply(details::MethodInfoBuilder* info) const { Append(&info->metadata_); }

  /*! \brief {"key":value,...}; a TypeError for a value that is not int, bool or string. */
  static std::string ToJSON(const details::MetadataList& entries) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, value] : entries) {
      if (!first) out += ',';
      first = false;
      out += '"' + ::tvm::ffi::details::EscapeJSON(key) + "\":";
      if (value.type_index() == TypeIndex::kTVMFFIBool) {
        out += value.cast<bool>() ? "true" : "false";
      } else if (value.type_index() == TypeIndex::kTVMFFIInt) {
        out += std::to_string(value.cast<int64_t>());
      } else if (std::optional<String> s = value.as<String>()) {
        out += '"' + ::tvm::ffi::details::EscapeJSON(*s) + '"';
      } else {
        TVM_FFI_THROW(TypeError) << "Metadata can be only int, bool or string, but on key `" << key
                                 << "`, the type is " << value.GetTypeKey();
      }
    }
    return out + "}";
  }

 private:
  void Append(details::MetadataList* out) const {
    out->insert(out->end(), entries_.begin(), entries_.end());
  }
  details::MetadataList entries_;
};

/*! \brief The value a field takes when a constructor is not given it. */
class DefaultValue : public InfoTrait {
 public:
  explicit DefaultValue(Any value) : value_(std::move(value)) {}
  void Apply(TVMFFIFieldInfo* info) const {
    info->default_value_or_factory = AnyView(value_).CopyToTVMFFIAny();
    info->flags |= kTVMFFIFieldFlagBitMaskHasDefault;
  }

 private:
  Any value_;  // kept alive by the registry's copy of the field (it takes a reference)
};
class default_value : public DefaultValue {
 public:
  using DefaultValue::DefaultValue;
};

/*! \brief A Function() called for a fresh default each time one is needed. */
class DefaultFactory : public InfoTrait {
 public:
  explicit DefaultFactory(Function factory) : factory_(std::move(factory)) {}
  void Apply(TVMFFIFieldInfo* info) const {
    info->default_value_or_factory = AnyView(factory_).CopyToTVMFFIAny();
    info->flags |= kTVMFFIFieldFlagBitMaskHasDefault | kTVMFFIFieldFlagBitMaskDefaultFromFactory;
  }

 private:
  Function factory_;
};
class default_factory : public DefaultFactory {
 public:
  using DefaultFactory::DefaultFactory;
};

/*! \brief Raw field flags, and the structural-equality roles of a field. */
class AttachFieldFlag : public InfoTrait {
 public:
  explicit AttachFieldFlag(int32_t flag) : flag_(flag) {}
  /*! \brief The field defines variables (compared by position), recursively. */
  static AttachFieldFlag SEqHashDefRecursive() {
    return AttachFieldFlag(kTVMFFIFieldFlagBitMaskSEqHashDefRecursive);
  }
  static AttachFieldFlag SEqHashDefNonRecursive() {
    return AttachFieldFlag(kTVMFFIFieldFlagBitMaskSEqHashDefNonRecursive);
  }
  /*! \brief Structural equality and hashing skip the field. */
  static AttachFieldFlag SEqHashIgnore() {
    return AttachFieldFlag(kTVMFFIFieldFlagBitMaskSEqHashIgnore);
  }
  void Apply(TVMFFIFieldInfo* info) const { info->flags |= flag_; }

 private:
  int32_t flag_;
};

namespace details {
// A switch that sets `flag` on a field when it is off (on=false) or on (on=true).
template <int64_t kFlag, bool kSetWhen>
class FieldSwitch : public InfoTrait {
 public:
  explicit FieldSwitch(bool value) : value_(value) {}
  void Apply(TVMFFIFieldInfo* info) const {
    if (value_ == kSetWhen) info->flags |= kFlag;
  }

 private:
  bool value_;
};
}  // namespace details

/*! \brief repr(false): the field is left out of ReprPrint. */
class repr : public details::FieldSwitch<kTVMFFIFieldFlagBitMaskReprOff, false> {
 public:
  using FieldSwitch::FieldSwitch;
};
/*! \brief compare(false): the field is left out of equality and ordering. */
class compare : public details::FieldSwitch<kTVMFFIFieldFlagBitMaskCompareOff, false> {
 public:
  using FieldSwitch::FieldSwitch;
};
/*! \brief hash(false): the field is left out of hashing. */
class hash : public details::FieldSwitch<kTVMFFIFieldFlagBitMaskHashOff, false> {
 public:
  using FieldSwitch::FieldSwitch;
};
/*! \brief kw_only(true): the constructor takes the field by keyword only. */
class kw_only : public details::FieldSwitch<kTVMFFIFieldFlagBitMaskKwOnly, true> {
 public:
  using FieldSwitch::FieldSwitch;
};

/*!
 * \brief A constructor: ObjectDef<T>().def(init<int64_t, String>()) registers
 *        __ffi_init__(int64_t, String) -> make_object<T>(args...). As an ObjectDef argument,
 *        init(false) turns the automatic constructor off; as a field trait, init(false) leaves
 *        the field out of it.
 */
template <typename... Args>
struct init {
  constexpr init() noexcept = default;
  template <typename Class>
  static ObjectRef Make(Args... args) {
    return ObjectRef(make_object<Class>(std::forward<Args>(args)...));
  }
};
template <>
struct init<> : public InfoTrait {
  constexpr init() noexcept = default;
  explicit init(bool include) : include_(include) {}
  void Apply(TVMFFIFieldInfo* info) const {
    if (!include_) info->flags |= kTVMFFIFieldFlagBitMaskInitOff;
  }
  bool include() const { return include_; }
  template <typename Class>
  static ObjectRef Make() {
    return ObjectRef(make_object<Class>());
  }

 private:
  bool include_ = true;
};
init(bool)->init<>;

/*! \brief What the Def classes share: C getters/setters/creators and trait application. */
class ReflectionDefBase {
 protected:
  template <typename T>
  static int FieldGetter(void* field, TVMFFIAny* result) {
    TVM_FFI_SAFE_CALL_BEGIN();
    Any value(*static_cast<T*>(field));
    *result = ::tvm::ffi::details::AnyUnsafe::MoveAnyToTVMFFIAny(std::move(value));
    TVM_FFI_SAFE_CALL_END();
  }
  template <typename T>
  static int FieldSetter(void* field, const TVMFFIAny* value) {
    TVM_FFI_SAFE_CALL_BEGIN();
    AnyView view = AnyView::CopyFromTVMFFIAny(*value);
    if constexpr (std::is_same_v<T, Any>) {
      *static_cast<T*>(field) = Any(view);
    } else {
      *static_cast<T*>(field) = view.cast<T>();
    }
    TVM_FFI_SAFE_CALL_END();
  }
  template <typename T>
  static int CreateDefault(TVMFFIObjectHandle* result) {
    TVM_FFI_SAFE_CALL_BEGIN();
    *result = ::tvm::ffi::details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(
        ObjectRef(make_object<T>()));
    TVM_FFI_SAFE_CALL_END();
  }
  template <typename T>
  static int CreateUnsafeInit(TVMFFIObjectHandle* result) {
    TVM_FFI_SAFE_CALL_BEGIN();
    *result = ::tvm::ffi::details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(
        ObjectRef(make_object<T>(UnsafeInit{})));
    TVM_FFI_SAFE_CALL_END();
  }

  template <typename Info, typename T>
  static void ApplyTrait(Info* info, const T& trait) {
    using D = std::decay_t<T>;
    if constexpr (std::is_base_of_v<InfoTrait, D>) {
      if constexpr (details::CanApplyTo<D, Info>::value) trait.Apply(info);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      std::string_view doc = trait;  // lives as long as the registration call
      info->doc = TVMFFIByteArray{doc.data(), doc.size()};
    }
  }

  // Member function pointers become callables that take the object (or reference) first.
  template <typename Func>
  static Func&& WrapFunction(Func&& func) {
    return std::forward<Func>(func);
  }
  template <typename Class, typename R, typename... Args>
  static auto WrapFunction(R (Class::*func)(Args...)) {
    static_assert(std::is_base_of_v<ObjectRef, Class> || std::is_base_of_v<Object, Class>,
                  "a method belongs to an Object or an ObjectRef");
    if constexpr (std::is_base_of_v<ObjectRef, Class>) {
      return [func](Class self, Args... args) -> R {
        return (self.*func)(std::forward<Args>(args)...);
      };
    } else {
      return [func](const Class* self, Args... args) -> R {
        return (const_cast<Class*>(self)->*func)(std::forward<Args>(args)...);
      };
    }
  }
  template <typename Class, typename R, typename... Args>
  static auto WrapFunction(R (Class::*func)(Args...) const) {
    static_assert(std::is_base_of_v<ObjectRef, Class> || std::is_base_of_v<Object, Class>,
                  "a method belongs to an Object or an ObjectRef");
    if constexpr (std::is_base_of_v<ObjectRef, Class>) {
      return [func](const Class& self, Args... args) -> R {
        return (self.*func)(std::forward<Args>(args)...);
      };
    } else {
      return [func](const Class* self, Args... args) -> R {
        return (self->*func)(std::forward<Args>(args)...);
      };
    }
  }
  template <typename Func>
  static Function MakeMethod(std::string name, Func&& func) {
    return Function::FromTyped(WrapFunction(std::forward<Func>(func)), std::move(name));
  }
  template <typename Func>
  static std::string MethodSchema(Func&& func) {
    using Wrapped = std::decay_t<decltype(WrapFunction(std::forward<Func>(func)))>;
    return details::SchemaOfSignature(::tvm::ffi::details::FunctionInfo<Wrapped>{});
  }
  template <typename Value>
  static void RegisterTypeAttr(int32_t type_index, const char* name, Value&& value) {
    TVMFFIByteArray attr = AsByteArray(name);
    Any held(std::forward<Value>(value));
    TVMFFIAny raw = AnyView(held).CopyToTVMFFIAny();
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterAttr(type_index, &attr, &raw));
  }
  template <typename Value>
  static void RegisterAttrValueOrFunction(int32_t type_index, const char* type_key,
                                          const char* name, Value&& value) {
    using D = std::decay_t<Value>;
    if constexpr (std::is_convertible_v<Value&&, AnyView> || std::is_convertible_v<D, AnyView>) {
      RegisterTypeAttr(type_index, name, std::forward<Value>(value));
    } else {
      RegisterTypeAttr(type_index, name,
                       MakeMethod(std::string(type_key) + "." + name, std::forward<Value>(value)));
    }
  }
  static void RegisterMethodInfo(int32_t type_index, details::MethodInfoBuilder* info) {
    std::string metadata = Metadata::ToJSON(info->metadata_);
    info->metadata = TVMFFIByteArray{metadata.data(), metadata.size()};
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterMethod(type_index, info));
  }
};

/*!
 * \brief Registers global functions: `GlobalDef().def("my_ext.add_one", AddOne, "doc")`.
 *        A name that is already registered is an error (logged, then thrown).
 */
class GlobalDef : public ReflectionDefBase {
 public:
  /*! \brief A typed function (checked argument conversion); extra: a doc string, Metadata. */
  template <typename Func, typename... Extra>
  GlobalDef& def(const char* name, Func&& func, Extra&&... extra) {
    using F = std::decay_t<Func>;
    Register(name, Function::FromTyped(F(std::forward<Func>(func)), std::string(name)),
             details::SchemaOfSignature(::tvm::ffi::details::FunctionInfo<F>{}), extra...);
    return *this;
  }
  /*! \brief A packed function: f(PackedArgs, Any*) or f(const AnyView*, int32_t, Any*). */
  template <typename Func, typename... Extra>
  GlobalDef& def_packed(const char* name, Func func, Extra&&... extra) {
    // a packed function's schema names no arguments
    Register(name, Function::FromPacked(std::move(func)), R"({"type":"ffi.Function"})", extra...);
    return *this;
  }
  /*! \brief A member function; the object (or reference) becomes the first argument. */
  template <typename Func, typename... Extra>
  GlobalDef& def_method(const char* name, Func&& func, Extra&&... extra) {
    std::string schema = MethodSchema(func);
    Register(name, MakeMethod(std::string(name), std::forward<Func>(func)), schema, extra...);
    return *this;
  }

 private:
  template <typename... Extra>
  static void Register(const char* name, const Function& func, const std::string& schema,
                       const Extra&... extra) {
    details::MethodInfoBuilder info;
    info.name = AsByteArray(name);
    info.doc = TVMFFIByteArray{nullptr, 0};
    info.flags = kTVMFFIFieldFlagBitMaskIsStaticMethod;
    info.method = AnyView(func).CopyToTVMFFIAny();
    if (!schema.empty()) info.metadata_.emplace_back("type_schema", String(schema));
    (ApplyTrait(&info, extra), ...);
    std::string metadata = Metadata::ToJSON(info.metadata_);
    info.metadata = TVMFFIByteArray{metadata.data(), metadata.size()};
    TVM_FFI_CHECK_SAFE_CALL(TVMFFIFunctionSetGlobalFromMethodInfo(&info, 0));
  }
};

/*!
 * \brief Registers the reflection of an object type, e.g.
 * \code
 *   refl::ObjectDef<PointObj>()
 *       .def_ro("x", &PointObj::x, "the x coordinate", refl::default_value(0))
 *       .def("norm", &PointObj::Norm)
 *       .def(refl::init<int64_t, int64_t>());
 * \endcode
 *        ObjectDef(init(false)) registers no automatic constructor; a char* argument is the
 *        type's doc.
 */
template <typename Class>
class ObjectDef : public ReflectionDefBase {
 public:
  template <typename... ExtraArgs>
  explicit ObjectDef(ExtraArgs&&... extra_args)
      : type_index_(Class::_GetOrAllocRuntimeTypeIndex()), type_key_(Class::_type_key) {
    (NoteInitSwitch(extra_args), ...);
    TVMFFITypeMetadata meta;
    meta.doc = TVMFFIByteArray{nullptr, 0};
    meta.creator = nullptr;
    meta.total_size = static_cast<int32_t>(sizeof(Class));
    meta.structural_eq_hash_kind = Class::_type_s_eq_hash_kind;
    if constexpr (std::is_default_constructible_v<Class>) {
      meta.creator = &CreateDefault<Class>;
    } else if constexpr (std::is_constructible_v<Class, UnsafeInit>) {
      meta.creator = &CreateUnsafeInit<Class>;
    }
    (ApplyTypeDoc(&meta, extra_args), ...);
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterMetadata(type_index_, &meta));
  }
  ObjectDef(const ObjectDef&) = delete;
  ObjectDef& operator=(const ObjectDef&) = delete;

  ~ObjectDef() noexcept(false) {
    if constexpr (std::is_copy_constructible_v<Class>) {
      Function copy = Function::FromTyped(
          [](const Class* self) { return ObjectRef(make_object<Class>(*self)); },
          std::string(type_key_) + "." + type_attr::kShallowCopy);
      RegisterTypeAttr(type_index_, type_attr::kShallowCopy, copy);
    }
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(type_index_);
    if (info->metadata == nullptr || info->metadata->creator == nullptr) return;
    TVMFFIObjectCreator creator = info->metadata->creator;
    Function make_new = Function::FromTyped(
        [creator]() -> ObjectRef {
          TVMFFIObjectHandle handle = nullptr;
          TVM_FFI_CHECK_SAFE_CALL(creator(&handle));
          return ::tvm::ffi::details::ObjectUnsafe::ObjectRefFromObjectPtr<ObjectRef>(
              ::tvm::ffi::details::ObjectUnsafe::ObjectPtrFromOwned<Object>(
                  static_cast<Object*>(handle)));
        },
        std::string(type_key_) + "." + type_attr::kNew);
    RegisterTypeAttr(type_index_, type_attr::kNew, make_new);
    if (!has_explicit_init_) {
      // The runtime builds a constructor from the registered fields (defaults, kw_only, ...).
      if (std::optional<Function> auto_init = Function::GetGlobal("ffi._RegisterFFIInit")) {
        (*auto_init)(type_index_);
      }
    }
  }

  /*! \brief A read-only field. */
  template <typename T, typename BaseClass, typename... Extra>
  ObjectDef& def_ro(const char* name, T BaseClass::*field, Extra&&... extra) {
    RegisterField(name, field, false, extra...);
    return *this;
  }
  /*! \brief A writable field (the class must declare _type_mutable = true). */
  template <typename T, typename BaseClass, typename... Extra>
  ObjectDef& def_rw(const char* name, T BaseClass::*field, Extra&&... extra) {
    static_assert(Class::_type_mutable, "def_rw needs a class with _type_mutable = true");
    RegisterField(name, field, true, extra...);
    return *this;
  }
  /*! \brief A method: a member function pointer or a callable taking the object first. */
  template <typename Func, typename... Extra>
  ObjectDef& def(const char* name, Func&& func, Extra&&... extra) {
    RegisterMethod(name, false, std::forward<Func>(func), extra...);
    return *this;
  }
  /*! \brief A static method. */
  template <typename Func, typename... Extra>
  ObjectDef& def_static(const char* name, Func&& func, Extra&&... extra) {
    RegisterMethod(name, true, std::forward<Func>(func), extra...);
    return *this;
  }
  /*! \brief A constructor with these argument types (registered as __ffi_init__). */
  template <typename... Args, typename... Extra>
  ObjectDef& def(init<Args...>, Extra&&... extra) {
    has_explicit_init_ = true;
    RegisterMethod(type_attr::kInit, true, &init<Args...>::template Make<Class>, extra...);
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(type_index_);
    for (int32_t i = 0; i < info->num_methods; ++i) {
      if (details::NameIs(info->methods[i].name, type_attr::kInit)) {
        TVMFFIByteArray attr = AsByteArray(type_attr::kInit);
        TVM_FFI_CHECK_SAFE_CALL(
            TVMFFITypeRegisterAttr(type_index_, &attr, &info->methods[i].method));
        break;
      }
    }
    return *this;
  }
  /*! \brief A type attribute: a value, or a callable (registered as a Function). */
  template <typename Value>
  ObjectDef& def_type_attr(const char* name, Value&& value) {
    RegisterAttrValueOrFunction(type_index_, type_key_, name, std::forward<Value>(value));
    return *this;
  }
  /*! \brief __ffi_convert__: TSelf's own conversion from any value. */
  template <typename TSelf>
  ObjectDef& def_convert() {
    if constexpr (details::HasContainerType<TSelf>::value) {
      static_assert(std::is_same_v<typename TSelf::ContainerType, Class>,
                    "def_convert's reference type holds this ObjectDef's class");
    }
    return def_type_attr(type_attr::kConvert, &details::FFIConvertFromAnyViewToObjectRef<TSelf>);
  }

 private:
  template <typename T>
  void NoteInitSwitch(const T& value) {
    if constexpr (std::is_same_v<std::decay_t<T>, init<>>) {
      if (!value.include()) has_explicit_init_ = true;
    }
  }
  template <typename T>
  static void ApplyTypeDoc(TVMFFITypeMetadata* meta, const T& value) {
    using D = std::decay_t<T>;
    if constexpr (std::is_same_v<D, const char*> || std::is_same_v<D, char*> ||
                  std::is_array_v<std::remove_reference_t<T>>) {
      meta->doc = TVMFFIByteArray{value, std::char_traits<char>::length(value)};
    }
  }
  template <typename T, typename BaseClass, typename... Extra>
  void RegisterField(const char* name, T BaseClass::*field, bool writable, const Extra&... extra) {
    static_assert(std::is_base_of_v<BaseClass, Class>, "the field belongs to the class or a base");
    details::FieldInfoBuilder info;
    info.name = AsByteArray(name);
    info.doc = TVMFFIByteArray{nullptr, 0};
    info.flags = writable ? kTVMFFIFieldFlagBitMaskWritable : 0;
    info.size = static_cast<int64_t>(sizeof(T));
    info.alignment = static_cast<int64_t>(alignof(T));
    info.offset = details::FieldByteOffset<Class>(field);
    info.getter = &FieldGetter<T>;
    info.setter = reinterpret_cast<void*>(&FieldSetter<T>);
    info.default_value_or_factory = AnyView(nullptr).CopyToTVMFFIAny();
    info.field_static_type_index = details::FieldStaticTypeIndex<T>();
    info.metadata_.emplace_back("type_schema", String(::tvm::ffi::details::TypeSchemaOf<T>()));
    (ApplyTrait(&info, extra), ...);
    std::string metadata = Metadata::ToJSON(info.metadata_);
    info.metadata = TVMFFIByteArray{metadata.data(), metadata.size()};
    TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterField(type_index_, &info));
  }
  template <typename Func, typename... Extra>
  void RegisterMethod(const char* name, bool is_static, Func&& func, const Extra&... extra) {
    details::MethodInfoBuilder info;
    info.name = AsByteArray(name);
    info.doc = TVMFFIByteArray{nullptr, 0};
    info.flags = is_static ? kTVMFFIFieldFlagBitMaskIsStaticMethod : 0;
    std::string schema = MethodSchema(func);
    Function method = MakeMethod(std::string(type_key_) + "." + name, std::forward<Func>(func));
    info.method = AnyView(method).CopyToTVMFFIAny();
    info.metadata_.emplace_back("type_schema", String(schema));
    (ApplyTrait(&info, extra), ...);
    RegisterMethodInfo(type_index_, &info);
  }

 private:
  int32_t type_index_;
  const char* type_key_;
  bool has_explicit_init_ = false;
  template <typename>
  friend class OverloadObjectDef;
};

/*! \brief Registers type attributes of Class: values, or callables as Functions. */
template <typename Class, typename = std::enable_if_t<std::is_base_of_v<Object, Class>>>
class TypeAttrDef : public ReflectionDefBase {
 public:
  template <typename... ExtraArgs>
  explicit TypeAttrDef(ExtraArgs&&...)
      : type_index_(Class::_GetOrAllocRuntimeTypeIndex()), type_key_(Class::_type_key) {}

  template <typename Value>
  TypeAttrDef& def(const char* name, Value&& value) {
    RegisterAttrValueOrFunction(type_index_, type_key_, name, std::forward<Value>(value));
    return *this;
  }
  template <typename TSelf>
  TypeAttrDef& def_convert() {
    if constexpr (details::HasContainerType<TSelf>::value) {
      static_assert(std::is_same_v<typename TSelf::ContainerType, Class>,
                    "def_convert's reference type holds this TypeAttrDef's class");
    }
    return def(type_attr::kConvert, &details::FFIConvertFromAnyViewToObjectRef<TSelf>);
  }
  /*! \brief A constant attribute (stored as its Any). */
  template <typename T>
  TypeAttrDef& attr(const char* name, T value) {
    RegisterTypeAttr(type_index_, name, std::move(value));
    return *this;
  }

 private:
  int32_t type_index_;
  const char* type_key_;
};

/*! \brief Makes sure an attribute column exists (empty until a type sets it). */
inline void EnsureTypeAttrColumn(std::string_view name) {
  TVMFFIByteArray attr{name.data(), name.size()};
  TVMFFIAny none = AnyView(nullptr).CopyToTVMFFIAny();
  TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeRegisterAttr(kTVMFFINone, &attr, &none));
}

namespace details {
// overload_cast<Args...>(&f): the overload of f whose parameters are Args... (preferred) or
// begin with Args... (the rest deduced). Deduction against an overload set keeps the one
// overload that matches; a pointer to a const member needs the const_ tag.
template <typename... Args>
struct OverloadCastImpl {
  template <typename Ret>
  constexpr auto operator()(Ret (*fn)(Args...)) const noexcept {
    return fn;
  }
  template <typename Ret, typename Cls>
  constexpr auto operator()(Ret (Cls::*fn)(Args...), std::false_type = {}) const noexcept {
    return fn;
  }
  template <typename Ret, typename Cls>
  constexpr auto operator()(Ret (Cls::*fn)(Args...) const, std::true_type) const noexcept {
    return fn;
  }
  template <typename Ret, typename... Rest>
  constexpr auto operator()(Ret (*fn)(Args..., Rest...)) const noexcept {
    return fn;
  }
  template <typename Ret, typename Cls, typename... Rest>
  constexpr auto operator()(Ret (Cls::*fn)(Args..., Rest...), std::false_type = {}) const noexcept {
    return fn;
  }
  template <typename Ret, typename Cls, typename... Rest>
  constexpr auto operator()(Ret (Cls::*fn)(Args..., Rest...) const, std::true_type) const noexcept {
    return fn;
  }
};
}  // namespace details

/*! \brief Picks one overload of a function or method by (a prefix of) its parameter types:
 *         overload_cast<int>(&C::Set), overload_cast<int>(&C::Get, const_) for a const one. */
template <typename... Args>
inline constexpr details::OverloadCastImpl<Args...> overload_cast = {};
/*! \brief The tag overload_cast takes to pick a const member function. */
inline constexpr auto const_ = std::true_type{};

}  // namespace reflection
}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_REFLECTION_REGISTRY_H_
