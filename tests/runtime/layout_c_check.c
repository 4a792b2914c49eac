/* Compile-time layout checks of the C ABI, from a C translation unit (c_api.h must be C). */
#include <stddef.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/extra/c_env_api.h>

#define CHECK_SIZE(T, n) _Static_assert(sizeof(T) == (n), "sizeof " #T)
#define CHECK_OFFSET(T, m, n) _Static_assert(offsetof(T, m) == (n), "offsetof " #T "." #m)

CHECK_SIZE(TVMFFIVersion, 12);
CHECK_SIZE(TVMFFIObject, 24);
_Static_assert(_Alignof(TVMFFIObject) == 8, "TVMFFIObject alignment");
CHECK_OFFSET(TVMFFIObject, combined_ref_count, 0);
CHECK_OFFSET(TVMFFIObject, type_index, 8);
CHECK_OFFSET(TVMFFIObject, __padding, 12);
CHECK_OFFSET(TVMFFIObject, deleter, 16);
CHECK_SIZE(TVMFFIAny, 16);
CHECK_OFFSET(TVMFFIAny, type_index, 0);
CHECK_OFFSET(TVMFFIAny, zero_padding, 4);
CHECK_OFFSET(TVMFFIAny, small_str_len, 4);
CHECK_OFFSET(TVMFFIAny, v_int64, 8);
CHECK_OFFSET(TVMFFIAny, v_bytes, 8);
CHECK_SIZE(TVMFFIByteArray, 16);
CHECK_SIZE(TVMFFIShapeCell, 16);
CHECK_SIZE(TVMFFISeqCell, 32);
CHECK_OFFSET(TVMFFISeqCell, capacity, 16);
CHECK_OFFSET(TVMFFISeqCell, data_deleter, 24);
CHECK_SIZE(TVMFFIErrorCell, 72);
CHECK_OFFSET(TVMFFIErrorCell, message, 16);
CHECK_OFFSET(TVMFFIErrorCell, backtrace, 32);
CHECK_OFFSET(TVMFFIErrorCell, update_backtrace, 48);
CHECK_OFFSET(TVMFFIErrorCell, cause_chain, 56);
CHECK_OFFSET(TVMFFIErrorCell, extra_context, 64);
CHECK_SIZE(TVMFFIFunctionCell, 16);
CHECK_OFFSET(TVMFFIFunctionCell, cpp_call, 8);
CHECK_SIZE(TVMFFIOpaqueObjectCell, 8);
CHECK_SIZE(TVMFFIObjectAllocHeader, 8);
CHECK_SIZE(TVMFFICustomAllocator, 16);
CHECK_SIZE(TVMFFIFieldInfo, 120);
CHECK_OFFSET(TVMFFIFieldInfo, flags, 48);
CHECK_OFFSET(TVMFFIFieldInfo, size, 56);
CHECK_OFFSET(TVMFFIFieldInfo, alignment, 64);
CHECK_OFFSET(TVMFFIFieldInfo, offset, 72);
CHECK_OFFSET(TVMFFIFieldInfo, getter, 80);
CHECK_OFFSET(TVMFFIFieldInfo, setter, 88);
CHECK_OFFSET(TVMFFIFieldInfo, default_value_or_factory, 96);
CHECK_OFFSET(TVMFFIFieldInfo, field_static_type_index, 112);
CHECK_SIZE(TVMFFIMethodInfo, 72);
CHECK_OFFSET(TVMFFIMethodInfo, flags, 48);
CHECK_OFFSET(TVMFFIMethodInfo, method, 56);
CHECK_SIZE(TVMFFITypeMetadata, 32);
CHECK_OFFSET(TVMFFITypeMetadata, creator, 16);
CHECK_OFFSET(TVMFFITypeMetadata, total_size, 24);
CHECK_OFFSET(TVMFFITypeMetadata, structural_eq_hash_kind, 28);
CHECK_SIZE(TVMFFITypeAttrColumn, 16);
CHECK_OFFSET(TVMFFITypeAttrColumn, size, 8);
CHECK_OFFSET(TVMFFITypeAttrColumn, begin_index, 12);
CHECK_SIZE(TVMFFITypeInfo, 72);
CHECK_OFFSET(TVMFFITypeInfo, type_depth, 4);
CHECK_OFFSET(TVMFFITypeInfo, type_key, 8);
CHECK_OFFSET(TVMFFITypeInfo, type_ancestors, 24);
CHECK_OFFSET(TVMFFITypeInfo, type_key_hash, 32);
CHECK_OFFSET(TVMFFITypeInfo, num_fields, 40);
CHECK_OFFSET(TVMFFITypeInfo, num_methods, 44);
CHECK_OFFSET(TVMFFITypeInfo, fields, 48);
CHECK_OFFSET(TVMFFITypeInfo, methods, 56);
CHECK_OFFSET(TVMFFITypeInfo, metadata, 64);
CHECK_SIZE(DLDataType, 4);
CHECK_SIZE(DLDevice, 8);
CHECK_SIZE(DLTensor, 48);
CHECK_OFFSET(DLTensor, device, 8);
CHECK_OFFSET(DLTensor, ndim, 16);
CHECK_OFFSET(DLTensor, dtype, 20);
CHECK_OFFSET(DLTensor, shape, 24);
CHECK_OFFSET(DLTensor, strides, 32);
CHECK_OFFSET(DLTensor, byte_offset, 40);
CHECK_SIZE(DLManagedTensor, 64);
CHECK_OFFSET(DLManagedTensor, manager_ctx, 48);
CHECK_OFFSET(DLManagedTensor, deleter, 56);
CHECK_SIZE(DLManagedTensorVersioned, 80);
CHECK_OFFSET(DLManagedTensorVersioned, manager_ctx, 8);
CHECK_OFFSET(DLManagedTensorVersioned, deleter, 16);
CHECK_OFFSET(DLManagedTensorVersioned, flags, 24);
CHECK_OFFSET(DLManagedTensorVersioned, dl_tensor, 32);

/* The test binary calls this so the translation unit is linked (and its checks compiled). */
int TvmffiRpcLayoutCheckC(void) { return (int)sizeof(TVMFFIAny); }
