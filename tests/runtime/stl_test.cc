// extra/stl.h: standard-library types as arguments and results of ffi functions, converted
// element by element both ways, refused with a TypeError when an element does not fit.
#include <gtest/gtest.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/expected.h>
#include <tvm/ffi/extra/stl.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

namespace {

using namespace tvm::ffi;  // NOLINT

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind() + ": " + e.message();
  }
  return "(no error)";
}

TEST(Stl, VectorInAndOut) {
  Function sum = Function::FromTyped([](const std::vector<int64_t>& v) {
    int64_t s = 0;
    for (int64_t x : v) s += x;
    return s;
  });
  EXPECT_EQ(sum(Array<int64_t>{1, 2, 3}).cast<int64_t>(), 6);
  EXPECT_EQ(sum(List<int64_t>{4, 5}).cast<int64_t>(), 9);  // a List is accepted too
  EXPECT_EQ(sum(std::vector<int64_t>{7, 8}).cast<int64_t>(), 15);

  Function twice = Function::FromTyped([](std::vector<std::string> v) {
    std::vector<std::string> out;
    for (auto& s : v) out.push_back(s + s);
    return out;
  });
  Any r = twice(Array<String>{"a", "bc"});
  ASSERT_EQ(r.type_index(), TypeIndex::kTVMFFIArray);  // travels as an Array
  Array<String> arr = r.cast<Array<String>>();
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0], "aa");
  EXPECT_EQ(arr[1], "bcbc");
  EXPECT_EQ(r.cast<std::vector<std::string>>(), (std::vector<std::string>{"aa", "bcbc"}));
}

// An STL argument is converted into an object for the call; the call owns it and lets it go
// (under LeakSanitizer a view nobody owned leaked here).
TEST(Stl, ArgumentsConvertedForACallAreReleased) {
  Any seen;
  Function keep = Function::FromTyped([&](const Array<int64_t>& a) { seen = a; });
  keep(std::vector<int64_t>{1, 2, 3});
  ASSERT_EQ(seen.type_index(), TypeIndex::kTVMFFIArray);
  const Object* obj = seen.cast<ObjectRef>().get();
  EXPECT_EQ(details::ObjectUnsafe::GetHeader(obj)->combined_ref_count & 0xFFFFFFFFu, 1u);
  Expected<int64_t> r = Function::FromTyped([](std::map<std::string, int64_t> m) {
                          return static_cast<int64_t>(m.size());
                        }).CallExpected<int64_t>(std::map<std::string, int64_t>{{"a", 1}});
  EXPECT_EQ(r.value(), 1);
}

TEST(Stl, MismatchIsATypeError) {
  Function sum = Function::FromTyped([](const std::vector<int64_t>& v) { return v.size(); });
  std::string err = ErrorOf([&] { sum(Array<Any>{1, String("x")}); });
  EXPECT_EQ(err.rfind("TypeError: ", 0), 0u) << err;
  EXPECT_NE(err.find("std::vector<int>"), std::string::npos) << err;
  err = ErrorOf([&] { sum(42); });
  EXPECT_EQ(err.rfind("TypeError: ", 0), 0u) << err;
}

TEST(Stl, NestedContainersRoundTrip) {
  using Nested = std::vector<std::map<std::string, std::vector<double>>>;
  Nested in = {{{"a", {1.5, 2.5}}, {"b", {}}}, {{"c", {3.0}}}};
  Function id = Function::FromTyped([](Nested v) { return v; });
  Any out = id(in);
  EXPECT_EQ(out.cast<Nested>(), in);
  // and the wire shape is ffi containers all the way down
  Array<Any> outer = out.cast<Array<Any>>();
  Map<String, Array<double>> first = outer[0].cast<Map<String, Array<double>>>();
  EXPECT_EQ(first["a"][1], 2.5);
}

TEST(Stl, ArrayAndTupleNeedTheirSize) {
  Function pair = Function::FromTyped([](std::array<int64_t, 2> a) { return a[0] * 10 + a[1]; });
  EXPECT_EQ(pair(Array<int64_t>{3, 4}).cast<int64_t>(), 34);
  EXPECT_EQ(ErrorOf([&] { pair(Array<int64_t>{3, 4, 5}); }).rfind("TypeError", 0), 0u);

  Function swap = Function::FromTyped([](std::tuple<int64_t, std::string> t) {
    return std::make_tuple(std::get<1>(t), std::get<0>(t));
  });
  Any r = swap(Array<Any>{7, String("seven")});
  auto back = r.cast<std::tuple<std::string, int64_t>>();
  EXPECT_EQ(std::get<0>(back), "seven");
  EXPECT_EQ(std::get<1>(back), 7);
  EXPECT_EQ(ErrorOf([&] { swap(Array<Any>{String("x"), 1}); }).rfind("TypeError", 0), 0u);
  EXPECT_EQ(ErrorOf([&] { swap(List<Any>{7, String("s")}); }).rfind("TypeError", 0), 0u);
}

