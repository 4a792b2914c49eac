/*
 * tvmffi-rpc runtime: TypeTraits<T>, the rules that move a C++ value into and out of a
 * TVMFFIAny. Every storable type provides:
 *   CopyToAnyView(const T&, TVMFFIAny*)    borrowed view (no reference taken)
 *   MoveToAny(T, TVMFFIAny*)               owning value
 *   CheckAnyStrict(const TVMFFIAny*)       the storage is exactly a T
 *   CopyFromAnyViewAfterCheck(const TVMFFIAny*) / MoveFromAnyAfterCheck(TVMFFIAny*)
 *   TryCastFromAnyView(const TVMFFIAny*)   with the documented conversions (int <-> bool, ...)
 *   TypeStr() / TypeSchema()               names used in error messages and metadata
 */
#ifndef TVM_FFI_TYPE_TRAITS_H_
#define TVM_FFI_TYPE_TRAITS_H_

#include <tvm/ffi/base_details.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/object.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tvm {
namespace ffi {

class Any;
class AnyView;

/*! \brief A registered type's information (the C ABI's record). */
using TypeInfo = TVMFFITypeInfo;

/*! \brief Primary template: types without traits cannot be stored in an Any. */
template <typename, typename = void>
struct TypeTraits {
  static constexpr bool convert_enabled = false;
  static constexpr bool storage_enabled = false;
};

template <typename T>
using TypeTraitsNoCR = TypeTraits<std::remove_const_t<std::remove_reference_t<T>>>;

/*! \brief false for an ObjectRef type that brings TypeTraits of its own (specialize it so). */
template <typename T>
inline constexpr bool use_default_type_traits_v = true;

/*!
 * \brief Whether every SourceType value can be stored as a TargetType without conversion
 *        (TargetType's storage reuses it): the same type, a base class, or Any.
 */
template <typename TargetType, typename SourceType, typename = void>
inline constexpr bool type_subsumes_v =
    std::is_base_of_v<TargetType, SourceType> || std::is_same_v<TargetType, SourceType>;
template <typename SourceType>
inline constexpr bool type_subsumes_v<Any, SourceType> = true;
template <typename Base, typename Derived>
inline constexpr bool type_subsumes_v<ObjectPtr<Base>, ObjectPtr<Derived>> =
    std::is_base_of_v<Base, Derived>;
template <typename Base, typename Derived>
inline constexpr bool type_subsumes_v<Arc<Base>, Arc<Derived>> = std::is_base_of_v<Base, Derived>;
template <typename Base, typename Derived>
inline constexpr bool type_subsumes_v<ObjectPtr<Base>, Arc<Derived>> =
    std::is_base_of_v<Base, Derived>;

/*! \brief What a TypeTraits specialization written outside this library derives from. */
struct TypeTraitsBase {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  /*! \brief How a reflected field of this type is declared (kTVMFFIAny: any value). */
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIAny;
  /*! \brief The type a value holds, for a mismatch error (containers name the element). */
  static std::string GetMismatchTypeInfo(const TVMFFIAny* source) {
    return TypeIndexToTypeKey(source->type_index);
  }
};

/*! \brief The field_static_type_index of T's traits, kTVMFFIAny where they have none. */
template <typename T, typename = void>
struct TypeToFieldStaticTypeIndex {
  static constexpr int32_t value = TypeIndex::kTVMFFIAny;
};
template <typename T>
struct TypeToFieldStaticTypeIndex<T,
                                  std::void_t<decltype(TypeTraits<T>::field_static_type_index)>> {
  static constexpr int32_t value = TypeTraits<T>::field_static_type_index;
};

/*! \brief The type index a value of type T has at run time (an object's: its class's). */
template <typename T, typename = void>
struct TypeToRuntimeTypeIndex {
  static int32_t v() { return TypeToFieldStaticTypeIndex<T>::value; }
};
template <typename T>
struct TypeToRuntimeTypeIndex<T, std::enable_if_t<std::is_base_of_v<ObjectRef, T>>> {
  static int32_t v() { return T::ContainerType::RuntimeTypeIndex(); }
};
template <typename TObject>
struct TypeToRuntimeTypeIndex<ObjectPtr<TObject>, std::enable_if_t<is_object_subclass_v<TObject>>> {
  static int32_t v() { return TObject::RuntimeTypeIndex(); }
};
template <typename TObject>
struct TypeToRuntimeTypeIndex<Arc<TObject>, std::enable_if_t<is_object_subclass_v<TObject>>> {
  static int32_t v() { return TObject::RuntimeTypeIndex(); }
};

namespace details {
template <typename T>
inline constexpr bool storage_enabled_v = TypeTraits<T>::storage_enabled;
template <typename... T>
inline constexpr bool all_storage_enabled_v = (storage_enabled_v<T> && ...);
template <typename T>
inline constexpr bool convert_enabled_v = TypeTraits<T>::convert_enabled;
}  // namespace details

namespace details {
// The type name a value holds, for error messages.
inline std::string AnyTypeStr(const TVMFFIAny* src) { return TypeIndexToTypeKey(src->type_index); }
inline void SetNone(TVMFFIAny* result) {
  result->type_index = TypeIndex::kTVMFFINone;
  result->zero_padding = 0;
  result->v_int64 = 0;
}
inline std::string SchemaOf(const std::string& type_str) {
  return "{\"type\":\"" + type_str + "\"}";
}
}  // namespace details

namespace details {
template <typename T, typename = void>
struct HasMismatchTypeInfo : std::false_type {};
template <typename T>
struct HasMismatchTypeInfo<T, std::void_t<decltype(TypeTraits<T>::GetMismatchTypeInfo(
                                  static_cast<const TVMFFIAny*>(nullptr)))>> : std::true_type {};
/*! \brief What src is, as an error converting it to T names it (a container names the first
 *         element that does not convert: "Array[index 1: float]"). */
template <typename T>
std::string MismatchTypeInfo(const TVMFFIAny* src) {
  if constexpr (HasMismatchTypeInfo<T>::value) {
    return TypeTraits<T>::GetMismatchTypeInfo(src);
  } else {
    return AnyTypeStr(src);
  }
}
// Throws OverflowError for an unsigned value above INT64_MAX; defined in error.h.
[[noreturn]] inline void ThrowIntOverflow(uint64_t value);
// Throws TypeError "Cannot treat type `<src>` as type `<target>`"; defined in error.h.
[[noreturn]] inline void ThrowCannotTreatAs(const TVMFFIAny* src, const std::string& target);

// Optional<T> and similar wrappers opt out of the generic ObjectRef traits.
template <typename T, typename = void>
struct HasCustomAnyTraits : std::false_type {};
template <typename T>
struct HasCustomAnyTraits<T, std::void_t<decltype(T::_type_custom_any_traits)>> : std::true_type {};
}  // namespace details

// Shared part of traits whose storage is a POD in the Any itself.
struct TypeTraitsPODBase {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
};

/*! \brief None. */
template <>
struct TypeTraits<std::nullptr_t> : TypeTraitsPODBase {
  static void CopyToAnyView(const std::nullptr_t&, TVMFFIAny* result) { details::SetNone(result); }
  static void MoveToAny(std::nullptr_t, TVMFFIAny* result) { details::SetNone(result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFINone;
  }
  static std::nullptr_t CopyFromAnyViewAfterCheck(const TVMFFIAny*) { return nullptr; }
  static std::nullptr_t MoveFromAnyAfterCheck(TVMFFIAny*) { return nullptr; }
  static std::optional<std::nullptr_t> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return nullptr;
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFINone; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

namespace details {
/*!
 * \brief Whether a view of a T (AnyView, CopyToAnyView) makes a new object that nothing owns:
 *        true for the STL types of extra/stl.h, which are converted on the way in. A call
 *        holds such an argument in an owned Any for its duration (details::ArgPack).
 */
template <typename T, typename = void>
inline constexpr bool view_allocates_v = false;
template <typename T>
inline constexpr bool view_allocates_v<T, std::enable_if_t<TypeTraitsNoCR<T>::kViewAllocates>> =
    true;

/*! \brief Whether T's traits can check a cell without converting it (RValueRef's cannot: it
 *         always converts, taking the caller's reference over when it can). */
template <typename T, typename = void>
inline constexpr bool has_strict_check_v = false;
template <typename T>
inline constexpr bool has_strict_check_v<T, std::void_t<decltype(TypeTraits<T>::CheckAnyStrict(
                                                static_cast<const TVMFFIAny*>(nullptr)))>> = true;
}  // namespace details

/*!
 * \brief std::optional<T>: None or a T. Defined here rather than in extra/stl.h because
 *        std::optional<Any> is used by the core headers, which would otherwise fix the
 *        primary (empty) traits for it before stl.h could specialize them.
 */
template <typename T>
struct TypeTraits<std::optional<T>> : TypeTraitsBase {
  static constexpr bool storage_enabled = false;
  static constexpr bool kViewAllocates = details::view_allocates_v<T>;
  static void CopyToAnyView(const std::optional<T>& src, TVMFFIAny* result) {
    if (src.has_value()) {
      TypeTraits<T>::CopyToAnyView(*src, result);
    } else {
      TypeTraits<std::nullptr_t>::CopyToAnyView(nullptr, result);
    }
  }
  static void MoveToAny(std::optional<T> src, TVMFFIAny* result) {
    if (src.has_value()) {
      TypeTraits<T>::MoveToAny(std::move(*src), result);
    } else {
      TypeTraits<std::nullptr_t>::MoveToAny(nullptr, result);
    }
  }
  // A strict check exists when T has one.
  template <typename U = T, typename = std::enable_if_t<details::has_strict_check_v<U>>>
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFINone || TypeTraits<U>::CheckAnyStrict(src);
  }
  template <typename U = T, typename = std::enable_if_t<details::has_strict_check_v<U>>>
  static std::optional<U> CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return std::nullopt;
    return TypeTraits<U>::CopyFromAnyViewAfterCheck(src);
  }
  template <typename U = T, typename = std::enable_if_t<details::has_strict_check_v<U>>>
  static std::optional<U> MoveFromAnyAfterCheck(TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return std::nullopt;
    return TypeTraits<U>::MoveFromAnyAfterCheck(src);
  }
  /*! \brief nullopt when the value converts to neither None nor T; else the optional. */
  static std::optional<std::optional<T>> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return std::optional<T>();
    std::optional<T> v = TypeTraits<T>::TryCastFromAnyView(src);
    if (!v.has_value()) return std::nullopt;
    return std::optional<std::optional<T>>(std::move(v));
  }
  static std::string GetMismatchTypeInfo(const TVMFFIAny* src) {
    return details::MismatchTypeInfo<T>(src);
  }
  static std::string TypeStr() { return "std::optional<" + TypeTraits<T>::TypeStr() + ">"; }
  static std::string TypeSchema() {
    return R"({"type":"std::optional","args":[)" + TypeTraits<T>::TypeSchema() + "]}";
  }
};

