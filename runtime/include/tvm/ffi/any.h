/*
 * tvmffi-rpc runtime: AnyView (a borrowed TVMFFIAny) and Any (an owning one). Both are exactly
 * 16 bytes and reinterpret_cast-compatible with TVMFFIAny.
 */
#ifndef TVM_FFI_ANY_H_
#define TVM_FFI_ANY_H_

#include <tvm/ffi/base_details.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/type_traits.h>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

namespace details {
// Throws TypeError "Cannot convert from type `X` to `Y`"; defined in error.h.
[[noreturn]] inline void ThrowCannotConvert(const TVMFFIAny* src, const std::string& target);
[[noreturn]] inline void ThrowCannotConvertFrom(const std::string& source,
                                                const std::string& target);

template <typename T>
inline constexpr bool is_any_v = std::is_same_v<T, Any> || std::is_same_v<T, AnyView>;

// Pointers (const Obj*) and Object classes (as<MyObj>() is as<const MyObj*>()) come back bare,
// everything else as std::optional<T>.
template <typename T, typename = void>
struct AsResult {
  using type = std::optional<T>;
};
template <typename TObj>
struct AsResult<TObj, std::enable_if_t<std::is_base_of_v<Object, TObj>>> {
  using type = const TObj*;
};
template <typename TObj>
struct AsResult<const TObj*> {
  using type = const TObj*;
};

class AnyUnsafe;

// Lazily evaluated predicates (std::conjunction stops at the first false one, so Any itself
// never instantiates TypeTraits<Any> before it is complete).
template <typename T>
struct IsAnyType : std::bool_constant<is_any_v<std::decay_t<T>>> {};
template <typename T>
struct ConvertEnabled : std::bool_constant<TypeTraitsNoCR<T>::convert_enabled> {};
template <typename T>
struct StorageEnabled : std::bool_constant<TypeTraitsNoCR<T>::storage_enabled> {};
template <typename T>
inline constexpr bool can_view_v =
    std::conjunction_v<std::negation<IsAnyType<T>>, ConvertEnabled<T>>;
template <typename T>
inline constexpr bool can_store_v =
    std::conjunction_v<std::negation<IsAnyType<T>>, ConvertEnabled<T>, StorageEnabled<T>>;
// An Any can own a T when T's traits can move one in (storage_enabled or not: a borrowed
// object pointer or byte array becomes an owned reference or Bytes).
template <typename T, typename = void>
struct HasMoveToAny : std::false_type {};
template <typename T>
struct HasMoveToAny<T, std::void_t<decltype(TypeTraitsNoCR<T>::MoveToAny(
                           std::declval<std::decay_t<T>>(), static_cast<TVMFFIAny*>(nullptr)))>>
    : std::true_type {};
template <typename T>
inline constexpr bool can_own_v =
    std::conjunction_v<std::negation<IsAnyType<T>>, ConvertEnabled<T>, HasMoveToAny<T>>;
template <typename T>
struct IsStdOptional : std::false_type {};
template <typename T>
struct IsStdOptional<std::optional<T>> : std::true_type {};
// Implicit conversion targets. Not std::optional: std::optional's own converting constructor
// would make `std::optional<U> x = any;` ambiguous; use any.cast<std::optional<U>>().
template <typename T>
inline constexpr bool can_convert_to_v =
    std::conjunction_v<std::negation<IsAnyType<T>>, std::negation<std::is_pointer<T>>,
                       std::negation<IsStdOptional<T>>, ConvertEnabled<T>>;
}  // namespace details

