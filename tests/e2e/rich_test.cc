// A module written against upstream's public API (rich_module.cc: ObjectDef with fields, methods
// and refl::init, an enum, JSON, Dict, List, dense Maps), loaded both in this process and by a
// real tvmffi-server: every function answers over the wire as it does in-process. Objects come
// back as handles and work when passed back; values (strings, Dict, List, dense Map) come back
// equal and of the same kind; errors come back with the same kind and message.
// RICH_MODULE_PATH, when set, names the module file to use (scripts/conformance sets it to the
// same source built against upstream's headers).
#include <gtest/gtest.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/tvm_ffi.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "testing/error_of.h"
#include "testing/server_process.h"
#include "tvmffi/rpc/client.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using testing::ErrorOf;
using testing::ServerProcess;
using Fields = ffi::Map<ffi::String, ffi::Any>;
using IntMap = ffi::Map<ffi::String, int64_t>;
using Counts = ffi::Dict<ffi::String, int64_t>;

std::string ModulePath() {
  const char* env = std::getenv("RICH_MODULE_PATH");
  return env != nullptr && *env != '\0' ? env : TVMFFI_RICH_MODULE;
}

std::string StemOf(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  return base.substr(0, base.rfind('.'));
}

class RichModule : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--load", ModulePath()});
    session_ = new Session(Connect(server_->address()));
    remote_ = new ffi::Module(session_->LoadModule(StemOf(ModulePath())));
    local_ = new ffi::Module(ffi::Module::LoadFromFile(ModulePath()));
  }
  static void TearDownTestSuite() {
    delete remote_;
    delete local_;
    delete session_;
    delete server_;
  }
  // The function from each side.
  static ffi::Function Local(const char* name) { return (*local_)->GetFunction(name).value(); }
  static ffi::Function Remote(const char* name) { return (*remote_)->GetFunction(name).value(); }

  // Calls name with args on both sides; the results must agree in kind and value.
  template <typename... Args>
  static ffi::Any Both(const char* name, Args&&... args) {
    ffi::Any here = Local(name)(args...);
    ffi::Any there = Remote(name)(args...);
    EXPECT_EQ(there.type_index(), here.type_index()) << name;
    EXPECT_TRUE(ffi::RecursiveEq(here, there))
        << name << ": in-process " << here << ", remote " << there;
    return there;
  }
  // The error calling name with args raises on both sides must be the same.
  template <typename... Args>
  static std::string SameError(const char* name, Args&&... args) {
    std::string here = ErrorOf([&] { Local(name)(args...); });
    std::string there = ErrorOf([&] { Remote(name)(args...); });
    EXPECT_EQ(there, here) << name;
    return there;
  }

  static ServerProcess* server_;
  static Session* session_;
  static ffi::Module* remote_;
  static ffi::Module* local_;
};
ServerProcess* RichModule::server_ = nullptr;
Session* RichModule::session_ = nullptr;
ffi::Module* RichModule::remote_ = nullptr;
ffi::Module* RichModule::local_ = nullptr;

