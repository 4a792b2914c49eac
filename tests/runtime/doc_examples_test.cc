// The C++ examples of the user's document (func_module_doc.txt), run as written, plus the
// C examples of doc_examples_c.c driven from here.
#include <gtest/gtest.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdio>
#include <string>

namespace ffi = tvm::ffi;

extern "C" {
extern FILE* g_doc_error_stream;
void HandleReturnCode(int rc);
int __tvm_ffi_my_kernel(void* handle, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result);
int outer_function(const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result);
int LookupAndCall(const char* global_function_name, const TVMFFIAny* args, int num_args,
                  TVMFFIAny* result);
}

// --- Document: "Register a global function" ---
static int AddOne(int x) { return x + 1; }

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace refl = tvm::ffi::reflection;
  refl::GlobalDef().def("my_ext.add_one", AddOne, "Add one to the input");
}

// --- Document: "Throw and Catch Errors" ---
void ThrowError(int x) {
  if (x < 0) {
    TVM_FFI_THROW(ValueError) << "x must be non-negative, got " << x;
  }
}

TVM_FFI_STATIC_INIT_BLOCK() {
  tvm::ffi::reflection::GlobalDef().def("my_ext.throw_error", ThrowError);
}

// --- Document: "Shared library" export ---
static int AddTwo(int x) { return x + 2; }

// Exports as symbol `__tvm_ffi_add_two`
TVM_FFI_DLL_EXPORT_TYPED_FUNC(add_two, AddTwo);

// --- Document: "System Library" ---
// A function following the TVM-FFI ABI
static int add_one_impl(void*, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  TVM_FFI_SAFE_CALL_BEGIN();
  (void)num_args;
  int64_t x = reinterpret_cast<const tvm::ffi::AnyView*>(args)[0].cast<int64_t>();
  reinterpret_cast<tvm::ffi::Any*>(result)[0] = x + 1;
  TVM_FFI_SAFE_CALL_END();
}

// Register during static initialization
// The symbol name follows the convention `__tvm_ffi_<prefix>.<name>`
TVM_FFI_STATIC_INIT_BLOCK() {
  TVMFFIEnvModRegisterSystemLibSymbol("__tvm_ffi_my_prefix.add_one",
                                      reinterpret_cast<void*>(add_one_impl));
}

namespace {

std::string ReadErrorStream(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

TEST(DocExamples, RetrieveGlobalFunction) {
  ffi::Function func = ffi::Function::GetGlobalRequired("my_ext.add_one");
  int result = func(41);  // -> 42
  EXPECT_EQ(result, 42);
}

TEST(DocExamples, GlobalDefRecordsDocAndSchema) {
  ffi::Function meta = ffi::Function::GetGlobalRequired("ffi.GetGlobalFuncMetadata");
  std::string json = meta("my_ext.add_one").cast<std::string>();
  EXPECT_NE(json.find("type_schema"), std::string::npos) << json;
  EXPECT_NE(json.find("ffi.Function"), std::string::npos) << json;
}

TEST(DocExamples, CreateFunctions) {
  // Create type-erased function: add_type_erased
  ffi::Function add_type_erased = ffi::Function::FromTyped([](int x, int y) { return x + y; });

  // Create a typed function: add_typed
  ffi::TypedFunction<int(int, int)> add_typed = [](int x, int y) { return x + y; };

  // Convert a typed function to a type-erased function
  ffi::Function generic = add_typed;

  EXPECT_EQ(add_type_erased(1, 2).cast<int>(), 3);
  EXPECT_EQ(add_typed(3, 4), 7);
  EXPECT_EQ(generic(5, 6).cast<int>(), 11);
}

TEST(DocExamples, ThrowAndCatchErrors) {
  try {
    ThrowError(-1);
    FAIL() << "no throw";
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "x must be non-negative, got -1");
    // The backtrace starts at the throw site, file:line included.
    EXPECT_NE(e.backtrace().find("doc_examples_test.cc"), std::string::npos) << e.backtrace();
    EXPECT_NE(e.backtrace().find("ThrowError"), std::string::npos) << e.backtrace();
  }
  // Through the registry: the error crosses the safe-call boundary and is rethrown.
  ffi::Function f = ffi::Function::GetGlobalRequired("my_ext.throw_error");
  try {
    f(-5);
    FAIL() << "no throw";
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "x must be non-negative, got -5");
  }
  EXPECT_NO_THROW(f(3));
}

