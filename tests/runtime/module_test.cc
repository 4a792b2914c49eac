// Modules: shared libraries (C++ and plain C), errors, metadata and doc, context symbols,
// embedded import trees, lookup from imports, the system library, and bad paths.
#include <gtest/gtest.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace {
using namespace tvm::ffi;

// The module kind the imports test module embeds; "loaded" from its bytes by the test.
class TestKindModule : public ModuleObj {
 public:
  explicit TestKindModule(std::string payload) : payload_(std::move(payload)) {}
  const char* kind() const final { return "test_kind"; }
  Optional<Function> GetFunction(const String& name) final {
    if (name != "imported_fn") return std::nullopt;
    std::string payload = payload_;
    return Function::FromTyped(
        [payload](int64_t x) { return x + static_cast<int64_t>(payload.size()); });
  }

 private:
  std::string payload_;
};

TVM_FFI_STATIC_INIT_BLOCK() {
  reflection::GlobalDef().def("ffi.Module.load_from_bytes.test_kind", [](const Bytes& bytes) {
    return Module(make_object<TestKindModule>(std::string(bytes)));
  });
}

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind() + ": " + e.message();
  }
  return "";
}

TEST(Module, CppLibraryFunctionsMetadataAndDoc) {
  Module mod = Module::LoadFromFile(TEST_CPP_MODULE);
  EXPECT_STREQ(mod->kind(), "library");
  EXPECT_EQ(mod->GetPropertyMask() & Module::kRunnable, Module::kRunnable);
  Function add_two = mod->GetFunction("add_two").value();
  EXPECT_EQ(add_two(40).cast<int>(), 42);
  EXPECT_TRUE(mod->ImplementsFunction("add_two"));
  EXPECT_FALSE(mod->ImplementsFunction("nope"));
  EXPECT_FALSE(mod->GetFunction("nope").has_value());
  EXPECT_EQ(mod->GetFunctionDoc("add_two").value(), "Add two to the input");
  std::string meta = mod->GetFunctionMetadata("add_two").value();
  EXPECT_NE(meta.find("type_schema"), std::string::npos) << meta;
  EXPECT_FALSE(mod->GetFunctionDoc("raise_value_error").has_value());
  // Its static init block registered a global when it was loaded.
  EXPECT_EQ(Function::GetGlobalRequired("test_module.registered_at_load")(4).cast<int>(), 40);
  // The module's functions keep it alive.
  Function kept = mod->GetFunction("add_two").value();
  mod = Module::LoadFromFile(TEST_C_MODULE);
  EXPECT_EQ(kept(1).cast<int>(), 3);
}

TEST(Module, ErrorsFromModuleFunctions) {
  Module mod = Module::LoadFromFile(TEST_CPP_MODULE);
  Function f = mod->GetFunction("raise_value_error").value();
  try {
    f(7);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "module says no to 7");
    EXPECT_NE(e.backtrace().find("cpp_module.cc"), std::string::npos) << e.backtrace();
  }
  EXPECT_EQ(Message([&] { mod->GetFunction("add_two").value()("x"); }),
            "TypeError: Mismatched type on argument #0 when calling: `add_two(0: int) -> int`. "
            "Expected `int` but got `const char*`");
}

TEST(Module, PlainCLibrary) {
  Module mod = Module::LoadFromFile(TEST_C_MODULE);
  Function mul = mod->GetFunction("mul").value();
  EXPECT_EQ(mul(6, 7).cast<int>(), 42);
  EXPECT_EQ(Message([&] { mul(1.5, 2); }), "TypeError: mul(int, int) expects two ints");
}

TEST(Module, ContextSymbols) {
  static int marker = 0;
  ASSERT_EQ(TVMFFIEnvModRegisterContextSymbol("test_ctx_value", &marker), 0);
  int seen = 0;
  Module::VisitContextSymbols([&seen](String name, void* value) {
    if (name == "test_ctx_value" && value == &marker) ++seen;
  });
  EXPECT_EQ(seen, 1);
  // Written into every library loaded afterwards (loading again refreshes the same library).
  Module mod = Module::LoadFromFile(TEST_CPP_MODULE);
  EXPECT_EQ(mod->GetFunction("get_context_value").value()().cast<int64_t>(),
            reinterpret_cast<intptr_t>(&marker));
}

TEST(Module, EmbeddedImportTreeAndLookupFromImports) {
  Module mod = Module::LoadFromFile(TEST_IMPORTS_MODULE);
  ASSERT_EQ(mod->imports().size(), 1u);
  Module imported = mod->imports()[0].cast<Module>();
  EXPECT_STREQ(imported->kind(), "test_kind");
  EXPECT_FALSE(mod->GetFunction("imported_fn").has_value());
  EXPECT_EQ(mod->GetFunction("imported_fn", true).value()(1).cast<int>(), 8);  // 1 + "payload"
  // Generated-code path: the library finds its module through __tvm_ffi__library_ctx.
  Function call_imported = mod->GetFunction("call_imported").value();
  EXPECT_EQ(call_imported(10).cast<int>(), 17);
  EXPECT_EQ(call_imported(20).cast<int>(), 27);  // second call hits the cache
}

