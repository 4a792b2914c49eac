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

/*! \brief Primary template: types without traits cannot be stored in an Any. */
template <typename, typename = void>
struct TypeTraits {
  static constexpr bool convert_enabled = false;
  static constexpr bool storage_enabled = false;
};

template <typename T>
using TypeTraitsNoCR = TypeTraits<std::remove_const_t<std::remove_reference_t<T>>>;

namespace details {
// The type name a value holds, for error messages.
inline std::string AnyTypeStr(const TVMFFIAny* src) {
  if (src->type_index == TypeIndex::kTVMFFIObjectRValueRef) {
    TVMFFIObject* obj = *static_cast<TVMFFIObject**>(src->v_ptr);
    return obj == nullptr ? StaticTypeKey::kTVMFFINone : TypeIndexToTypeKey(obj->type_index);
  }
  return TypeIndexToTypeKey(src->type_index);
}
inline void SetNone(TVMFFIAny* result) {
  result->type_index = TypeIndex::kTVMFFINone;
  result->zero_padding = 0;
  result->v_int64 = 0;
}
inline std::string SchemaOf(const std::string& type_str) {
  return "{\"type\":\"" + type_str + "\"}";
}
// Throws OverflowError for an unsigned value above INT64_MAX; defined in error.h.
[[noreturn]] inline void ThrowIntOverflow(uint64_t value);

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
// Parses "cpu", "cuda:1", "rocm:0", ... (id defaults to 0); false on anything else.
inline bool ParseDeviceString(const char* data, size_t size, DLDevice* out) {
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
                {"vpi", kDLVPI},
                {"rocm", kDLROCM},
                {"rocm_host", kDLROCMHost},
                {"ext_dev", kDLExtDev},
                {"oneapi", kDLOneAPI},
                {"webgpu", kDLWebGPU},
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
// The object an argument refers to, looking through an rvalue-reference slot.
TVM_FFI_INLINE TVMFFIObject* ObjectOfAny(const TVMFFIAny* src) {
  if (src->type_index == TypeIndex::kTVMFFIObjectRValueRef) {
    return *static_cast<TVMFFIObject**>(src->v_ptr);
  }
  return src->type_index >= TypeIndex::kTVMFFIStaticObjectBegin ? src->v_obj : nullptr;
}
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

/*! \brief Every ObjectRef subclass without traits of its own: stored as its object. */
template <typename TObjRef>
struct TypeTraits<TObjRef, std::enable_if_t<std::is_base_of_v<ObjectRef, TObjRef> &&
                                            !details::HasCustomAnyTraits<TObjRef>::value>> {
  using ContainerType = typename TObjRef::ContainerType;
  static constexpr bool convert_enabled = true;
  static constexpr bool storage_enabled = true;

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
    if (CheckAnyStrict(src)) return CopyFromAnyViewAfterCheck(src);
    if (src->type_index == TypeIndex::kTVMFFIObjectRValueRef) {
      TVMFFIObject* obj = details::ObjectOfAny(src);
      if (obj != nullptr && details::ObjectIsInstance<ContainerType>(obj)) {
        return details::ObjectUnsafe::ObjectRefFromUnowned<TObjRef>(reinterpret_cast<Object*>(obj));
      }
    }
    return std::nullopt;
  }
  static std::string TypeStr() { return ContainerType::_type_key; }
  static std::string TypeSchema() { return details::SchemaOf(TypeStr()); }
};

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
template <typename TObj>
struct TypeTraits<TObj*,
                  std::enable_if_t<std::is_base_of_v<Object, TObj> && !std::is_const_v<TObj>>>
    : TypeTraits<const TObj*> {};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_TYPE_TRAITS_H_