/*! \brief A borrowed value: copying it takes no reference. Cheap, trivially copyable. */
class AnyView {
 public:
  AnyView() { details::SetNone(&data_); }
  AnyView(const AnyView&) = default;
  AnyView& operator=(const AnyView&) = default;
  // Trivially copyable, as upstream's: an AnyView passed by value travels in registers, so a
  // function taking one (a structural-visit hook, say) has the same C++ ABI on both sides.
  AnyView(AnyView&& other) noexcept = default;
  AnyView& operator=(AnyView&& other) noexcept = default;
  ~AnyView() = default;
  AnyView(std::nullptr_t) { details::SetNone(&data_); }  // NOLINT(*)
  /*! \brief A view of an Any (valid while the Any lives). */
  AnyView(const Any& other);  // NOLINT(*)
  /*! \brief A view of any value with TypeTraits (valid while the value lives). */
  template <typename T, typename = std::enable_if_t<details::can_view_v<T>>>
  AnyView(const T& other) {  // NOLINT(*)
    TypeTraitsNoCR<T>::CopyToAnyView(other, &data_);
  }

  int32_t type_index() const { return data_.type_index; }
  std::string GetTypeKey() const { return details::AnyTypeStr(&data_); }

  /*! \brief The value if it is stored exactly as T (no conversion). */
  template <typename T>
  typename details::AsResult<T>::type as() const {
    if constexpr (std::is_base_of_v<Object, T>) {
      return as<const T*>();
    } else if constexpr (std::is_pointer_v<T> &&
                         std::is_same_v<typename details::AsResult<T>::type, T>) {
      return TypeTraits<T>::CheckAnyStrict(&data_)
                 ? TypeTraits<T>::CopyFromAnyViewAfterCheck(&data_)
                 : nullptr;
    } else {
      if (TypeTraits<T>::CheckAnyStrict(&data_)) {
        return TypeTraits<T>::CopyFromAnyViewAfterCheck(&data_);
      }
      return std::nullopt;
    }
  }
  /*! \brief The value stored exactly as T (no conversion); a TypeError naming both types
   *         otherwise. */
  template <typename T>
  T as_or_throw() const {
    if constexpr (std::is_same_v<T, Any> || std::is_same_v<T, AnyView>) {
      return T(*this);
    } else {
      if (TypeTraits<T>::CheckAnyStrict(&data_))
        return TypeTraits<T>::CopyFromAnyViewAfterCheck(&data_);
      details::ThrowCannotTreatAs(&data_, TypeTraits<T>::TypeStr());
    }
  }
  /*! \brief The value converted to T, or nullopt. */
  template <typename T>
  std::optional<T> try_cast() const {
    if constexpr (details::is_any_v<T>) {
      return T(*this);
    } else {
      return TypeTraits<T>::TryCastFromAnyView(&data_);
    }
  }
  /*! \brief The value converted to T; throws TypeError when it cannot be. */
  template <typename T>
  TVM_FFI_INLINE T cast() const {
    if constexpr (details::is_any_v<T>) {
      return T(*this);
    } else {
      std::optional<T> opt = TypeTraits<T>::TryCastFromAnyView(&data_);
      if (TVM_FFI_PREDICT_FALSE(!opt.has_value())) {
        details::ThrowCannotConvertFrom(details::MismatchTypeInfo<T>(&data_),
                                        TypeTraits<T>::TypeStr());
      }
      return std::move(*opt);
    }
  }
  /*! \brief Implicit conversion, as `int x = func(41);`; throws TypeError on mismatch. */
  template <typename T, typename = std::enable_if_t<details::can_convert_to_v<T>>>
  operator T() const {  // NOLINT(*)
    return cast<T>();
  }
  bool operator==(std::nullptr_t) const { return data_.type_index == TypeIndex::kTVMFFINone; }
  bool operator!=(std::nullptr_t) const { return data_.type_index != TypeIndex::kTVMFFINone; }

  static AnyView CopyFromTVMFFIAny(TVMFFIAny data) {
    AnyView view;
    view.data_ = data;
    return view;
  }
  TVMFFIAny CopyToTVMFFIAny() const { return data_; }

 protected:
  TVMFFIAny data_;
  friend class Any;
  friend class details::AnyUnsafe;
};