TEST(Module, ImportsAndCycles) {
  Module a = Module::LoadFromFile(TEST_C_MODULE);
  Module b = Module::LoadFromFile(TEST_CPP_MODULE);
  a->ImportModule(b);
  EXPECT_EQ(a->GetFunction("add_two", true).value()(1).cast<int>(), 3);
  EXPECT_TRUE(a->ImplementsFunction("add_two", true));
  EXPECT_EQ(Message([&] { b->ImportModule(a); }),
            "RuntimeError: Cyclic dependency detected during import");
  a->ClearImports();
  EXPECT_FALSE(a->GetFunction("add_two", true).has_value());
}

TEST(Module, GlobalsForBindings) {
  Any mod = Function::GetGlobalRequired("ffi.ModuleLoadFromFile")(TEST_CPP_MODULE);
  Function get = Function::GetGlobalRequired("ffi.ModuleGetFunction");
  Function f = get(mod, "add_two", true).cast<Function>();
  EXPECT_EQ(f(1).cast<int>(), 3);
  EXPECT_TRUE(get(mod, "missing", true) == nullptr);
  EXPECT_EQ(Function::GetGlobalRequired("ffi.ModuleGetKind")(mod).cast<std::string>(), "library");
  // GlobalsAdd pins the module for the life of the process (one reference more), and
  // GlobalsRemove unpins it.
  Module pinned = mod.cast<Module>();
  int before = pinned.use_count();
  Function::GetGlobalRequired("ffi.ModuleGlobalsAdd")(pinned);
  EXPECT_EQ(pinned.use_count(), before + 1);
  Function::GetGlobalRequired("ffi.ModuleGlobalsRemove")(pinned);
  EXPECT_EQ(pinned.use_count(), before);
}

// A second copy of a loaded library registers the same globals at load time. Upstream ends the
// process there (the error escapes a static constructor); here the load fails with the names.
TEST(Module, ASecondCopyWhoseGlobalsAreTakenFailsToLoad) {
  Module first = Module::LoadFromFile(TEST_CPP_MODULE);
  std::string copy = testing::TempDir() + "cpp_module_copy.so";
  std::string command = std::string("cp ") + TEST_CPP_MODULE + " " + copy;
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string error = Message([&] { Module::LoadFromFile(copy); });
  EXPECT_EQ(error.rfind("RuntimeError: Library " + copy +
                            " registers global functions that are already registered: "
                            "`test_module.registered_at_load`",
                        0),
            0u)
      << error;
  // The first registration stays and still works.
  EXPECT_TRUE(Function::GetGlobal("test_module.registered_at_load").has_value());
  // Outside a load, a duplicate registration is still an error for the caller.
  EXPECT_EQ(
      Message([] {
        Function::SetGlobal("test_module.registered_at_load",
                            Function::FromTyped([]() { return 0; }));
      }).rfind("RuntimeError: Global Function `test_module.registered_at_load` is already", 0),
      0u);
  std::remove(copy.c_str());
}

TEST(Module, BadPathsAreTypedErrors) {
  EXPECT_EQ(Message([] {
              Module::LoadFromFile("/nonexistent/lib.so");
            }).rfind("RuntimeError: Failed to load dynamic library /nonexistent/lib.so", 0),
            0u);
  EXPECT_EQ(Message([] { Module::LoadFromFile("no_extension"); }),
            "RuntimeError: Failed to get file format from no_extension");
  EXPECT_EQ(Message([] {
              Module::LoadFromFile("/tmp/model.onnx");
            }).rfind("RuntimeError: Loader for `.onnx` files is not registered", 0),
            0u);
  // A file that exists but is not a library.
  std::string fake = testing::TempDir() + "not_a_library.so";
  FILE* f = std::fopen(fake.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is text, not ELF\n", f);
  std::fclose(f);
  EXPECT_EQ(Message([&] {
              Module::LoadFromFile(fake);
            }).rfind("RuntimeError: Failed to load dynamic library", 0),
            0u);
  std::remove(fake.c_str());
}

int SysLibAddTen(void*, const TVMFFIAny* args, int32_t, TVMFFIAny* result) {
  TVM_FFI_SAFE_CALL_BEGIN();
  *reinterpret_cast<Any*>(result) = reinterpret_cast<const AnyView*>(args)[0].cast<int64_t>() + 10;
  TVM_FFI_SAFE_CALL_END();
}

TEST(SystemLib, PrefixLookupAndCache) {
  ASSERT_EQ(TVMFFIEnvModRegisterSystemLibSymbol("__tvm_ffi_testing.add_ten",
                                                reinterpret_cast<void*>(SysLibAddTen)),
            0);
  ASSERT_EQ(TVMFFIEnvModRegisterSystemLibSymbol("__tvm_ffi_plain_add_ten",
                                                reinterpret_cast<void*>(SysLibAddTen)),
            0);
  Function syslib = Function::GetGlobalRequired("ffi.SystemLib");
  Module mod = syslib("testing.").cast<Module>();
  EXPECT_STREQ(mod->kind(), "system_lib");
  EXPECT_EQ(mod->GetFunction("add_ten").value()(1).cast<int>(), 11);
  // Falls back to the unprefixed name.
  EXPECT_EQ(mod->GetFunction("plain_add_ten").value()(2).cast<int>(), 12);
  EXPECT_FALSE(mod->GetFunction("missing").has_value());
  // One module per prefix.
  EXPECT_TRUE(syslib("testing.").cast<Module>().same_as(mod));
  EXPECT_FALSE(syslib().cast<Module>().same_as(mod));
}

}  // namespace
