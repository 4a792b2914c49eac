/*
 * Black-box tests of the exported C ABI, written in C against c_api.h only. Each returns 0 on
 * success or the line number of the first failed expectation; c_abi_test.cc runs them.
 */
#include <stdint.h>
#include <string.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/extra/c_env_api.h>

#define EXPECT(cond)              \
  do {                            \
    if (!(cond)) return __LINE__; \
  } while (0)

static TVMFFIByteArray Bytes(const char* s) {
  TVMFFIByteArray out;
  out.data = s;
  out.size = strlen(s);
  return out;
}

static TVMFFIErrorCell* Cell(TVMFFIObjectHandle err) { return TVMFFIErrorGetCellPtr(err); }

/* Takes the raised error; 1 if its kind is `kind` and its message contains `part`. */
static int TakeErrorMatches(const char* kind, const char* part) {
  TVMFFIObjectHandle err = NULL;
  TVMFFIErrorMoveFromRaised(&err);
  if (err == NULL) return 0;
  TVMFFIErrorCell* cell = Cell(err);
  int ok = cell->kind.size == strlen(kind) && memcmp(cell->kind.data, kind, cell->kind.size) == 0;
  if (ok && part != NULL) {
    char buf[1024];
    size_t n = cell->message.size < sizeof(buf) - 1 ? cell->message.size : sizeof(buf) - 1;
    memcpy(buf, cell->message.data, n);
    buf[n] = '\0';
    ok = strstr(buf, part) != NULL;
  }
  TVMFFIObjectDecRef(err);
  return ok;
}

static int g_deleted = 0;
static void CountDelete(void* self) {
  (void)self;
  ++g_deleted;
}

/* Adds its int arguments; ValueError on anything else. */
static int SumInts(void* self, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  int64_t total = *(int64_t*)self;
  for (int32_t i = 0; i < num_args; ++i) {
    if (args[i].type_index != kTVMFFIInt) {
      TVMFFIErrorSetRaisedFromCStr("ValueError", "SumInts takes ints only");
      return -1;
    }
    total += args[i].v_int64;
  }
  result->type_index = kTVMFFIInt;
  result->zero_padding = 0;
  result->v_int64 = total;
  return 0;
}

int CAbiFunctionCreateAndCall(void) {
  static int64_t base = 100;
  TVMFFIObjectHandle f = NULL;
  g_deleted = 0;
  EXPECT(TVMFFIFunctionCreate(&base, SumInts, CountDelete, &f) == 0);
  EXPECT(f != NULL);
  EXPECT(TVMFFIObjectGetTypeIndex(f) == kTVMFFIFunction);
  TVMFFIAny args[2];
  args[0].type_index = kTVMFFIInt;
  args[0].zero_padding = 0;
  args[0].v_int64 = 1;
  args[1] = args[0];
  args[1].v_int64 = 2;
  TVMFFIAny result;
  result.type_index = kTVMFFINone;
  result.v_int64 = 0;
  EXPECT(TVMFFIFunctionCall(f, args, 2, &result) == 0);
  EXPECT(result.type_index == kTVMFFIInt && result.v_int64 == 103);
  /* An error comes back as -1 with the error in TLS. */
  args[1].type_index = kTVMFFIFloat;
  args[1].v_float64 = 1.5;
  result.type_index = kTVMFFINone;
  EXPECT(TVMFFIFunctionCall(f, args, 2, &result) == -1);
  EXPECT(TakeErrorMatches("ValueError", "ints only"));
  /* The deleter runs exactly once, when the last reference goes. */
  EXPECT(TVMFFIObjectIncRef(f) == 0);
  EXPECT(TVMFFIObjectDecRef(f) == 0);
  EXPECT(g_deleted == 0);
  EXPECT(TVMFFIObjectDecRef(f) == 0);
  EXPECT(g_deleted == 1);
  /* A NULL safe_call is rejected. */
  EXPECT(TVMFFIFunctionCreate(NULL, NULL, NULL, &f) == -1);
  EXPECT(TakeErrorMatches("ValueError", "NULL"));
  return 0;
}