/*! \brief An owning value: copying it takes a reference, destruction drops it. */
class Any {
 public:
  Any() { details::SetNone(&data_); }
  ~Any() { reset(); }
  Any(const Any& other) : data_(other.data_) {
    if (data_.type_index >= TypeIndex::kTVMFFIStaticObjectBegin) {
      details::ObjectUnsafe::IncRefObjectHandle(data_.v_obj);
    }
  }
  Any(Any&& other) noexcept : data_(other.data_) { details::SetNone(&other.data_); }
  Any& operator=(const Any& other) {
    Any(other).swap(*this);
    return *this;
  }
  Any& operator=(Any&& other) noexcept {
    Any(std::move(other)).swap(*this);
    return *this;
  }
  Any(std::nullptr_t) { details::SetNone(&data_); }  // NOLINT(*)
  /*! \brief Owns a copy of a viewed value: raw strings and byte arrays become String/Bytes,
   *         an rvalue-ref slot is stolen, objects gain a reference. */
  Any(const AnyView& other);  // NOLINT(*)
  template <typename T, typename = std::enable_if_t<details::can_own_v<T>>>
  Any(T other) {  // NOLINT(*)
    TypeTraitsNoCR<T>::MoveToAny(std::move(other), &data_);
  }
  template <typename T, typename = std::enable_if_t<details::can_own_v<T>>>
  Any& operator=(T other) {
    Any(std::move(other)).swap(*this);
    return *this;
  }

  void swap(Any& other) noexcept { std::swap(data_, other.data_); }
  void reset() {
    if (data_.type_index >= TypeIndex::kTVMFFIStaticObjectBegin) {
      details::ObjectUnsafe::DecRefObjectHandle(data_.v_obj);
    }
    details::SetNone(&data_);
  }
  int32_t type_index() const { return data_.type_index; }
  std::string GetTypeKey() const { return details::AnyTypeStr(&data_); }

  template <typename T>
  typename details::AsResult<T>::type as() const {
    return AnyView(*this).as<T>();
  }
  template <typename T>
  T as_or_throw() const {
    if constexpr (std::is_same_v<T, Any>) {
      return *this;
    } else {
      return AnyView(*this).as_or_throw<T>();
    }
  }
  template <typename T>
  std::optional<T> try_cast() const {
    if constexpr (std::is_same_v<T, Any>) {
      return *this;
    } else {
      return AnyView(*this).try_cast<T>();
    }
  }
  template <typename T>
  TVM_FFI_INLINE T cast() const& {
    if constexpr (std::is_same_v<T, Any>) {
      return *this;
    } else {
      return AnyView(*this).cast<T>();
    }
  }
  /*! \brief Moves the value out when it is stored exactly as T, avoiding a reference bump. */
  template <typename T>
  TVM_FFI_INLINE T cast() && {
    if constexpr (std::is_same_v<T, Any>) {
      return std::move(*this);
    } else if constexpr (TypeTraits<T>::storage_enabled) {
      if (TypeTraits<T>::CheckAnyStrict(&data_))
        return TypeTraits<T>::MoveFromAnyAfterCheck(&data_);
      return AnyView(*this).cast<T>();
    } else {
      return AnyView(*this).cast<T>();
    }
  }
  /*! \brief Implicit conversion, as `int x = func(41);`; throws TypeError on mismatch. */
  template <typename T, typename = std::enable_if_t<details::can_convert_to_v<T>>>
  operator T() const {  // NOLINT(*)
    return cast<T>();
  }
  bool operator==(std::nullptr_t) const { return data_.type_index == TypeIndex::kTVMFFINone; }
  bool operator!=(std::nullptr_t) const { return data_.type_index != TypeIndex::kTVMFFINone; }
  /*! \brief Identity: same POD bits or the same object. */
  bool same_as(const Any& other) const {
    return data_.type_index == other.data_.type_index && data_.v_uint64 == other.data_.v_uint64;
  }

 protected:
  TVMFFIAny data_;
  friend class AnyView;
  friend class details::AnyUnsafe;
};

inline AnyView::AnyView(const Any& other) : data_(other.data_) {}

