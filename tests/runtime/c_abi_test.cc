// Runs the C black-box tests of c_abi_test_impl.c: each returns the failing line or 0.
#include <gtest/gtest.h>

extern "C" {
int CAbiFunctionCreateAndCall(void);
int CAbiGlobalRegistry(void);
int CAbiErrors(void);
int CAbiStringsAndDataTypes(void);
int CAbiTypes(void);
int CAbiMisc(void);
}

namespace {
TEST(CAbi, FunctionCreateAndCall) { EXPECT_EQ(CAbiFunctionCreateAndCall(), 0) << "failed line"; }
TEST(CAbi, GlobalRegistry) { EXPECT_EQ(CAbiGlobalRegistry(), 0) << "failed line"; }
TEST(CAbi, Errors) { EXPECT_EQ(CAbiErrors(), 0) << "failed line"; }
TEST(CAbi, StringsAndDataTypes) { EXPECT_EQ(CAbiStringsAndDataTypes(), 0) << "failed line"; }
TEST(CAbi, Types) { EXPECT_EQ(CAbiTypes(), 0) << "failed line"; }
TEST(CAbi, Misc) { EXPECT_EQ(CAbiMisc(), 0) << "failed line"; }
}  // namespace