int CAbiGlobalRegistry(void) {
  static int64_t zero = 0;
  TVMFFIObjectHandle f = NULL, g = NULL, got = NULL;
  TVMFFIByteArray name = Bytes("c_abi_test.sum");
  EXPECT(TVMFFIFunctionCreate(&zero, SumInts, NULL, &f) == 0);
  EXPECT(TVMFFIFunctionCreate(&zero, SumInts, NULL, &g) == 0);
  EXPECT(TVMFFIFunctionSetGlobal(&name, f, 0) == 0);
  /* Taken name without override: RuntimeError. */
  EXPECT(TVMFFIFunctionSetGlobal(&name, g, 0) == -1);
  EXPECT(TakeErrorMatches("RuntimeError", "`c_abi_test.sum` is already registered"));
  EXPECT(TVMFFIFunctionGetGlobal(&name, &got) == 0);
  EXPECT(got == f);
  EXPECT(TVMFFIObjectDecRef(got) == 0);
  EXPECT(TVMFFIFunctionSetGlobal(&name, g, 1) == 0);
  EXPECT(TVMFFIFunctionGetGlobal(&name, &got) == 0);
  EXPECT(got == g);
  EXPECT(TVMFFIObjectDecRef(got) == 0);
  /* Missing: success with NULL. */
  TVMFFIByteArray missing = Bytes("c_abi_test.no_such_function");
  got = (void*)1;
  EXPECT(TVMFFIFunctionGetGlobal(&missing, &got) == 0);
  EXPECT(got == NULL);
  /* The registry keeps its own reference: the caller's may go. */
  EXPECT(TVMFFIObjectDecRef(f) == 0);
  EXPECT(TVMFFIObjectDecRef(g) == 0);
  EXPECT(TVMFFIFunctionGetGlobal(&name, &got) == 0 && got != NULL);
  TVMFFIAny result;
  result.type_index = kTVMFFINone;
  EXPECT(TVMFFIFunctionCall(got, NULL, 0, &result) == 0 && result.v_int64 == 0);
  EXPECT(TVMFFIObjectDecRef(got) == 0);
  /* Method-info registration: duplicate names are errors too. */
  TVMFFIMethodInfo info;
  memset(&info, 0, sizeof(info));
  info.name = Bytes("c_abi_test.sum");
  info.doc = Bytes("sums ints");
  info.metadata = Bytes("{}");
  EXPECT(TVMFFIFunctionCreate(&zero, SumInts, NULL, &f) == 0);
  info.method.type_index = kTVMFFIFunction;
  info.method.v_obj = (TVMFFIObject*)f;
  EXPECT(TVMFFIFunctionSetGlobalFromMethodInfo(&info, 0) == -1);
  EXPECT(TakeErrorMatches("RuntimeError", "already registered"));
  EXPECT(TVMFFIFunctionSetGlobalFromMethodInfo(&info, 1) == 0);
  EXPECT(TVMFFIObjectDecRef(f) == 0);
  return 0;
}

