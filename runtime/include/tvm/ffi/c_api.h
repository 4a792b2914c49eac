/*
 * tvmffi-rpc runtime: the stable C ABI of tvm-ffi v0.1.13-post2 (version 0.1.14).
 *
 * Every type, enum value, struct layout and function signature here is binary-compatible with
 * upstream apache/tvm-ffi v0.1.13-post2 (facts: shared/reference/tvm-ffi-abi.md). The text is ours.
 * The header is plain C: a C translation unit compiles against it.
 *
 * Calling convention: every function is one TVMFFISafeCallType. Arguments are borrowed
 * (AnyView), the result is an owning Any the caller pre-sets to None, and the return code is
 * 0 (ok), -1 (error kept in thread-local storage, take it with TVMFFIErrorMoveFromRaised) or
 * -2 (the frontend, e.g. Python, already has an error set).
 */
#ifndef TVM_FFI_C_API_H_
#define TVM_FFI_C_API_H_

#include <dlpack/dlpack.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_MSC_VER)
#define TVM_FFI_DLL_EXPORT __declspec(dllexport)
#if defined(TVM_FFI_EXPORTS)
#define TVM_FFI_DLL __declspec(dllexport)
#else
#define TVM_FFI_DLL __declspec(dllimport)
#endif
#define TVM_FFI_WEAK __declspec(selectany)
#define TVM_FFI_ATTRIBUTE_PURE
#elif defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define TVM_FFI_DLL EMSCRIPTEN_KEEPALIVE
#define TVM_FFI_DLL_EXPORT EMSCRIPTEN_KEEPALIVE
#define TVM_FFI_WEAK __attribute__((weak))
#define TVM_FFI_ATTRIBUTE_PURE __attribute__((__pure__))
#else
#define TVM_FFI_DLL __attribute__((visibility("default")))
#define TVM_FFI_DLL_EXPORT __attribute__((visibility("default")))
#define TVM_FFI_WEAK __attribute__((weak))
#define TVM_FFI_ATTRIBUTE_PURE __attribute__((__pure__))
#endif

/* ABI version this header describes. TVMFFIGetVersion reports the library's. */
#define TVM_FFI_VERSION_MAJOR 0
#define TVM_FFI_VERSION_MINOR 1
#define TVM_FFI_VERSION_PATCH 14