inline Any::Any(const AnyView& other) : data_(other.data_) {
  switch (data_.type_index) {
    case TypeIndex::kTVMFFIRawStr:
    case TypeIndex::kTVMFFIByteArrayPtr:
    case TypeIndex::kTVMFFIObjectRValueRef: {
      // Needs the runtime: owned strings/bytes and rvalue stealing.
      details::SetNone(&data_);
      TVMFFIAny in = other.data_;
      if (TVMFFIAnyViewToOwnedAny(&in, &data_) != 0) {
        TVMFFIObjectHandle err = nullptr;
        TVMFFIErrorMoveFromRaised(&err);
        TVMFFIObjectDecRef(err);
        details::SetNone(&data_);
      }
      break;
    }
    default:
      if (data_.type_index >= TypeIndex::kTVMFFIStaticObjectBegin) {
        details::ObjectUnsafe::IncRefObjectHandle(data_.v_obj);
      }
  }
}

static_assert(sizeof(Any) == sizeof(TVMFFIAny), "Any must be exactly a TVMFFIAny");
static_assert(sizeof(AnyView) == sizeof(TVMFFIAny), "AnyView must be exactly a TVMFFIAny");
static_assert(std::is_trivially_copyable_v<AnyView>,
              "AnyView is passed by value in registers, as upstream's");

/*! \brief Any and AnyView are storable in containers of Any. */
template <>
struct TypeTraits<Any> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIAny; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
  static std::optional<Any> TryCastFromAnyView(const TVMFFIAny* src) {
    return Any(AnyView::CopyFromTVMFFIAny(*src));
  }
  static bool CheckAnyStrict(const TVMFFIAny*) { return true; }
};
template <>
struct TypeTraits<AnyView> : TypeTraits<Any> {
  static constexpr bool storage_enabled = false;
};

namespace details {
/*! \brief The name of T in messages and signatures: its traits' TypeStr(), "Any"/"AnyView" for
 *         the two holders (any reference to them too), "void" for void. */
template <typename T>
struct Type2Str {
  static std::string v() {
    using U = std::remove_cv_t<std::remove_reference_t<T>>;
    if constexpr (std::is_void_v<U>) {
      return "void";
    } else if constexpr (std::is_same_v<U, AnyView>) {
      return "AnyView";
    } else {
      return TypeTraits<U>::TypeStr();
    }
  }
};

/*! \brief Raw access to an Any's cell (internal). */
class AnyUnsafe {
 public:
  static TVMFFIAny MoveAnyToTVMFFIAny(Any&& any) {
    TVMFFIAny out = any.data_;
    SetNone(&any.data_);
    return out;
  }
  static Any MoveTVMFFIAnyToAny(TVMFFIAny* data) {
    Any out;
    out.data_ = *data;
    SetNone(data);
    return out;
  }
  static TVMFFIAny* TVMFFIAnyPtrFromAny(Any* any) { return &any->data_; }
  static const TVMFFIAny* TVMFFIAnyPtrFromAny(const Any& any) { return &any.data_; }
  static const TVMFFIAny* TVMFFIAnyPtrFromAnyView(const AnyView& any) { return &any.data_; }
  template <typename T>
  static T CopyFromAnyViewAfterCheck(const Any& any) {
    return TypeTraits<T>::CopyFromAnyViewAfterCheck(&any.data_);
  }
  template <typename T>
  static T MoveFromAnyAfterCheck(Any&& any) {
    return TypeTraits<T>::MoveFromAnyAfterCheck(&any.data_);
  }
  static Object* ObjectPtrFromAny(const Any& any) {
    return reinterpret_cast<Object*>(any.data_.v_obj);
  }
};
}  // namespace details