int CAbiErrors(void) {
  TVMFFIObjectHandle err = NULL;
  TVMFFIErrorMoveFromRaised(&err);
  EXPECT(err == NULL);
  TVMFFIErrorSetRaisedFromCStr("ValueError", "Expected at least 2 arguments");
  TVMFFIErrorMoveFromRaised(&err);
  EXPECT(err != NULL);
  EXPECT(TVMFFIObjectGetTypeIndex(err) == kTVMFFIError);
  EXPECT(strncmp(Cell(err)->kind.data, "ValueError", Cell(err)->kind.size) == 0);
  EXPECT(Cell(err)->message.size == strlen("Expected at least 2 arguments"));
  EXPECT(Cell(err)->cause_chain == NULL && Cell(err)->extra_context == NULL);
  /* The slot is cleared by the move. */
  TVMFFIObjectHandle again = (void*)1;
  TVMFFIErrorMoveFromRaised(&again);
  EXPECT(again == NULL);
  /* SetRaised borrows: the slot takes its own reference. */
  TVMFFIErrorSetRaised(err);
  TVMFFIObjectDecRef(err);
  TVMFFIErrorMoveFromRaised(&again);
  EXPECT(again == err);
  TVMFFIObjectDecRef(again);
  /* Parts: NULL parts are skipped. */
  const char* parts[] = {"a", NULL, "b", "c"};
  TVMFFIErrorSetRaisedFromCStrParts("TypeError", parts, 4);
  EXPECT(TakeErrorMatches("TypeError", "abc"));
  /* Raising twice keeps the latest and frees the first (ASan would see a leak). */
  TVMFFIErrorSetRaisedFromCStr("RuntimeError", "first");
  TVMFFIErrorSetRaisedFromCStr("RuntimeError", "second");
  EXPECT(TakeErrorMatches("RuntimeError", "second"));
  /* Create: no TLS, and cause/extra references are owned by the new error. */
  TVMFFIByteArray kind = Bytes("IndexError"), msg = Bytes("out of range"), bt = Bytes("");
  TVMFFIObjectHandle cause = NULL, outer = NULL;
  EXPECT(TVMFFIErrorCreate(&kind, &msg, &bt, &cause) == 0);
  kind = Bytes("RuntimeError");
  msg = Bytes("lookup failed");
  bt = Bytes("  File \"x.cc\", line 1, in f\n");
  EXPECT(TVMFFIErrorCreateWithCauseAndExtraContext(&kind, &msg, &bt, cause, NULL, &outer) == 0);
  TVMFFIObjectDecRef(cause);
  EXPECT(Cell(outer)->cause_chain == cause);
  EXPECT(strncmp(Cell(Cell(outer)->cause_chain)->message.data, "out of range", 12) == 0);
  /* update_backtrace appends and replaces. */
  TVMFFIByteArray extra = Bytes("  File \"y.cc\", line 2, in g\n");
  Cell(outer)->update_backtrace(outer, &extra, kTVMFFIBacktraceUpdateModeAppend);
  EXPECT(Cell(outer)->backtrace.size == bt.size + extra.size);
  Cell(outer)->update_backtrace(outer, &extra, kTVMFFIBacktraceUpdateModeReplace);
  EXPECT(Cell(outer)->backtrace.size == extra.size);
  TVMFFIErrorMoveFromRaised(&again);
  EXPECT(again == NULL);
  TVMFFIObjectDecRef(outer);
  /* A backtrace names its caller's frame first when given one. */
  const TVMFFIByteArray* trace = TVMFFIBacktrace("my_file.c", 42, "my_func", 0);
  EXPECT(trace->size > 0);
  EXPECT(strncmp(trace->data, "  File \"my_file.c\", line 42, in my_func\n", 40) == 0);
  return 0;
}