TEST_F(RichModule, ObjectsTravelAsHandlesAndWorkWhenPassedBack) {
  ffi::Any here = Local("make_point")(3, -4.5, ffi::String("p"));
  ffi::Any there = Remote("make_point")(3, -4.5, ffi::String("p"));
  EXPECT_EQ(here.GetTypeKey(), "rich.Point");
  EXPECT_EQ(there.GetTypeKey(), "tvmffi.rpc.RemoteObject");
  ffi::Any fields_here = Local("point_fields")(here);
  ffi::Any fields_there = Remote("point_fields")(there);
  EXPECT_TRUE(ffi::RecursiveEq(fields_here, fields_there)) << fields_here << " vs " << fields_there;
  EXPECT_EQ(fields_there.cast<Fields>()["label"].cast<ffi::String>(), "p");

  // methods through the reflection table
  EXPECT_EQ(Local("call_method")(here, ffi::String("norm1"), ffi::Array<ffi::Any>{}).cast<double>(),
            7.5);
  EXPECT_EQ(
      Remote("call_method")(there, ffi::String("norm1"), ffi::Array<ffi::Any>{}).cast<double>(),
      7.5);
  EXPECT_EQ(
      Remote("call_method")(there, ffi::String("scaled"), ffi::Array<ffi::Any>{2.0}).cast<double>(),
      -9.0);
  std::string missing_here =
      ErrorOf([&] { Local("call_method")(here, ffi::String("nope"), ffi::Array<ffi::Any>{}); });
  std::string missing_there =
      ErrorOf([&] { Remote("call_method")(there, ffi::String("nope"), ffi::Array<ffi::Any>{}); });
  EXPECT_EQ(missing_there, missing_here);
  EXPECT_NE(missing_there.find("nope"), std::string::npos) << missing_there;

  // a field set through the handle changes the server's object
  ffi::Any moved = Remote("move_point")(there, 10);
  EXPECT_EQ(Remote("point_fields")(moved).cast<Fields>()["x"].cast<int64_t>(), 13);
  EXPECT_EQ(Remote("point_fields")(there).cast<Fields>()["x"].cast<int64_t>(), 13);

  // a wrong argument is the same TypeError on both sides
  std::string err = SameError("make_point", ffi::String("x"), 1.0, ffi::String("p"));
  EXPECT_EQ(err.rfind("TypeError", 0), 0u) << err;
}

TEST_F(RichModule, EnumMembers) {
  ffi::Any high = Remote("level_by_name")(ffi::String("High"));
  EXPECT_EQ(Remote("level_value")(high).cast<int64_t>(), 10);
  EXPECT_EQ(Remote("level_name")(high).cast<ffi::String>(), "High");
  ffi::Any low_here = Local("level_by_name")(ffi::String("Low"));
  EXPECT_EQ(Local("level_value")(low_here).cast<int64_t>(), 1);
  ffi::Any low = Remote("level_by_name")(ffi::String("Low"));
  EXPECT_EQ(Remote("level_value")(low).cast<int64_t>(), 1);
  std::string err = SameError("level_by_name", ffi::String("Medium"));
  EXPECT_NE(err, "(no error)");
}

TEST_F(RichModule, Json) {
  ffi::String text(R"( {"b": [1, 2.5, null, true, "s"], "a": {"x": -1}} )");
  EXPECT_EQ(Both("json_normalize", text).cast<ffi::String>(),
            R"({"b":[1,2.5,null,true,"s"],"a":{"x":-1}})");
  EXPECT_EQ(Both("json_count", text).cast<int64_t>(), 2);
  std::string err = SameError("json_normalize", ffi::String("{\"a\": "));
  EXPECT_EQ(err.rfind("ValueError", 0), 0u) << err;
}

TEST_F(RichModule, DictAndListTravelAsThemselves) {
  ffi::Any counts = Both("word_counts", ffi::String("a b a c a"));
  ASSERT_EQ(counts.type_index(), ffi::TypeIndex::kTVMFFIDict);
  EXPECT_EQ(counts.cast<Counts>()["a"], 3);
  ffi::Any squares = Both("squares", 10);
  ASSERT_EQ(squares.type_index(), ffi::TypeIndex::kTVMFFIList);
  EXPECT_EQ(Both("list_sum", squares).cast<int64_t>(), 285);  // a List sent back by value
}

TEST_F(RichModule, DenseMapsBothWays) {
  for (int64_t n : {3, 100, 5000}) {
    ffi::Any m = Both("square_map", n);
    IntMap map = m.cast<IntMap>();
    ASSERT_EQ(map.size(), static_cast<size_t>(n));
    EXPECT_EQ(map["k2"], 4);
    // sent back by value: the server rebuilds it (dense past 4 entries) and looks it up
    EXPECT_EQ(Both("map_get", map, ffi::String("k" + std::to_string(n - 1))).cast<int64_t>(),
              (n - 1) * (n - 1));
    EXPECT_EQ(Both("map_get", map, ffi::String("absent")).cast<int64_t>(), -1);
    ffi::Any smaller = Both("map_without", map, ffi::String("k1"));
    EXPECT_EQ(smaller.cast<IntMap>().size(), static_cast<size_t>(n - 1));
  }
}

}  // namespace
}  // namespace tvmffi::rpc