namespace details {
// str and bytes, small or heap: one kind each.
inline bool IsStrIndex(int32_t t) {
  return t == TypeIndex::kTVMFFIStr || t == TypeIndex::kTVMFFISmallStr;
}
inline bool IsBytesIndex(int32_t t) {
  return t == TypeIndex::kTVMFFIBytes || t == TypeIndex::kTVMFFISmallBytes;
}
/*! \brief Key equality without type hooks: strings and bytes by content (small and heap
 *         forms alike), everything else by type index and bits. Maps use it; AnyEqual adds the
 *         __any_equal__ hook. */
inline bool AnyKeyEqual(const TVMFFIAny* x, const TVMFFIAny* y) {
  // Both 8-byte words: the type index with the small-string length, then the value. (The
  // length counts: "a" and "a\0" have the same value word.)
  uint64_t x_head, y_head;
  std::memcpy(&x_head, x, sizeof(x_head));
  std::memcpy(&y_head, y, sizeof(y_head));
  if (x_head == y_head && x->v_uint64 == y->v_uint64) return true;
  int32_t xt = x->type_index;
  int32_t yt = y->type_index;
  if (xt == yt) {
    // the same heap kind: compare contents; a small one would have matched bit for bit above
    if (xt != TypeIndex::kTVMFFIStr && xt != TypeIndex::kTVMFFIBytes) return false;
    const TVMFFIByteArray* a = TVMFFIBytesGetByteArrayPtr(x->v_obj);
    const TVMFFIByteArray* b = TVMFFIBytesGetByteArrayPtr(y->v_obj);
    return a->size == b->size && std::memcmp(a->data, b->data, a->size) == 0;
  }
  if ((IsStrIndex(xt) && IsStrIndex(yt)) || (IsBytesIndex(xt) && IsBytesIndex(yt))) {
    TVMFFIByteArray a = BytesCellView(x);
    TVMFFIByteArray b = BytesCellView(y);
    return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
  }
  return false;
}
inline bool AnyKeyEqual(const Any& a, const Any& b) {
  return AnyKeyEqual(AnyUnsafe::TVMFFIAnyPtrFromAny(a), AnyUnsafe::TVMFFIAnyPtrFromAny(b));
}
// The type attribute column `name` (null when no type registered one).
inline const TVMFFITypeAttrColumn* AttrColumn(const char* name) {
  TVMFFIByteArray attr{name, std::char_traits<char>::length(name)};
  return TVMFFIGetTypeAttrColumn(&attr);
}
inline const TVMFFIAny* AttrOf(const TVMFFITypeAttrColumn* column, int32_t type_index) {
  if (column == nullptr) return nullptr;
  int32_t slot = type_index - column->begin_index;
  if (slot < 0 || slot >= column->size) return nullptr;
  const TVMFFIAny* value = &column->data[slot];
  return value->type_index == TypeIndex::kTVMFFINone ? nullptr : value;
}
// Calls a custom hook: a C function pointer (FPtr) or an ffi.Function, through the C ABI.
Any CallAnyHook(const TVMFFIAny& hook, const TVMFFIAny* args, int32_t num_args);
}  // namespace details

/*!
 * \brief Hash of an Any as a map key: strings and bytes by content (small and heap forms
 *        alike), objects by their __any_hash__ type attribute when they have one, everything
 *        else by its bits; combined with the type index.
 */
struct AnyHash {
  uint64_t operator()(const Any& src) const {
    const TVMFFIAny* v = details::AnyUnsafe::TVMFFIAnyPtrFromAny(src);
    if (details::IsStrIndex(v->type_index) || details::IsBytesIndex(v->type_index)) {
      int32_t kind =
          details::IsStrIndex(v->type_index) ? TypeIndex::kTVMFFIStr : TypeIndex::kTVMFFIBytes;
      TVMFFIByteArray bytes = details::BytesCellView(v);
      return details::StableHashCombine(kind, details::StableHashBytes(bytes.data, bytes.size));
    }
    if (v->type_index >= TypeIndex::kTVMFFIStaticObjectBegin) {
      static const TVMFFITypeAttrColumn* column = details::AttrColumn("__any_hash__");
      if (const TVMFFIAny* hook = details::AttrOf(column, v->type_index)) {
        uint64_t custom;
        if (hook->type_index == TypeIndex::kTVMFFIOpaquePtr) {
          custom =
              static_cast<uint64_t>(reinterpret_cast<int64_t (*)(const Any&)>(hook->v_ptr)(src));
        } else {
          custom = static_cast<uint64_t>(details::CallAnyHook(*hook, v, 1).cast<int64_t>());
        }
        return details::StableHashCombine(v->type_index, custom);
      }
    }
    return details::StableHashCombine(v->type_index, v->v_uint64);
  }
};

