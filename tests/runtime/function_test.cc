// Functions: packed and typed creation, argument checks, the registry, C interop.
#include <gtest/gtest.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/tvm_ffi.h>

#include <string>
#include <vector>

namespace {
using namespace tvm::ffi;

std::string CallError(const Function& f, const std::vector<Any>& args) {
  std::vector<AnyView> views(args.begin(), args.end());
  Any rv;
  try {
    f.CallPacked(views.data(), static_cast<int32_t>(views.size()), &rv);
  } catch (const Error& e) {
    return e.kind() + ": " + e.message();
  }
  return "";
}

TEST(Function, PackedForms) {
  Function f = Function::FromPacked([](PackedArgs args, Any* rv) {
    int64_t sum = 0;
    for (int i = 0; i < args.size(); ++i) sum += args[i].cast<int64_t>();
    *rv = sum;
  });
  EXPECT_EQ(f(1, 2, 3).cast<int>(), 6);
  Function g = Function::FromPacked(
      [](const AnyView* args, int32_t n, Any* rv) { *rv = n == 0 ? 0 : args[0].cast<int>(); });
  EXPECT_EQ(g().cast<int>(), 0);
  EXPECT_EQ(g(9).cast<int>(), 9);
}

TEST(Function, TypedArgumentErrors) {
  Function f = Function::FromTyped([](int x, String s) { return s + std::to_string(x); }, "concat");
  EXPECT_EQ(f(1, "a").cast<std::string>(), "a1");
  EXPECT_EQ(CallError(f, {Any(1)}),
            "TypeError: Mismatched number of arguments when calling: `concat(0: int, 1: str) -> "
            "str`. Expected 2 but got 1 arguments");
  EXPECT_EQ(CallError(f, {Any(String("x")), Any(String("y"))}),
            "TypeError: Mismatched type on argument #0 when calling: `concat(0: int, 1: str) -> "
            "str`. Expected `int` but got `ffi.SmallStr`");
  EXPECT_EQ(CallError(f, {Any(1), Any(2.5)}),
            "TypeError: Mismatched type on argument #1 when calling: `concat(0: int, 1: str) -> "
            "str`. Expected `str` but got `float`");
}

TEST(Function, VoidAndAnyReturns) {
  int hits = 0;
  Function f = Function::FromTyped([&hits]() { ++hits; });
  EXPECT_TRUE(f() == nullptr);
  EXPECT_EQ(hits, 1);
  Function echo = Function::FromTyped([](Any x) { return x; });
  EXPECT_EQ(echo(String("long enough string")).cast<std::string>(), "long enough string");
  EXPECT_TRUE(echo(nullptr) == nullptr);
}

TEST(Function, FunctionsAsArgumentsAndResults) {
  // bind(func, x) -> lambda calling func(x, ...), as in the document's Python example.
  Function bind = Function::FromTyped([](Function func, int x) {
    return Function::FromPacked([func, x](PackedArgs args, Any* rv) {
      std::vector<AnyView> all{AnyView(x)};
      for (int i = 0; i < args.size(); ++i) all.push_back(args[i]);
      func.CallPacked(all.data(), static_cast<int32_t>(all.size()), rv);
    });
  });
  Function add = Function::FromTyped([](int a, int b) { return a + b; });
  Function add_y = bind(add, 1).cast<Function>();
  EXPECT_EQ(add_y(2).cast<int>(), 3);
}

TEST(Function, TypedFunctionConversions) {
  TypedFunction<int(int)> twice = [](int x) { return 2 * x; };
  Any stored = twice;
  EXPECT_EQ(stored.type_index(), kTVMFFIFunction);
  auto back = stored.cast<TypedFunction<int(int)>>();
  EXPECT_EQ(back(21), 42);
  EXPECT_EQ(TypedFunction<int(int)>::TypeSchema(),
            "{\"type\":\"ffi.Function\",\"args\":[{\"type\":\"int\"},{\"type\":\"int\"}]}");
}

int CAddTen(void* self, const TVMFFIAny* args, int32_t num_args, TVMFFIAny* result) {
  (void)self;
  if (num_args != 1 || args[0].type_index != kTVMFFIInt) {
    TVMFFIErrorSetRaisedFromCStr("TypeError", "CAddTen takes one int");
    return -1;
  }
  result->type_index = kTVMFFIInt;
  result->v_int64 = args[0].v_int64 + 10;
  return 0;
}

TEST(Function, ExternCAndInvoke) {
  Function f = Function::FromExternC(nullptr, CAddTen, nullptr);
  EXPECT_EQ(f(5).cast<int>(), 15);
  EXPECT_EQ(CallError(f, {}), "TypeError: CAddTen takes one int");
  EXPECT_EQ(Function::InvokeExternC(nullptr, CAddTen, 1).cast<int>(), 11);
  // A C++ function called through the C ABI.
  Function g = Function::FromTyped([](int x) { return x * 3; });
  TVMFFIAny arg;
  arg.type_index = kTVMFFIInt;
  arg.zero_padding = 0;
  arg.v_int64 = 4;
  Any rv;
  EXPECT_EQ(TVMFFIFunctionCall(details::ObjectUnsafe::RawObjectPtrFromObjectRef(g), &arg, 1,
                               reinterpret_cast<TVMFFIAny*>(&rv)),
            0);
  EXPECT_EQ(rv.cast<int>(), 12);
}

TEST(Registry, SetGetListRemove) {
  Function f = Function::FromTyped([](int x) { return x; });
  Function::SetGlobal("function_test.identity", f);
  EXPECT_THROW(Function::SetGlobal("function_test.identity", f), Error);
  Function::SetGlobal("function_test.identity", f, /*override=*/true);
  auto got = Function::GetGlobal("function_test.identity");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->same_as(f));
  std::vector<String> names = Function::ListGlobalNames();
  EXPECT_NE(std::find(names.begin(), names.end(), String("function_test.identity")), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), String("ffi.FunctionRemoveGlobal")), names.end());
  Function::RemoveGlobal("function_test.identity");
  EXPECT_FALSE(Function::GetGlobal("function_test.identity").has_value());
  try {
    Function::GetGlobalRequired("function_test.identity");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "Function function_test.identity not found");
  }
  // Removing a missing name is not an error.
  EXPECT_NO_THROW(Function::RemoveGlobal("function_test.identity"));
}