TEST(DocExamples, ExportedTypedFunction) {
  // Loaded modules call exported symbols with a NULL handle.
  ffi::Function add_two = ffi::Function::FromExternC(nullptr, __tvm_ffi_add_two, nullptr);
  EXPECT_EQ(add_two(40).cast<int>(), 42);
  try {
    add_two("forty");
    FAIL() << "no throw";
  } catch (const ffi::Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(e.message().find("Mismatched type on argument #0 when calling: `add_two(0: int) -> "
                               "int`. Expected `int` but got `const char*`"),
              std::string::npos)
        << e.message();
  }
}

TEST(DocExamples, SystemLibrary) {
  // Python's tvm_ffi.system_lib("my_prefix.") is the global ffi.SystemLib.
  ffi::Module mod =
      ffi::Function::GetGlobalRequired("ffi.SystemLib")("my_prefix.").cast<ffi::Module>();
  ffi::Function func =
      mod->GetFunction("add_one").value();  // looks up `__tvm_ffi_my_prefix.add_one`
  EXPECT_EQ(func(10).cast<int>(), 11);
}

TEST(DocExamples, LoadSharedLibraryModule) {
  // Python's tvm_ffi.load_module(path) then mod.add_two(40).
  ffi::Module mod = ffi::Module::LoadFromFile(TEST_CPP_MODULE);  // exports the document's add_two
  ffi::Function add_two = mod->GetFunction("add_two").value();
  EXPECT_EQ(add_two(40).cast<int>(), 42);
}

TEST(DocExamples, CRaiseAndHandleReturnCode) {
  FILE* capture = std::tmpfile();
  ASSERT_NE(capture, nullptr);
  g_doc_error_stream = capture;
  TVMFFIAny result;
  result.type_index = kTVMFFINone;
  int rc = outer_function(nullptr, 0, &result);
  EXPECT_EQ(rc, -1);
  HandleReturnCode(rc);
  g_doc_error_stream = nullptr;
  std::string printed = ReadErrorStream(capture);
  std::fclose(capture);
  EXPECT_EQ(printed.rfind("ValueError: Expected at least 2 arguments\n", 0), 0u) << printed;
  EXPECT_NE(printed.find("Backtrace:\n"), std::string::npos) << printed;
  // HandleReturnCode took the error out of TLS.
  TVMFFIObjectHandle left = nullptr;
  TVMFFIErrorMoveFromRaised(&left);
  EXPECT_EQ(left, nullptr);
}

TEST(DocExamples, CLookupAndCall) {
  ffi::AnyView args[1] = {ffi::AnyView(41)};
  ffi::Any result;
  int rc = LookupAndCall("my_ext.add_one", reinterpret_cast<const TVMFFIAny*>(args), 1,
                         reinterpret_cast<TVMFFIAny*>(&result));
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(result.cast<int>(), 42);

  // A failing callee: -1 and the error in TLS, printed by HandleReturnCode.
  FILE* capture = std::tmpfile();
  g_doc_error_stream = capture;
  ffi::AnyView bad[1] = {ffi::AnyView(-1)};
  ffi::Any ignored;
  rc = LookupAndCall("my_ext.throw_error", reinterpret_cast<const TVMFFIAny*>(bad), 1,
                     reinterpret_cast<TVMFFIAny*>(&ignored));
  EXPECT_EQ(rc, -1);
  HandleReturnCode(rc);
  g_doc_error_stream = nullptr;
  std::string printed = ReadErrorStream(capture);
  std::fclose(capture);
  EXPECT_EQ(printed.rfind("ValueError: x must be non-negative, got -1\n", 0), 0u) << printed;
  EXPECT_NE(printed.find("ThrowError"), std::string::npos) << printed;
}

}  // namespace