/*! \brief Equality of Anys as map keys, consistent with AnyHash (__any_equal__ for objects
 *         that register one). */
struct AnyEqual {
  bool operator()(const Any& lhs, const Any& rhs) const {
    const TVMFFIAny* a = details::AnyUnsafe::TVMFFIAnyPtrFromAny(lhs);
    const TVMFFIAny* b = details::AnyUnsafe::TVMFFIAnyPtrFromAny(rhs);
    if (details::AnyKeyEqual(a, b)) return true;
    // strings and bytes were compared by content just now; only other objects have hooks
    if (a->type_index != b->type_index || a->type_index < TypeIndex::kTVMFFIStaticObjectBegin ||
        a->type_index == TypeIndex::kTVMFFIStr || a->type_index == TypeIndex::kTVMFFIBytes) {
      return false;
    }
    return ByHook(lhs, rhs);
  }

 private:
  // Out of line, so the common compare saves no registers for it.
  TVM_FFI_COLD_CODE static bool ByHook(const Any& lhs, const Any& rhs) {
    const TVMFFIAny* a = details::AnyUnsafe::TVMFFIAnyPtrFromAny(lhs);
    const TVMFFIAny* b = details::AnyUnsafe::TVMFFIAnyPtrFromAny(rhs);
    static const TVMFFITypeAttrColumn* column = details::AttrColumn("__any_equal__");
    const TVMFFIAny* hook = details::AttrOf(column, a->type_index);
    if (hook == nullptr) return false;
    if (hook->type_index == TypeIndex::kTVMFFIOpaquePtr) {
      return reinterpret_cast<bool (*)(const Any&, const Any&)>(hook->v_ptr)(lhs, rhs);
    }
    TVMFFIAny args[2] = {*a, *b};
    return details::CallAnyHook(*hook, args, 2).cast<bool>();
  }
};

namespace details {
// Whether ref's object (None when null) is held by RefType: a null reference by a nullable one.
template <typename RefType>
bool RefHolds(const Object* obj, TVMFFIAny* cell) {
  *cell = TVMFFIAny{};
  if (obj == nullptr) return RefType::_type_is_nullable;
  cell->type_index = obj->type_index();
  cell->v_obj = reinterpret_cast<TVMFFIObject*>(const_cast<Object*>(obj));
  return TypeTraits<RefType>::CheckAnyStrict(cell);
}
}  // namespace details

template <typename RefType, typename>
inline std::optional<RefType> ObjectRef::as() const& {
  TVMFFIAny cell;
  if (!details::RefHolds<RefType>(data_.get(), &cell)) return std::nullopt;
  return details::ObjectUnsafe::ObjectRefFromObjectPtr<RefType>(data_);
}
template <typename RefType, typename>
inline std::optional<RefType> ObjectRef::as() && {
  TVMFFIAny cell;
  if (!details::RefHolds<RefType>(data_.get(), &cell)) return std::nullopt;
  return details::ObjectUnsafe::ObjectRefFromObjectPtr<RefType>(std::move(data_));
}
template <typename RefType, typename>
inline RefType ObjectRef::as_or_throw() const& {
  TVMFFIAny cell;
  if (!details::RefHolds<RefType>(data_.get(), &cell)) {
    details::ThrowCannotTreatAs(&cell, TypeTraits<RefType>::TypeStr());
  }
  return details::ObjectUnsafe::ObjectRefFromObjectPtr<RefType>(data_);
}
template <typename RefType, typename>
inline RefType ObjectRef::as_or_throw() && {
  TVMFFIAny cell;
  if (!details::RefHolds<RefType>(data_.get(), &cell)) {
    details::ThrowCannotTreatAs(&cell, TypeTraits<RefType>::TypeStr());
  }
  return details::ObjectUnsafe::ObjectRefFromObjectPtr<RefType>(std::move(data_));
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_ANY_H_