TEST(Stl, MapsBothKinds) {
  Function count = Function::FromTyped([](const std::unordered_map<std::string, int64_t>& m) {
    std::map<std::string, int64_t> sorted(m.begin(), m.end());
    return sorted;
  });
  Map<String, int64_t> in{{"x", 1}, {"y", 2}};
  Any r = count(in);
  ASSERT_EQ(r.type_index(), TypeIndex::kTVMFFIMap);
  auto m = r.cast<std::map<std::string, int64_t>>();
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m["y"], 2);
  EXPECT_EQ(ErrorOf([&] { count(Map<String, String>{{"x", "1"}}); }).rfind("TypeError", 0), 0u);
}

TEST(Stl, OptionalIsNoneOrAValue) {
  Function f = Function::FromTyped([](std::optional<int64_t> v) -> std::optional<std::string> {
    if (!v.has_value()) return std::nullopt;
    return std::to_string(*v);
  });
  EXPECT_EQ(f(nullptr).type_index(), TypeIndex::kTVMFFINone);
  EXPECT_EQ(f(12).cast<String>(), "12");
  EXPECT_EQ(ErrorOf([&] { f(String("no")); }).rfind("TypeError", 0), 0u);
  EXPECT_EQ(Any(12).cast<std::optional<int64_t>>(), std::optional<int64_t>(12));
  EXPECT_EQ(Any().cast<std::optional<int64_t>>(), std::nullopt);
}

TEST(Stl, VariantPicksTheExactAlternativeFirst) {
  Function which = Function::FromTyped(
      [](std::variant<double, int64_t, std::string> v) { return static_cast<int64_t>(v.index()); });
  EXPECT_EQ(which(1.5).cast<int64_t>(), 0);
  EXPECT_EQ(which(3).cast<int64_t>(), 1);  // an int is int, although it converts to double
  EXPECT_EQ(which(String("s")).cast<int64_t>(), 2);
  EXPECT_EQ(ErrorOf([&] { which(Array<int64_t>{}); }).rfind("TypeError", 0), 0u);
  Function make = Function::FromTyped([](bool s) -> std::variant<int64_t, std::string> {
    if (s) return std::string("str");
    return int64_t{5};
  });
  EXPECT_EQ(make(true).cast<String>(), "str");
  EXPECT_EQ(make(false).cast<int64_t>(), 5);
}

TEST(Stl, FunctionBothWays) {
  Function apply =
      Function::FromTyped([](std::function<int64_t(int64_t)> fn, int64_t x) { return fn(x) + 1; });
  Function square = Function::FromTyped([](int64_t x) { return x * x; });
  EXPECT_EQ(apply(square, 5).cast<int64_t>(), 26);
  Function maker = Function::FromTyped(
      [](int64_t k) { return std::function<int64_t(int64_t)>([k](int64_t x) { return x * k; }); });
  Function triple = maker(3).cast<Function>();
  EXPECT_EQ(triple(4).cast<int64_t>(), 12);
  std::function<int64_t(int64_t)> back = maker(2).cast<std::function<int64_t(int64_t)>>();
  EXPECT_EQ(back(21), 42);
}

TEST(Stl, NamesAndSchemas) {
  EXPECT_EQ(TypeTraits<std::vector<int64_t>>::TypeStr(), "std::vector<int>");
  EXPECT_EQ((TypeTraits<std::map<std::string, double>>::TypeStr()), "std::map<str, float>");
  EXPECT_EQ((TypeTraits<std::variant<int64_t, std::string>>::TypeStr()), "std::variant<int, str>");
  EXPECT_EQ((TypeTraits<std::array<bool, 3>>::TypeStr()), "std::array<bool, 3>");
  EXPECT_EQ((TypeTraits<std::function<void(int64_t)>>::TypeStr()), "std::function<void(int)>");
  EXPECT_EQ(TypeTraits<std::optional<int64_t>>::TypeSchema(),
            R"({"type":"std::optional","args":[{"type":"int"}]})");
  EXPECT_EQ((TypeTraits<std::tuple<int64_t, bool>>::TypeSchema()),
            R"({"type":"std::tuple","args":[{"type":"int"},{"type":"bool"}]})");
}

}  // namespace