int CAbiStringsAndDataTypes(void) {
  TVMFFIAny out;
  TVMFFIByteArray small = Bytes("abc"), big = Bytes("a longer string");
  out.type_index = kTVMFFINone;
  EXPECT(TVMFFIStringFromByteArray(&small, &out) == 0);
  EXPECT(out.type_index == kTVMFFISmallStr && out.small_str_len == 3);
  EXPECT(memcmp(out.v_bytes, "abc", 4) == 0);
  out.type_index = kTVMFFINone;
  EXPECT(TVMFFIStringFromByteArray(&big, &out) == 0);
  EXPECT(out.type_index == kTVMFFIStr);
  EXPECT(TVMFFIBytesGetByteArrayPtr(out.v_obj)->size == big.size);
  TVMFFIObjectDecRef(out.v_obj);
  out.type_index = kTVMFFINone;
  EXPECT(TVMFFIBytesFromByteArray(&small, &out) == 0);
  EXPECT(out.type_index == kTVMFFISmallBytes && out.small_str_len == 3);
  out.type_index = kTVMFFINone;
  EXPECT(TVMFFIBytesFromByteArray(&big, &out) == 0);
  EXPECT(out.type_index == kTVMFFIBytes);
  TVMFFIObjectDecRef(out.v_obj);

  DLDataType dtype;
  TVMFFIByteArray s = Bytes("float16x4");
  EXPECT(TVMFFIDataTypeFromString(&s, &dtype) == 0);
  EXPECT(dtype.code == kDLFloat && dtype.bits == 16 && dtype.lanes == 4);
  out.type_index = kTVMFFINone;
  EXPECT(TVMFFIDataTypeToString(&dtype, &out) == 0);
  EXPECT(out.type_index == kTVMFFIStr); /* "float16x4" is longer than 7 bytes */
  EXPECT(TVMFFIBytesGetByteArrayPtr(out.v_obj)->size == 9);
  EXPECT(memcmp(TVMFFIBytesGetByteArrayPtr(out.v_obj)->data, "float16x4", 9) == 0);
  TVMFFIObjectDecRef(out.v_obj);
  s = Bytes("float19_bogus");
  EXPECT(TVMFFIDataTypeFromString(&s, &dtype) == -1);
  EXPECT(TakeErrorMatches("ValueError", "unknown dtype `float19_bogus`"));
  dtype.code = 99;
  dtype.bits = 8;
  dtype.lanes = 1;
  out.type_index = kTVMFFINone;
  EXPECT(TVMFFIDataTypeToString(&dtype, &out) == -1);
  EXPECT(TakeErrorMatches("ValueError", "unknown type_code=99"));

  /* AnyViewToOwnedAny: borrowed strings become owned ones. */
  TVMFFIAny view, owned;
  view.type_index = kTVMFFIRawStr;
  view.zero_padding = 0;
  view.v_c_str = "borrowed but long enough";
  owned.type_index = kTVMFFINone;
  EXPECT(TVMFFIAnyViewToOwnedAny(&view, &owned) == 0);
  EXPECT(owned.type_index == kTVMFFIStr);
  TVMFFIObjectDecRef(owned.v_obj);
  return 0;
}

