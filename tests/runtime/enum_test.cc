// Enums (enum.h, reflection/enum_def.h): members are singletons found by either index, carry
// attributes, print as type.Name, keep their identity through a JSON graph and compare by it.
#include <gtest/gtest.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/extra/serialization.h>
#include <tvm/ffi/extra/structural_equal.h>
#include <tvm/ffi/reflection/enum_def.h>
#include <tvm/ffi/reflection/registry.h>

#include <limits>
#include <string>

namespace {
using namespace tvm::ffi;
namespace refl = tvm::ffi::reflection;

class ColorObj : public EnumObj {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("enum_test.Color", ColorObj, EnumObj);
};
class Color : public Enum {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Color, Enum, ColorObj);
};
class CodeObj : public IntEnumObj {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("enum_test.Code", CodeObj, IntEnumObj);
};
class Code : public IntEnum {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Code, IntEnum, CodeObj);
};

TVM_FFI_STATIC_INIT_BLOCK() {
  refl::ObjectDef<ColorObj>(refl::init(false)).def_convert<Color>();
  refl::EnumDef<ColorObj>("Red").set_attr("hex", String("#f00"));
  refl::EnumDef<ColorObj>("Green").set_attr("hex", String("#0f0"));
  refl::ObjectDef<CodeObj>(refl::init(false)).def_convert<Code>();
  refl::EnumDef<CodeObj>("NotFound", 404);
  refl::EnumDef<CodeObj>("Lowest", std::numeric_limits<int64_t>::min());
}

TEST(Enum, MembersAreSingletonsFoundByEitherIndex) {
  Enum red = EnumObj::_GetByStrIndex<ColorObj>("Red");
  EXPECT_TRUE(red.same_as(EnumObj::_GetByIntIndex<ColorObj>(0)));
  EXPECT_EQ(red->_int_index, 0);
  EXPECT_EQ(EnumObj::_GetByStrIndex<ColorObj>("Green")->_int_index, 1);
  Enum nf = EnumObj::_GetByIntIndex<CodeObj>(404);
  EXPECT_TRUE(nf.same_as(EnumObj::_GetByStrIndex<CodeObj>("NotFound")));
  EXPECT_EQ(nf.as_or_throw<Code>()->_str_index, "NotFound");
  EXPECT_EQ(EnumObj::_GetByIntIndex<CodeObj>(std::numeric_limits<int64_t>::min())->_str_index,
            "Lowest");
  // the field a binding reads
  EXPECT_EQ(Any(nf).cast<ObjectRef>().as<Code>().value()->_int_index, 404);
  try {
    (void)EnumObj::_GetByIntIndex<CodeObj>(500);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
    EXPECT_EQ(e.message(), "Enum `enum_test.Code` has no instance with index 500");
  }
  try {
    (void)red.as_or_throw<Code>();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "TypeError");
    EXPECT_NE(std::string(e.message()).find("enum_test.Color"), std::string::npos);
  }
  EXPECT_FALSE(red.as<Code>().has_value());
}

TEST(Enum, StateHoldsTheMembersAndTheirAttributes) {
  reflection::TypeAttrColumn states(reflection::type_attr::kEnumState);
  EnumState state = states[ColorObj::RuntimeTypeIndex()].cast<EnumState>();
  ASSERT_EQ(state->entries.size(), 2u);
  EXPECT_TRUE(state->entries[1].same_as(EnumObj::_GetByStrIndex<ColorObj>("Green")));
  EXPECT_EQ(state->indexes.size(), 4u) << "each member under two indexes";
  Dict<ObjectRef, Any> hex = state->attrs.at("hex");
  EXPECT_EQ(hex.at(state->entries[0]).cast<String>(), "#f00");
}

TEST(Enum, ARepeatedIndexIsAValueError) {
  EXPECT_THROW(refl::EnumDef<ColorObj>("Red"), Error);
  EXPECT_THROW(refl::EnumDef<CodeObj>("Other", 404), Error);
  reflection::TypeAttrColumn states(reflection::type_attr::kEnumState);
  EXPECT_EQ(states[ColorObj::RuntimeTypeIndex()].cast<EnumState>()->entries.size(), 2u);
}

TEST(Enum, PrintsAsTypeDotNameAndKeepsIdentityThroughAJsonGraph) {
  Enum green = EnumObj::_GetByStrIndex<ColorObj>("Green");
  EXPECT_EQ(std::string(ReprPrint(green)), "enum_test.Color.Green");
  Enum nf = EnumObj::_GetByIntIndex<CodeObj>(404);
  json::Value graph = ToJSONGraph(Array<Any>{green, nf});
  std::string text = json::Stringify(graph);
  EXPECT_NE(text.find("{\"type\":\"enum_test.Color\",\"data\":\"Green\"}"), std::string::npos)
      << text;
  EXPECT_NE(text.find("{\"type\":\"enum_test.Code\",\"data\":404}"), std::string::npos) << text;
  Array<Any> back = FromJSONGraph(json::Parse(text)).cast<Array<Any>>();
  EXPECT_TRUE(back[0].same_as(green));
  EXPECT_TRUE(back[1].same_as(nf));
  // an unknown member or a payload of the wrong kind is a ValueError
  for (const char* bad : {R"({"root_index":0,"nodes":[{"type":"enum_test.Code","data":500}]})",
                          R"({"root_index":0,"nodes":[{"type":"enum_test.Code","data":"x"}]})"}) {
    try {
      (void)FromJSONGraph(json::Parse(bad));
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), "ValueError") << bad;
    }
  }
}

TEST(Enum, MembersCompareByIdentity) {
  Enum red = EnumObj::_GetByStrIndex<ColorObj>("Red");
  Enum green = EnumObj::_GetByStrIndex<ColorObj>("Green");
  EXPECT_TRUE(StructuralEqual::Equal(red, red));
  EXPECT_FALSE(StructuralEqual::Equal(red, green));
}

}  // namespace