#ifdef __cplusplus
extern "C" {
#endif

/* Layout-stable version triple (12 bytes). */
typedef struct {
  uint32_t major;
  uint32_t minor;
  uint32_t patch;
} TVMFFIVersion;

/*
 * Type indices. [0, 64) are POD values held inline in an Any (no refcount); [64, 128) are the
 * builtin object types; runtime-registered object types start at 128.
 */
#ifdef __cplusplus
enum TVMFFITypeIndex : int32_t {
#else
typedef enum {
#endif
  kTVMFFIAny = -1,             /* annotations only; never stored in an Any */
  kTVMFFINone = 0,             /* None / nullptr */
  kTVMFFIInt = 1,              /* int64_t in v_int64 */
  kTVMFFIBool = 2,             /* bool in v_int64 */
  kTVMFFIFloat = 3,            /* double in v_float64 */
  kTVMFFIOpaquePtr = 4,        /* void* in v_ptr; never crosses a process boundary */
  kTVMFFIDataType = 5,         /* DLDataType in v_dtype */
  kTVMFFIDevice = 6,           /* DLDevice in v_device */
  kTVMFFIDLTensorPtr = 7,      /* borrowed DLTensor* */
  kTVMFFIRawStr = 8,           /* borrowed NUL-terminated char*; AnyView only */
  kTVMFFIByteArrayPtr = 9,     /* borrowed TVMFFIByteArray*; AnyView only */
  kTVMFFIObjectRValueRef = 10, /* v_ptr points at an Object* slot the callee may steal */
  kTVMFFISmallStr = 11,        /* string of <= 7 bytes inline in v_bytes */
  kTVMFFISmallBytes = 12,      /* bytes of <= 7 bytes inline in v_bytes */
  kTVMFFIStaticObjectBegin = 64,
  kTVMFFIObject = 64,         /* root of all objects */
  kTVMFFIStr = 65,            /* header + TVMFFIByteArray */
  kTVMFFIBytes = 66,          /* header + TVMFFIByteArray */
  kTVMFFIError = 67,          /* header + TVMFFIErrorCell */
  kTVMFFIFunction = 68,       /* header + TVMFFIFunctionCell */
  kTVMFFIShape = 69,          /* header + TVMFFIShapeCell */
  kTVMFFITensor = 70,         /* header + DLTensor */
  kTVMFFIArray = 71,          /* header + TVMFFISeqCell, immutable */
  kTVMFFIMap = 72,            /* immutable hash map */
  kTVMFFIModule = 73,         /* loaded module */
  kTVMFFIOpaquePyObject = 74, /* header + TVMFFIOpaqueObjectCell */
  kTVMFFIList = 75,           /* header + TVMFFISeqCell, mutable */
  kTVMFFIDict = 76,           /* mutable hash map */
  kTVMFFIVisitInterrupt = 77,
  kTVMFFIStaticObjectEnd,
  kTVMFFIDynObjectBegin = 128
#ifdef __cplusplus
};
#else
} TVMFFITypeIndex;
#endif

/* An object handle always points at the TVMFFIObject header. */
typedef void* TVMFFIObjectHandle;

/* What a deleter must do: destroy (strong count hit 0), free (weak hit 0), or both. */
#ifdef __cplusplus
enum TVMFFIObjectDeleterFlagBitMask : int32_t {
#else
typedef enum {
#endif
  kTVMFFIObjectDeleterFlagBitMaskStrong = 1 << 0,
  kTVMFFIObjectDeleterFlagBitMaskWeak = 1 << 1,
  kTVMFFIObjectDeleterFlagBitMaskBoth =
      (kTVMFFIObjectDeleterFlagBitMaskStrong | kTVMFFIObjectDeleterFlagBitMaskWeak),
#ifdef __cplusplus
};
#else
} TVMFFIObjectDeleterFlagBitMask;
#endif

/*
 * Header of every heap object (24 bytes). combined_ref_count keeps the strong count in the low
 * 32 bits and the weak count in the high 32 bits, so one 64-bit atomic serves both.
 */
typedef struct {
  uint64_t combined_ref_count;
  int32_t type_index;
  uint32_t __padding;
  union {
    void (*deleter)(void* self, int flags);
    int64_t __ensure_align;
  };
} TVMFFIObject;

/* The 16-byte tagged value every argument and result travels as. */
typedef struct {
  int32_t type_index;
  union {
    uint32_t zero_padding;  /* zero except for small str/bytes */
    uint32_t small_str_len; /* length of a small str/bytes, <= 7 */
  };
  union {
    int64_t v_int64;
    double v_float64;
    void* v_ptr;
    const char* v_c_str;
    TVMFFIObject* v_obj;
    DLDataType v_dtype;
    DLDevice v_device;
    char v_bytes[8];
    uint64_t v_uint64;
  };
} TVMFFIAny;

/* Pointer and length; String and Bytes objects are header + this. */
typedef struct {
  const char* data;
  size_t size;
} TVMFFIByteArray;

/* Shape objects are header + this. */
typedef struct {
  const int64_t* data;
  size_t size;
} TVMFFIShapeCell;

/* Array and List objects are header + this. data_deleter NULL: elements live inline. */
typedef struct {
  void* data;
  int64_t size;
  int64_t capacity;
  void (*data_deleter)(void*);
} TVMFFISeqCell;

#ifdef __cplusplus
enum TVMFFIBacktraceUpdateMode : int32_t {
#else
typedef enum {
#endif
  kTVMFFIBacktraceUpdateModeReplace = 0,
  kTVMFFIBacktraceUpdateModeAppend = 1,
#ifdef __cplusplus
};
#else
} TVMFFIBacktraceUpdateMode;
#endif

/*
 * Error objects are header + this (72 bytes). backtrace lists the most recent call first, so a
 * caller going up the stack appends. cause_chain and extra_context are owned handles or NULL.
 */
typedef struct {
  TVMFFIByteArray kind;
  TVMFFIByteArray message;
  TVMFFIByteArray backtrace;
  void (*update_backtrace)(TVMFFIObjectHandle self, const TVMFFIByteArray* backtrace,
                           int32_t update_mode);
  TVMFFIObjectHandle cause_chain;
  TVMFFIObjectHandle extra_context;
} TVMFFIErrorCell;

/*
 * The one calling convention. args are borrowed; *result is owned by the caller, who must set
 * result->type_index to kTVMFFINone (or another POD index) before the call.
 * Returns 0 on success, -1 with the error in TLS, -2 when the frontend holds the error.
 */
typedef int (*TVMFFISafeCallType)(void* handle, const TVMFFIAny* args, int32_t num_args,
                                  TVMFFIAny* result);

/*
 * Function objects are header + this. cpp_call is a throwing fast path, void(const FunctionObj*,
 * const AnyView*, int32_t, Any*), usable only inside the DSO that made it; NULL for C functions.
 */
typedef struct {
  TVMFFISafeCallType safe_call;
  void* cpp_call;
} TVMFFIFunctionCell;

/* Opaque objects (e.g. a PyObject*) are header + this. */
typedef struct {
  void* handle;
} TVMFFIOpaqueObjectCell;

/* Placed right before an object allocated through a custom allocator. */
typedef struct {
  void (*delete_space)(void* ptr);
} TVMFFIObjectAllocHeader;

/* A process-wide allocator for objects of foreign-defined classes (used by the Python binding). */
typedef struct {
  void* (*allocate)(size_t size, size_t alignment, int32_t type_index, void* context);
  void* context;
} TVMFFICustomAllocator;

/*------------------------------------------------------------------------------------------
 * Objects
 *------------------------------------------------------------------------------------------*/
/* Fills *out_version with the library's ABI version; stable across every ABI version. */
TVM_FFI_DLL void TVMFFIGetVersion(TVMFFIVersion* out_version);

/* Adds one strong reference. */
TVM_FFI_DLL int TVMFFIObjectIncRef(TVMFFIObjectHandle obj);

/* Drops one strong reference; the object is destroyed when none remain. */
TVM_FFI_DLL int TVMFFIObjectDecRef(TVMFFIObjectHandle obj);

/* Wraps a foreign handle in an object that calls deleter(handle) when released.
 * Only kTVMFFIOpaquePyObject is accepted as type_index. */
TVM_FFI_DLL int TVMFFIObjectCreateOpaque(void* handle, int32_t type_index,
                                         void (*deleter)(void* handle), TVMFFIObjectHandle* out);

/* The allocator registered with TVMFFISetCustomAllocator, else the builtin one (never NULL). */
TVM_FFI_DLL TVMFFICustomAllocator* TVMFFIGetCustomAllocator(void);

/* Registers the custom object allocator; NULL restores the builtin one. */
TVM_FFI_DLL int TVMFFISetCustomAllocator(TVMFFICustomAllocator* allocator);

/*------------------------------------------------------------------------------------------
 * Functions and the global registry
 *------------------------------------------------------------------------------------------*/
/* Makes a function object calling safe_call(self, ...); deleter(self) runs on release. */
TVM_FFI_DLL int TVMFFIFunctionCreate(void* self, TVMFFISafeCallType safe_call,
                                     void (*deleter)(void* self), TVMFFIObjectHandle* out);

/* Looks a global function up by name: *out is a new strong reference, or NULL if missing. */
TVM_FFI_DLL int TVMFFIFunctionGetGlobal(const TVMFFIByteArray* name, TVMFFIObjectHandle* out);

/* Registers f (borrowed; the registry keeps its own reference) under name. Fails if the name is
 * taken and allow_override is 0. */
TVM_FFI_DLL int TVMFFIFunctionSetGlobal(const TVMFFIByteArray* name, TVMFFIObjectHandle f,
                                        int allow_override);

/* Calls func's safe_call with func itself as the handle. */
TVM_FFI_DLL int TVMFFIFunctionCall(TVMFFIObjectHandle func, TVMFFIAny* args, int32_t num_args,
                                   TVMFFIAny* result);

/* Turns a borrowed view into an owned value: raw strings and byte arrays become String/Bytes,
 * objects gain a reference, an rvalue-ref slot is stolen. *out must be empty. */
TVM_FFI_DLL int TVMFFIAnyViewToOwnedAny(const TVMFFIAny* any_view, TVMFFIAny* out);

/*------------------------------------------------------------------------------------------
 * Errors (thread-local slot)
 *------------------------------------------------------------------------------------------*/
/* Moves the raised error to *result (owned by the caller, NULL if none) and clears the slot. */
TVM_FFI_DLL void TVMFFIErrorMoveFromRaised(TVMFFIObjectHandle* result);

/* Raises error (borrowed: the slot takes its own reference). */
TVM_FFI_DLL void TVMFFIErrorSetRaised(TVMFFIObjectHandle error);

/* Raises a new error of the given kind and message, with the current backtrace. */
TVM_FFI_DLL void TVMFFIErrorSetRaisedFromCStr(const char* kind, const char* message);

/* Like TVMFFIErrorSetRaisedFromCStr; the message is the concatenation of the non-NULL parts. */
TVM_FFI_DLL void TVMFFIErrorSetRaisedFromCStrParts(const char* kind, const char** message_parts,
                                                   int32_t num_parts);

/* Creates an error object without touching TLS. Returns -1 only when out of memory. */
TVM_FFI_DLL int TVMFFIErrorCreate(const TVMFFIByteArray* kind, const TVMFFIByteArray* message,
                                  const TVMFFIByteArray* backtrace, TVMFFIObjectHandle* out);

/* Like TVMFFIErrorCreate, also keeping references to a cause error and an extra context object
 * (either may be NULL). */
TVM_FFI_DLL int TVMFFIErrorCreateWithCauseAndExtraContext(
    const TVMFFIByteArray* kind, const TVMFFIByteArray* message, const TVMFFIByteArray* backtrace,
    TVMFFIObjectHandle cause_chain, TVMFFIObjectHandle extra_context, TVMFFIObjectHandle* out);

/*
 * The current call stack as text, most recent call first, one
 * `  File "<file>", line <n>, in <function>` line per frame. filename/lineno/func, when given,
 * become the first frame. Unless cross_ffi_boundary is set, the walk stops at the first FFI
 * boundary frame. The result lives in thread-local storage until the next call.
 */
TVM_FFI_DLL const TVMFFIByteArray* TVMFFIBacktrace(const char* filename, int lineno,
                                                   const char* func, int cross_ffi_boundary);

/*------------------------------------------------------------------------------------------
 * Tensors and DLPack
 *------------------------------------------------------------------------------------------*/
/* Takes ownership of a legacy DLPack tensor (its deleter runs exactly once, when the tensor is
 * released). require_alignment: bytes the data must be aligned to (0: any). */
TVM_FFI_DLL int TVMFFITensorFromDLPack(DLManagedTensor* from, int32_t require_alignment,
                                       int32_t require_contiguous, TVMFFIObjectHandle* out);

/* Exports a tensor as a legacy DLPack tensor holding a reference to it. */
TVM_FFI_DLL int TVMFFITensorToDLPack(TVMFFIObjectHandle from, DLManagedTensor** out);

/* Versioned counterparts of the two above. */
TVM_FFI_DLL int TVMFFITensorFromDLPackVersioned(DLManagedTensorVersioned* from,
                                                int32_t require_alignment,
                                                int32_t require_contiguous,
                                                TVMFFIObjectHandle* out);
TVM_FFI_DLL int TVMFFITensorToDLPackVersioned(TVMFFIObjectHandle from,
                                              DLManagedTensorVersioned** out);

/* A tensor viewing source's memory with the prototype's dtype, shape, strides and offset;
 * keeps source alive. The caller vouches that the view stays in bounds. */
TVM_FFI_DLL int TVMFFITensorCreateUnsafeView(TVMFFIObjectHandle source, const DLTensor* prototype,
                                             TVMFFIObjectHandle* out);

/*------------------------------------------------------------------------------------------
 * Strings and data types
 *------------------------------------------------------------------------------------------*/
/* Makes a String value (small inline form for <= 7 bytes). *out must be empty. */
TVM_FFI_DLL int TVMFFIStringFromByteArray(const TVMFFIByteArray* input, TVMFFIAny* out);

/* Makes a Bytes value (small inline form for <= 7 bytes). *out must be empty. */
TVM_FFI_DLL int TVMFFIBytesFromByteArray(const TVMFFIByteArray* input, TVMFFIAny* out);

/* Parses "float32", "int8x4", "bool", "handle", "float8_e4m3fn", ... into a DLDataType. */
TVM_FFI_DLL int TVMFFIDataTypeFromString(const TVMFFIByteArray* str, DLDataType* out);

/* Writes the canonical name of dtype into *out as a String value. */
TVM_FFI_DLL int TVMFFIDataTypeToString(const DLDataType* dtype, TVMFFIAny* out);

/*------------------------------------------------------------------------------------------
 * Type reflection
 *------------------------------------------------------------------------------------------*/
typedef int (*TVMFFIFieldGetter)(void* field, TVMFFIAny* result);
typedef int (*TVMFFIFieldSetter)(void* field, const TVMFFIAny* value);
typedef int (*TVMFFIObjectCreator)(TVMFFIObjectHandle* result);

#ifdef __cplusplus
enum TVMFFIFieldFlagBitMask : int32_t {
#else
typedef enum {
#endif
  kTVMFFIFieldFlagBitMaskWritable = 1 << 0,
  kTVMFFIFieldFlagBitMaskHasDefault = 1 << 1,
  kTVMFFIFieldFlagBitMaskIsStaticMethod = 1 << 2,
  kTVMFFIFieldFlagBitMaskSEqHashIgnore = 1 << 3,
  kTVMFFIFieldFlagBitMaskSEqHashDefRecursive = 1 << 4,
  kTVMFFIFieldFlagBitMaskDefaultFromFactory = 1 << 5,
  kTVMFFIFieldFlagBitMaskReprOff = 1 << 6,
  kTVMFFIFieldFlagBitMaskCompareOff = 1 << 7,
  kTVMFFIFieldFlagBitMaskHashOff = 1 << 8,
  kTVMFFIFieldFlagBitMaskInitOff = 1 << 9,
  kTVMFFIFieldFlagBitMaskKwOnly = 1 << 10,
  kTVMFFIFieldFlagBitSetterIsFunctionObj = 1 << 11,
  kTVMFFIFieldFlagBitMaskSEqHashDefNonRecursive = 1 << 12,
#ifdef __cplusplus
};
#else
} TVMFFIFieldFlagBitMask;
#endif

#ifdef __cplusplus
enum TVMFFISEqHashKind : int32_t {
#else
typedef enum {
#endif
  kTVMFFISEqHashKindUnsupported = 0,
  kTVMFFISEqHashKindTreeNode = 1,
  kTVMFFISEqHashKindFreeVar = 2,
  kTVMFFISEqHashKindDAGNode = 3,
  kTVMFFISEqHashKindConstTreeNode = 4,
  kTVMFFISEqHashKindUniqueInstance = 5,
#ifdef __cplusplus
};
#else
} TVMFFISEqHashKind;
#endif

#ifdef __cplusplus
enum TVMFFIDefRegionKind : int32_t {
#else
typedef enum {
#endif
  kTVMFFIDefRegionKindNone = 0,
  kTVMFFIDefRegionKindRecursive = 1,
  kTVMFFIDefRegionKindNonRecursive = 2,
#ifdef __cplusplus
};
#else
} TVMFFIDefRegionKind;
#endif

/* A reflected field (120 bytes). metadata is JSON. setter is a TVMFFIFieldSetter, or a function
 * object handle when flags has kTVMFFIFieldFlagBitSetterIsFunctionObj. */
typedef struct {
  TVMFFIByteArray name;
  TVMFFIByteArray doc;
  TVMFFIByteArray metadata;
  int64_t flags;
  int64_t size;
  int64_t alignment;
  int64_t offset;
  TVMFFIFieldGetter getter;
  void* setter;
  TVMFFIAny default_value_or_factory;
  int32_t field_static_type_index;
} TVMFFIFieldInfo;

/* A reflected method or a global function's registration record (72 bytes). */
typedef struct {
  TVMFFIByteArray name;
  TVMFFIByteArray doc;
  TVMFFIByteArray metadata;
  int64_t flags;
  TVMFFIAny method;
} TVMFFIMethodInfo;

/* Per-type extra information (32 bytes). */
typedef struct {
  TVMFFIByteArray doc;
  TVMFFIObjectCreator creator;
  int32_t total_size;
  TVMFFISEqHashKind structural_eq_hash_kind;
} TVMFFITypeMetadata;

/* One attribute across all types: the entry of type t is data[t - begin_index] when
 * begin_index <= t < begin_index + size. */
typedef struct {
  const TVMFFIAny* data;
  int32_t size;
  int32_t begin_index;
} TVMFFITypeAttrColumn;

/* Runtime type information (72 bytes). type_ancestors[d] is the ancestor at depth d. */
typedef struct TVMFFITypeInfo {
  int32_t type_index;
  int32_t type_depth;
  TVMFFIByteArray type_key;
  const struct TVMFFITypeInfo** type_ancestors;
  uint64_t type_key_hash;
  int32_t num_fields;
  int32_t num_methods;
  const TVMFFIFieldInfo* fields;
  const TVMFFIMethodInfo* methods;
  const TVMFFITypeMetadata* metadata;
} TVMFFITypeInfo;

/* Index of a registered type key; an error if the key is unknown. */
TVM_FFI_DLL int TVMFFITypeKeyToIndex(const TVMFFIByteArray* type_key, int32_t* out_tindex);

/*
 * Returns the index of type_key, registering it first if needed: static_type_index >= 0 claims
 * that index; otherwise a slot is taken from the parent's reserved child block, or past 128 when
 * the block is full and overflow is allowed. parent_type_index == -2 only queries (-2 if absent).
 */
TVM_FFI_DLL int32_t TVMFFITypeGetOrAllocIndex(const TVMFFIByteArray* type_key,
                                              int32_t static_type_index, int32_t type_depth,
                                              int32_t num_child_slots,
                                              int32_t child_slots_can_overflow,
                                              int32_t parent_type_index);

/* Type information of a registered index; aborts the process on an unknown index. */
TVM_FFI_DLL const TVMFFITypeInfo* TVMFFIGetTypeInfo(int32_t type_index) TVM_FFI_ATTRIBUTE_PURE;

/* Adds a reflected field; a duplicate name in the same type is an error. */
TVM_FFI_DLL int TVMFFITypeRegisterField(int32_t type_index, const TVMFFIFieldInfo* info);

/* Adds a reflected method. */
TVM_FFI_DLL int TVMFFITypeRegisterMethod(int32_t type_index, const TVMFFIMethodInfo* info);

/* Sets the type's metadata; a second call for one type is an error. */
TVM_FFI_DLL int TVMFFITypeRegisterMetadata(int32_t type_index, const TVMFFITypeMetadata* metadata);

/* Sets attribute attr_name of a type (type_index 0 only creates the column); setting one twice
 * is an error. */
TVM_FFI_DLL int TVMFFITypeRegisterAttr(int32_t type_index, const TVMFFIByteArray* attr_name,
                                       const TVMFFIAny* attr_value);

/* The column of attr_name, or NULL if no type ever registered it. */
TVM_FFI_DLL const TVMFFITypeAttrColumn* TVMFFIGetTypeAttrColumn(const TVMFFIByteArray* attr_name);

/* Registers a global function from a method record (name, doc, metadata, function). */
TVM_FFI_DLL int TVMFFIFunctionSetGlobalFromMethodInfo(const TVMFFIMethodInfo* method_info,
                                                      int allow_override);

/*------------------------------------------------------------------------------------------
 * One-time initialisation for code without static constructors (e.g. generated kernels)
 *------------------------------------------------------------------------------------------*/
/* If *handle_addr is NULL, runs init_func(handle_addr) once (thread-safe). */
TVM_FFI_DLL int TVMFFIHandleInitOnce(void** handle_addr, int (*init_func)(void** result));

/* If *handle_addr is set, runs deinit_func(*handle_addr) once and clears it. */
TVM_FFI_DLL int TVMFFIHandleDeinitOnce(void** handle_addr, int (*deinit_func)(void* handle));

/*------------------------------------------------------------------------------------------
 * Inline accessors: pure pointer arithmetic past the 24-byte header, no exported symbol.
 *------------------------------------------------------------------------------------------*/
#ifdef __cplusplus
#define TVM_FFI_C_INLINE inline
#else
#define TVM_FFI_C_INLINE static inline
#endif

TVM_FFI_C_INLINE int32_t TVMFFIObjectGetTypeIndex(TVMFFIObjectHandle obj) {
  return ((TVMFFIObject*)obj)->type_index;
}

TVM_FFI_C_INLINE TVMFFIByteArray TVMFFISmallBytesGetContentByteArray(const TVMFFIAny* value) {
  TVMFFIByteArray out;
  out.data = value->v_bytes;
  out.size = value->small_str_len;
  return out;
}

TVM_FFI_C_INLINE TVMFFIByteArray* TVMFFIBytesGetByteArrayPtr(TVMFFIObjectHandle obj) {
  return (TVMFFIByteArray*)((char*)obj + sizeof(TVMFFIObject));
}

TVM_FFI_C_INLINE TVMFFIErrorCell* TVMFFIErrorGetCellPtr(TVMFFIObjectHandle obj) {
  return (TVMFFIErrorCell*)((char*)obj + sizeof(TVMFFIObject));
}

TVM_FFI_C_INLINE TVMFFIFunctionCell* TVMFFIFunctionGetCellPtr(TVMFFIObjectHandle obj) {
  return (TVMFFIFunctionCell*)((char*)obj + sizeof(TVMFFIObject));
}

TVM_FFI_C_INLINE TVMFFIOpaqueObjectCell* TVMFFIOpaqueObjectGetCellPtr(TVMFFIObjectHandle obj) {
  return (TVMFFIOpaqueObjectCell*)((char*)obj + sizeof(TVMFFIObject));
}

TVM_FFI_C_INLINE TVMFFIShapeCell* TVMFFIShapeGetCellPtr(TVMFFIObjectHandle obj) {
  return (TVMFFIShapeCell*)((char*)obj + sizeof(TVMFFIObject));
}

TVM_FFI_C_INLINE DLTensor* TVMFFITensorGetDLTensorPtr(TVMFFIObjectHandle obj) {
  return (DLTensor*)((char*)obj + sizeof(TVMFFIObject));
}

TVM_FFI_C_INLINE DLDevice TVMFFIDLDeviceFromIntPair(int32_t device_type, int32_t device_id) {
  DLDevice device;
  device.device_type = (DLDeviceType)device_type;
  device.device_id = device_id;
  return device;
}

#ifdef __cplusplus
}  // extern "C"
#endif
#endif  // TVM_FFI_C_API_H_