int CAbiTypes(void) {
  int32_t index = -1;
  TVMFFIByteArray key = Bytes("ffi.Function");
  EXPECT(TVMFFITypeKeyToIndex(&key, &index) == 0 && index == kTVMFFIFunction);
  key = Bytes("c_abi_test.NoSuchType");
  EXPECT(TVMFFITypeKeyToIndex(&key, &index) == -1);
  EXPECT(TakeErrorMatches("KeyError", "c_abi_test.NoSuchType"));
  /* Query only (-2) does not register. */
  EXPECT(TVMFFITypeGetOrAllocIndex(&key, -1, 1, 0, 1, -2) == -2);
  /* A new type under ffi.Object: dynamic index, ancestors filled, stable on re-query. */
  key = Bytes("c_abi_test.Base");
  int32_t base = TVMFFITypeGetOrAllocIndex(&key, -1, 1, 2, 0, kTVMFFIObject);
  EXPECT(base >= kTVMFFIDynObjectBegin);
  EXPECT(TVMFFITypeGetOrAllocIndex(&key, -1, 1, 2, 0, kTVMFFIObject) == base);
  key = Bytes("c_abi_test.Child");
  int32_t child = TVMFFITypeGetOrAllocIndex(&key, -1, 2, 0, 0, base);
  EXPECT(child == base + 1); /* first slot of the parent's reserved block */
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(child);
  EXPECT(info->type_depth == 2);
  EXPECT(info->type_ancestors[0]->type_index == kTVMFFIObject);
  EXPECT(info->type_ancestors[1]->type_index == base);
  EXPECT(info->type_key.size == strlen("c_abi_test.Child"));
  info = TVMFFIGetTypeInfo(kTVMFFIInt);
  EXPECT(info->type_key.size == 3 && memcmp(info->type_key.data, "int", 3) == 0);

  /* Reflection records. */
  TVMFFIFieldInfo field;
  memset(&field, 0, sizeof(field));
  field.name = Bytes("value");
  field.size = 8;
  field.alignment = 8;
  field.offset = 24;
  EXPECT(TVMFFITypeRegisterField(base, &field) == 0);
  EXPECT(TVMFFITypeRegisterField(base, &field) == -1);
  EXPECT(TakeErrorMatches("InternalError", "Duplicate field name \"value\""));
  EXPECT(TVMFFIGetTypeInfo(base)->num_fields == 1);
  TVMFFITypeMetadata meta;
  memset(&meta, 0, sizeof(meta));
  meta.total_size = 32;
  EXPECT(TVMFFITypeRegisterMetadata(base, &meta) == 0);
  EXPECT(TVMFFITypeRegisterMetadata(base, &meta) == -1);
  EXPECT(TakeErrorMatches("RuntimeError", "Overriding c_abi_test.Base"));
  EXPECT(TVMFFIGetTypeInfo(base)->metadata->total_size == 32);
  EXPECT(TVMFFITypeRegisterField(100000, &field) == -1);
  EXPECT(TakeErrorMatches("KeyError", "type_index=100000"));

  TVMFFIByteArray attr = Bytes("c_abi_test.__attr__");
  EXPECT(TVMFFIGetTypeAttrColumn(&attr) == NULL);
  TVMFFIAny value;
  value.type_index = kTVMFFIInt;
  value.zero_padding = 0;
  value.v_int64 = 7;
  EXPECT(TVMFFITypeRegisterAttr(base, &attr, &value) == 0);
  EXPECT(TVMFFITypeRegisterAttr(base, &attr, &value) == -1);
  EXPECT(TakeErrorMatches("RuntimeError", "already registered for type index"));
  const TVMFFITypeAttrColumn* column = TVMFFIGetTypeAttrColumn(&attr);
  EXPECT(column != NULL && column->begin_index == 0 && column->size == base + 1);
  EXPECT(column->data[base].type_index == kTVMFFIInt && column->data[base].v_int64 == 7);
  TVMFFIByteArray attr2 = Bytes("c_abi_test.__empty__");
  EXPECT(TVMFFITypeRegisterAttr(kTVMFFINone, &attr2, &value) == 0);
  column = TVMFFIGetTypeAttrColumn(&attr2);
  EXPECT(column != NULL && column->size == 0);
  return 0;
}

static int g_opaque_freed = 0;
static void FreeOpaque(void* handle) { g_opaque_freed += *(int*)handle; }
static int InitHandle(void** out) {
  static int value = 5;
  *out = &value;
  return 0;
}
static int InitNull(void** out) {
  *out = NULL;
  return 0;
}
static int DeinitFails(void* handle) {
  (void)handle;
  TVMFFIErrorSetRaisedFromCStr("RuntimeError", "deinit failed");
  return -1;
}
static int g_deinit = 0;
static int DeinitHandle(void* handle) {
  g_deinit += *(int*)handle;
  return 0;
}