TEST(Registry, GlobalDefDuplicateIsAnError) {
  reflection::GlobalDef().def("function_test.once", []() { return 1; });
  EXPECT_THROW(reflection::GlobalDef().def("function_test.once", []() { return 2; }), Error);
  EXPECT_EQ(Function::GetGlobalRequired("function_test.once")().cast<int>(), 1);
}

}  // namespace

namespace {
using namespace tvm::ffi;

// RValueRef: a callee takes over the caller's only reference (so it may change the object in
// place); an ordinary reference or another type converts, and the caller keeps its own.
TEST(RValueRef, TheCalleeTakesTheReferenceOver) {
  Function append = Function::FromTyped([](RValueRef<Array<int>> ref, int v) {
    Array<int> a = *std::move(ref);
    bool unique = a.unique();
    a.push_back(v);
    return Array<Any>{a, unique};
  });
  Array<int> a{1, 2};
  Array<Any> out = append(RValueRef(std::move(a)), 3).cast<Array<Any>>();
  EXPECT_TRUE(out[1].cast<bool>()) << "moved in: the only reference";
  Array<int> grown = out[0].cast<Array<int>>();
  EXPECT_EQ(grown.size(), 3u);
  EXPECT_EQ(a.get(), nullptr);  // NOLINT(bugprone-use-after-move): taken over
  Array<int> kept{1};
  out = append(kept, 2).cast<Array<Any>>();
  EXPECT_FALSE(out[1].cast<bool>()) << "an lvalue is shared";
  EXPECT_EQ(kept.size(), 1u);
  // a value of another type is a TypeError naming it
  Function takes_map = Function::FromTyped(
      [](RValueRef<Map<String, int>> m) { return static_cast<int64_t>((*std::move(m)).size()); });
  try {
    takes_map(RValueRef(Array<int>{1}));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(std::string(e.message()).find("RValueRef<ffi.Array>"), std::string::npos)
        << e.message();
  }
}
}  // namespace

namespace {
using namespace tvm::ffi;

// A packed global's metadata has a type schema too: a function of unnamed arguments.
TEST(GlobalDef, APackedFunctionsSchemaIsAFunction) {
  reflection::GlobalDef().def_packed("function_test.packed_schema",
                                     [](PackedArgs, Any* rv) { *rv = 1; });
  String meta = Function::GetGlobalRequired("ffi.GetGlobalFuncMetadata")(
                    String("function_test.packed_schema"))
                    .cast<String>();
  Map<String, Any> parsed = json::Parse(meta).cast<Map<String, Any>>();
  EXPECT_EQ(parsed.at("type_schema").cast<String>(), R"({"type":"ffi.Function"})");
}
}  // namespace