/*! \brief A bool that converts from a bool only (never from an int), e.g. as the first of
 *         several fallbacks where an int must not be read as a bool. */
class StrictBool {
 public:
  StrictBool(bool value) : value_(value) {}  // NOLINT(*)
  operator bool() const { return value_; }   // NOLINT(*)

 private:
  bool value_;
};

template <>
struct TypeTraits<StrictBool> : TypeTraitsPODBase {
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIBool;
  static void CopyToAnyView(const StrictBool& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIBool;
    result->zero_padding = 0;
    result->v_int64 = static_cast<bool>(src) ? 1 : 0;
  }
  static void MoveToAny(StrictBool src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIBool;
  }
  static StrictBool CopyFromAnyViewAfterCheck(const TVMFFIAny* src) { return src->v_int64 != 0; }
  static StrictBool MoveFromAnyAfterCheck(TVMFFIAny* src) { return src->v_int64 != 0; }
  static std::optional<StrictBool> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return StrictBool(src->v_int64 != 0);
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIBool; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief bool: stored as kTVMFFIBool, also accepts an int. */
template <>
struct TypeTraits<bool> : TypeTraitsPODBase {
  static void CopyToAnyView(const bool& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIBool;
    result->zero_padding = 0;
    result->v_int64 = src ? 1 : 0;
  }
  static void MoveToAny(bool src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIBool;
  }
  static bool CopyFromAnyViewAfterCheck(const TVMFFIAny* src) { return src->v_int64 != 0; }
  static bool MoveFromAnyAfterCheck(TVMFFIAny* src) { return src->v_int64 != 0; }
  static std::optional<bool> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFIBool || src->type_index == TypeIndex::kTVMFFIInt) {
      return src->v_int64 != 0;
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIBool; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief Integers and enums: stored as kTVMFFIInt (int64), also accept a bool. */
template <typename Int>
struct TypeTraits<Int, std::enable_if_t<(std::is_integral_v<Int> && !std::is_same_v<Int, bool>) ||
                                        std::is_enum_v<Int>>> : TypeTraitsPODBase {
  static void CopyToAnyView(const Int& src, TVMFFIAny* result) {
    if constexpr (std::is_unsigned_v<Int> && sizeof(Int) >= sizeof(int64_t)) {
      if (src > static_cast<Int>(std::numeric_limits<int64_t>::max())) {
        details::ThrowIntOverflow(static_cast<uint64_t>(src));
      }
    }
    result->type_index = TypeIndex::kTVMFFIInt;
    result->zero_padding = 0;
    result->v_int64 = static_cast<int64_t>(src);
  }
  static void MoveToAny(Int src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIInt;
  }
  static Int CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return static_cast<Int>(src->v_int64);
  }
  static Int MoveFromAnyAfterCheck(TVMFFIAny* src) { return static_cast<Int>(src->v_int64); }
  static std::optional<Int> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFIInt || src->type_index == TypeIndex::kTVMFFIBool) {
      return static_cast<Int>(src->v_int64);
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIInt; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief float/double: stored as kTVMFFIFloat, also accept int and bool. */
template <typename Float>
struct TypeTraits<Float, std::enable_if_t<std::is_floating_point_v<Float>>> : TypeTraitsPODBase {
  static void CopyToAnyView(const Float& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIFloat;
    result->zero_padding = 0;
    result->v_float64 = static_cast<double>(src);
  }
  static void MoveToAny(Float src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIFloat;
  }
  static Float CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return static_cast<Float>(src->v_float64);
  }
  static Float MoveFromAnyAfterCheck(TVMFFIAny* src) { return static_cast<Float>(src->v_float64); }
  static std::optional<Float> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFIFloat) return static_cast<Float>(src->v_float64);
    if (src->type_index == TypeIndex::kTVMFFIInt || src->type_index == TypeIndex::kTVMFFIBool) {
      return static_cast<Float>(src->v_int64);
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIFloat; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief void*: an opaque pointer (None converts to nullptr). */
template <>
struct TypeTraits<void*> : TypeTraitsPODBase {
  static void CopyToAnyView(void* const& src, TVMFFIAny* result) {
    if (src == nullptr) {
      details::SetNone(result);
      return;
    }
    result->type_index = TypeIndex::kTVMFFIOpaquePtr;
    result->zero_padding = 0;
    result->v_int64 = 0;
    result->v_ptr = src;
  }
  static void MoveToAny(void* src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIOpaquePtr;
  }
  static void* CopyFromAnyViewAfterCheck(const TVMFFIAny* src) { return src->v_ptr; }
  static void* MoveFromAnyAfterCheck(TVMFFIAny* src) { return src->v_ptr; }
  static std::optional<void*> TryCastFromAnyView(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFIOpaquePtr) return src->v_ptr;
    if (src->type_index == TypeIndex::kTVMFFINone) return static_cast<void*>(nullptr);
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIOpaquePtr; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

namespace details {
// Parses "cpu", "cuda:1", "rocm:0", ... (id defaults to 0; what follows a space is ignored);
// false on anything else.
inline bool ParseDeviceString(const char* data, size_t size, DLDevice* out) {
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == ' ') {
      size = i;
      break;
    }
  }
  static constexpr struct {
    const char* name;
    int type;
  } kNames[] = {{"cpu", kDLCPU},
                {"cuda", kDLCUDA},
                {"cuda_host", kDLCUDAHost},
                {"cuda_managed", kDLCUDAManaged},
                {"opencl", kDLOpenCL},
                {"vulkan", kDLVulkan},
                {"metal", kDLMetal},
                {"mps", kDLMetal},
                {"vpi", kDLVPI},
                {"rocm", kDLROCM},
                {"rocm_host", kDLROCMHost},
                {"ext_dev", kDLExtDev},
                {"oneapi", kDLOneAPI},
                {"webgpu", kDLWebGPU},
                {"wgpu", kDLWebGPU},
                {"hexagon", kDLHexagon},
                {"maia", kDLMAIA},
                {"trn", kDLTrn}};
  size_t colon = 0;
  while (colon < size && data[colon] != ':') ++colon;
  int64_t id = 0;
  if (colon < size) {
    if (colon + 1 == size) return false;
    for (size_t i = colon + 1; i < size; ++i) {
      if (data[i] < '0' || data[i] > '9') return false;
      id = id * 10 + (data[i] - '0');
      if (id > std::numeric_limits<int32_t>::max()) return false;
    }
  }
  for (const auto& entry : kNames) {
    if (std::char_traits<char>::length(entry.name) == colon &&
        std::char_traits<char>::compare(entry.name, data, colon) == 0) {
      out->device_type = static_cast<DLDeviceType>(entry.type);
      out->device_id = static_cast<int32_t>(id);
      return true;
    }
  }
  return false;
}

// Pointer and length of a small or heap string/bytes cell.
TVM_FFI_INLINE TVMFFIByteArray BytesCellView(const TVMFFIAny* cell) {
  if (cell->type_index < TypeIndex::kTVMFFIStaticObjectBegin) {
    return TVMFFIByteArray{cell->v_bytes, cell->small_str_len};
  }
  return *TVMFFIBytesGetByteArrayPtr(cell->v_obj);
}

// Pointer and length of a string-like value (raw, small or heap string), else false.
inline bool StringLikeView(const TVMFFIAny* src, const char** data, size_t* size) {
  if (src->type_index == TypeIndex::kTVMFFIRawStr) {
    *data = src->v_c_str;
    *size = std::char_traits<char>::length(*data);
  } else if (src->type_index == TypeIndex::kTVMFFISmallStr) {
    *data = src->v_bytes;
    *size = src->small_str_len;
  } else if (src->type_index == TypeIndex::kTVMFFIStr) {
    const TVMFFIByteArray* arr = TVMFFIBytesGetByteArrayPtr(src->v_obj);
    *data = arr->data;
    *size = arr->size;
  } else {
    return false;
  }
  return true;
}
}  // namespace details

/*! \brief DLDevice, stored inline; a string such as "cuda:0" also converts. */
template <>
struct TypeTraits<DLDevice> : TypeTraitsPODBase {
  static void CopyToAnyView(const DLDevice& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIDevice;
    result->zero_padding = 0;
    result->v_int64 = 0;
    result->v_device = src;
  }
  static void MoveToAny(DLDevice src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIDevice;
  }
  static DLDevice CopyFromAnyViewAfterCheck(const TVMFFIAny* src) { return src->v_device; }
  static DLDevice MoveFromAnyAfterCheck(TVMFFIAny* src) { return src->v_device; }
  static std::optional<DLDevice> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return src->v_device;
    const char* data = nullptr;
    size_t size = 0;
    DLDevice out;
    if (details::StringLikeView(src, &data, &size) &&
        details::ParseDeviceString(data, size, &out)) {
      return out;
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIDevice; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief DLDataType, stored inline; a string such as "float32" also converts (dtype.h). */
template <>
struct TypeTraits<DLDataType> : TypeTraitsPODBase {
  static void CopyToAnyView(const DLDataType& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIDataType;
    result->zero_padding = 0;
    result->v_int64 = 0;
    result->v_dtype = src;
  }
  static void MoveToAny(DLDataType src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIDataType;
  }
  static DLDataType CopyFromAnyViewAfterCheck(const TVMFFIAny* src) { return src->v_dtype; }
  static DLDataType MoveFromAnyAfterCheck(TVMFFIAny* src) { return src->v_dtype; }
  static std::optional<DLDataType> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return src->v_dtype;
    const char* data = nullptr;
    size_t size = 0;
    if (!details::StringLikeView(src, &data, &size)) return std::nullopt;
    TVMFFIByteArray str{data, size};
    DLDataType out;
    if (TVMFFIDataTypeFromString(&str, &out) != 0) {
      TVMFFIObjectHandle err = nullptr;
      TVMFFIErrorMoveFromRaised(&err);
      TVMFFIObjectDecRef(err);
      return std::nullopt;
    }
    return out;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIDataType; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief DLTensor*: a borrowed tensor; a Tensor object also converts. */
template <>
struct TypeTraits<DLTensor*> : TypeTraitsPODBase {
  static void CopyToAnyView(DLTensor* const& src, TVMFFIAny* result) {
    result->type_index = TypeIndex::kTVMFFIDLTensorPtr;
    result->zero_padding = 0;
    result->v_int64 = 0;
    result->v_ptr = src;
  }
  static void MoveToAny(DLTensor* src, TVMFFIAny* result) { CopyToAnyView(src, result); }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index == TypeIndex::kTVMFFIDLTensorPtr;
  }
  static DLTensor* CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return static_cast<DLTensor*>(src->v_ptr);
  }
  static DLTensor* MoveFromAnyAfterCheck(TVMFFIAny* src) {
    return static_cast<DLTensor*>(src->v_ptr);
  }
  static std::optional<DLTensor*> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return static_cast<DLTensor*>(src->v_ptr);
    if (src->type_index == TypeIndex::kTVMFFITensor) return TVMFFITensorGetDLTensorPtr(src->v_obj);
    return std::nullopt;
  }
  static std::string TypeStr() { return StaticTypeKey::kTVMFFIDLTensorPtr; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

namespace details {
template <typename ContainerType>
TVM_FFI_INLINE bool ObjectIsInstance(const TVMFFIObject* obj) {
  if constexpr (std::is_same_v<ContainerType, Object>) {
    return true;
  } else {
    return IsInstanceOfIndex(obj->type_index, ContainerType::RuntimeTypeIndex(),
                             ContainerType::_type_depth, ContainerType::_type_final,
                             ContainerType::_type_child_slots);
  }
}
}  // namespace details

/*! \brief The traits of an ObjectRef stored as its object (None where it is nullable); the
 *         base of the traits that ObjectRef types bring of their own. */
template <typename TObjRef>
struct ObjectRefTypeTraitsBase {
  using ContainerType = typename TObjRef::ContainerType;
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIObject;
  static std::string GetMismatchTypeInfo(const TVMFFIAny* source) {
    return details::AnyTypeStr(source);
  }

  static void CopyToAnyView(const TObjRef& src, TVMFFIAny* result) {
    TVMFFIObject* obj = details::ObjectUnsafe::TVMFFIObjectPtrFromObjectRef(src);
    if (obj == nullptr) {
      details::SetNone(result);
      return;
    }
    result->type_index = obj->type_index;
    result->zero_padding = 0;
    result->v_obj = obj;
  }
  static void MoveToAny(TObjRef src, TVMFFIAny* result) {
    CopyToAnyView(src, result);
    if (result->type_index != TypeIndex::kTVMFFINone) {
      details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(std::move(src));
    }
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return TObjRef::_type_is_nullable;
    return src->type_index >= TypeIndex::kTVMFFIStaticObjectBegin &&
           details::ObjectIsInstance<ContainerType>(src->v_obj);
  }
  static TObjRef CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    Object* obj =
        src->type_index == TypeIndex::kTVMFFINone ? nullptr : reinterpret_cast<Object*>(src->v_obj);
    return details::ObjectUnsafe::ObjectRefFromUnowned<TObjRef>(obj);
  }
  static TObjRef MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Object* obj =
        src->type_index == TypeIndex::kTVMFFINone ? nullptr : reinterpret_cast<Object*>(src->v_obj);
    details::SetNone(src);
    return details::ObjectUnsafe::ObjectRefFromObjectPtr<TObjRef>(
        details::ObjectUnsafe::ObjectPtrFromOwned<Object>(obj));
  }
  static std::optional<TObjRef> TryCastFromAnyView(const TVMFFIAny* src) {
    // an RValueRef argument converts only to an RValueRef parameter (rvalue_ref.h)
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return std::nullopt;
  }
  static std::string TypeStr() { return ContainerType::_type_key; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

/*! \brief Every ObjectRef subclass without traits of its own: stored as its object. */
template <typename TObjRef>
struct TypeTraits<TObjRef, std::enable_if_t<std::is_base_of_v<ObjectRef, TObjRef> &&
                                            !details::HasCustomAnyTraits<TObjRef>::value &&
                                            use_default_type_traits_v<TObjRef>>>
    : ObjectRefTypeTraitsBase<TObjRef> {};

/*!
 * \brief ObjectRef traits that also convert from other types, tried in order: the
 *        specialization declares `static TObjRef ConvertFallbackValue(F)` for each F.
 */
template <typename TObjRef, typename... FallbackTypes>
struct ObjectRefWithFallbackTraitsBase : ObjectRefTypeTraitsBase<TObjRef> {
  static std::optional<TObjRef> TryCastFromAnyView(const TVMFFIAny* src) {
    if (std::optional<TObjRef> direct = ObjectRefTypeTraitsBase<TObjRef>::TryCastFromAnyView(src)) {
      return direct;
    }
    return TryFallbacks<FallbackTypes...>(src);
  }

 private:
  template <typename First, typename... Rest>
  static std::optional<TObjRef> TryFallbacks(const TVMFFIAny* src) {
    static_assert(!std::is_same_v<First, bool>,
                  "a bool fallback would take every int; use tvm::ffi::StrictBool");
    if (auto value = TypeTraits<First>::TryCastFromAnyView(src)) {
      return TypeTraits<TObjRef>::ConvertFallbackValue(*std::move(value));
    }
    if constexpr (sizeof...(Rest) > 0) {
      return TryFallbacks<Rest...>(src);
    } else {
      return std::nullopt;
    }
  }
};

namespace details {
// Traits shared by ObjectPtr<T> (nullable: None is a null pointer) and Arc<T> (never null).
template <typename Ptr, typename TObject, bool kNullable>
struct ObjectPtrTraitsImpl : TypeTraitsBase {
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIObject;
  static void CopyToAnyView(const Ptr& src, TVMFFIAny* result) {
    if (src.get() == nullptr) {
      SetNone(result);
      return;
    }
    TVMFFIObject* header = ObjectUnsafe::GetHeader(static_cast<const Object*>(src.get()));
    result->type_index = header->type_index;
    result->zero_padding = 0;
    result->v_obj = header;
  }
  static void MoveToAny(Ptr src, TVMFFIAny* result) {
    CopyToAnyView(src, result);
    if (result->type_index != TypeIndex::kTVMFFINone) {
      ObjectUnsafe::IncRefObjectHandle(result->v_obj);
    }
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    if (src->type_index == TypeIndex::kTVMFFINone) return kNullable;
    return src->type_index >= TypeIndex::kTVMFFIStaticObjectBegin &&
           ObjectIsInstance<TObject>(src->v_obj);
  }
  static Ptr CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    Object* obj =
        src->type_index == TypeIndex::kTVMFFINone ? nullptr : reinterpret_cast<Object*>(src->v_obj);
    ObjectPtr<TObject> ptr = ObjectUnsafe::ObjectPtrFromUnowned<TObject>(obj);
    if constexpr (kNullable) {
      return ptr;
    } else {
      return ObjectUnsafe::ArcFromObjectPtr(std::move(ptr));
    }
  }
  static Ptr MoveFromAnyAfterCheck(TVMFFIAny* src) {
    Ptr out = CopyFromAnyViewAfterCheck(src);
    if (src->type_index != TypeIndex::kTVMFFINone) {
      ObjectUnsafe::DecRefObjectHandle(src->v_obj);
    }
    SetNone(src);
    return out;
  }
  static std::optional<Ptr> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return std::nullopt;
  }
  static std::string TypeStr() { return TObject::_type_key; }
  static std::string TypeSchema() {
    if constexpr (kNullable) {
      return "{\"type\":\"Optional\",\"args\":[" + SchemaOf(TypeStr()) + "]}";
    } else {
      return SchemaOf(TypeStr());
    }
  }
};
}  // namespace details

/*! \brief ObjectPtr<T>: stored as its object; None is a null pointer. */
template <typename TObject>
struct TypeTraits<ObjectPtr<TObject>,
                  std::enable_if_t<is_object_subclass_v<TObject> &&
                                   std::is_same_v<TObject, std::remove_cv_t<TObject>>>>
    : details::ObjectPtrTraitsImpl<ObjectPtr<TObject>, TObject, true> {};

/*! \brief Arc<T>: stored as its object; never None. */
template <typename TObject>
struct TypeTraits<Arc<TObject>,
                  std::enable_if_t<is_object_subclass_v<TObject> &&
                                   std::is_same_v<TObject, std::remove_cv_t<TObject>>>>
    : details::ObjectPtrTraitsImpl<Arc<TObject>, TObject, false> {};

/*! \brief const TObj*: a borrowed pointer to an object of the given class. */
template <typename TObj>
struct TypeTraits<const TObj*, std::enable_if_t<std::is_base_of_v<Object, TObj>>> {
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = false;
  static void CopyToAnyView(const TObj* src, TVMFFIAny* result) {
    if (src == nullptr) {
      details::SetNone(result);
      return;
    }
    result->type_index = src->type_index();
    result->zero_padding = 0;
    result->v_obj = details::ObjectUnsafe::GetHeader(src);
  }
  /*! \brief An Any made from the pointer holds a new reference to the object. */
  static void MoveToAny(const TObj* src, TVMFFIAny* result) {
    CopyToAnyView(src, result);
    if (src != nullptr) details::ObjectUnsafe::IncRefObjectHandle(result->v_obj);
  }
  static bool CheckAnyStrict(const TVMFFIAny* src) {
    return src->type_index >= TypeIndex::kTVMFFIStaticObjectBegin &&
           details::ObjectIsInstance<TObj>(src->v_obj);
  }
  static const TObj* CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return static_cast<const TObj*>(reinterpret_cast<const Object*>(src->v_obj));
  }
  static std::optional<const TObj*> TryCastFromAnyView(const TVMFFIAny* src) {
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return std::nullopt;
  }
  static std::string TypeStr() { return TObj::_type_key; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};
/*! \brief TObj*: the same, for callables that take the object mutable. */
template <typename TObj>
struct TypeTraits<TObj*,
                  std::enable_if_t<std::is_base_of_v<Object, TObj> && !std::is_const_v<TObj>>>
    : TypeTraits<const TObj*> {
  static TObj* CopyFromAnyViewAfterCheck(const TVMFFIAny* src) {
    return const_cast<TObj*>(TypeTraits<const TObj*>::CopyFromAnyViewAfterCheck(src));
  }
  static std::optional<TObj*> TryCastFromAnyView(const TVMFFIAny* src) {
    if (TypeTraits<const TObj*>::CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    return std::nullopt;
  }
};

}  // namespace ffi
}  // namespace tvm
/*!
 * \brief The type information of an object class whose type some other library registers:
 *        RuntimeTypeIndex() looks the key up (once) and never registers it; TypeDepth is the
 *        class's depth below Object. Include function.h (or tvm_ffi.h) before using it.
 */
#define TVM_FFI_DECLARE_OBJECT_INFO_LOOKUP(RegisteredKey, TypeDepth) \
  static constexpr const char* _type_key = RegisteredKey;            \
  static constexpr int32_t _type_depth = TypeDepth;                  \
  static constexpr bool _type_mutable = true;                        \
  static constexpr bool _type_final = false;                         \
  static constexpr uint32_t _type_child_slots = 0;                   \
  static constexpr bool _type_child_slots_can_overflow = true;       \
  static int32_t RuntimeTypeIndex() {                                \
    static const int32_t index = []() {                              \
      TVMFFIByteArray key{RegisteredKey, sizeof(RegisteredKey) - 1}; \
      int32_t found = -1;                                            \
      TVM_FFI_CHECK_SAFE_CALL(TVMFFITypeKeyToIndex(&key, &found));   \
      return found;                                                  \
    }();                                                             \
    return index;                                                    \
  }

#endif  // TVM_FFI_TYPE_TRAITS_H_