int CAbiMisc(void) {
  /* Opaque objects: only the PyObject kind. */
  static int payload = 3;
  TVMFFIObjectHandle obj = NULL;
  EXPECT(TVMFFIObjectCreateOpaque(&payload, kTVMFFIFunction, FreeOpaque, &obj) == -1);
  EXPECT(TakeErrorMatches("RuntimeError", "kTVMFFIOpaquePyObject"));
  EXPECT(TVMFFIObjectCreateOpaque(&payload, kTVMFFIOpaquePyObject, FreeOpaque, &obj) == 0);
  EXPECT(TVMFFIObjectGetTypeIndex(obj) == kTVMFFIOpaquePyObject);
  EXPECT(TVMFFIOpaqueObjectGetCellPtr(obj)->handle == &payload);
  TVMFFIObjectDecRef(obj);
  EXPECT(g_opaque_freed == 3);

  /* Init once / deinit once. */
  void* handle = NULL;
  EXPECT(TVMFFIHandleInitOnce(&handle, InitHandle) == 0 && handle != NULL);
  void* first = handle;
  EXPECT(TVMFFIHandleInitOnce(&handle, InitHandle) == 0 && handle == first);
  EXPECT(TVMFFIHandleDeinitOnce(&handle, DeinitHandle) == 0 && handle == NULL);
  EXPECT(TVMFFIHandleDeinitOnce(&handle, DeinitHandle) == 0 && g_deinit == 5);
  /* An init function that leaves the handle NULL fails (else the next call would run it again);
     a failed deinit function still leaves the handle taken. */
  EXPECT(TVMFFIHandleInitOnce(&handle, InitNull) != 0 && handle == NULL);
  TVMFFIObjectHandle raised = NULL;
  TVMFFIErrorMoveFromRaised(&raised);
  EXPECT(raised != NULL);
  if (raised != NULL) TVMFFIObjectDecRef(raised);
  EXPECT(TVMFFIHandleInitOnce(&handle, InitHandle) == 0 && handle != NULL);
  EXPECT(TVMFFIHandleDeinitOnce(&handle, DeinitFails) != 0 && handle == NULL);
  TVMFFIErrorMoveFromRaised(&raised);
  if (raised != NULL) TVMFFIObjectDecRef(raised);

  /* The custom allocator slot is never empty. */
  TVMFFICustomAllocator* builtin = TVMFFIGetCustomAllocator();
  EXPECT(builtin != NULL && builtin->allocate != NULL);
  void* body = builtin->allocate(40, 8, kTVMFFIObject, builtin->context);
  EXPECT(body != NULL && ((uintptr_t)body % 8) == 0);
  ((TVMFFIObjectAllocHeader*)body - 1)->delete_space(body);
  TVMFFICustomAllocator mine = *builtin;
  EXPECT(TVMFFISetCustomAllocator(&mine) == 0 && TVMFFIGetCustomAllocator() == &mine);
  EXPECT(TVMFFISetCustomAllocator(NULL) == 0 && TVMFFIGetCustomAllocator() == builtin);

  /* Env: per-thread streams, allocator slot, frontend hooks. */
  TVMFFIStreamHandle old = (void*)1;
  EXPECT(TVMFFIEnvGetStream(kDLCUDA, 0) == NULL);
  EXPECT(TVMFFIEnvSetStream(kDLCUDA, 0, (void*)0x10, &old) == 0 && old == NULL);
  EXPECT(TVMFFIEnvGetStream(kDLCUDA, 0) == (void*)0x10);
  EXPECT(TVMFFIEnvGetStream(kDLCUDA, 1) == NULL);
  EXPECT(TVMFFIEnvSetStream(kDLCUDA, 0, NULL, &old) == 0 && old == (void*)0x10);
  EXPECT(TVMFFIEnvGetDLPackManagedTensorAllocator() == NULL);
  EXPECT(TVMFFIEnvCheckSignals() == 0);
  EXPECT(TVMFFIEnvRegisterCAPI("NotAPythonSymbol", NULL) == -1);
  EXPECT(TakeErrorMatches("ValueError", "NotAPythonSymbol"));

  /* Bad input fails cleanly. */
  EXPECT(TVMFFITensorFromDLPack(NULL, 0, 0, &obj) == -1);
  EXPECT(TakeErrorMatches("ValueError", "NULL"));
  EXPECT(TVMFFIEnvTensorAlloc(NULL, &obj) == -1);
  EXPECT(TakeErrorMatches("RuntimeError", "no DLPack tensor allocator"));
  return 0;
}
