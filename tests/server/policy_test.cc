// Which globals the server publishes (--expose / --hide), as a unit.
#include "policy.h"

#include <gtest/gtest.h>

namespace tvmffi::rpc::internal {
namespace {

TEST(Policy, TheRuntimesOwnFunctionsAndSessionOperationsAreNeverPublished) {
  Policy everything({}, {});
  EXPECT_TRUE(everything.IsPublished("my_ext.add_one"));
  EXPECT_FALSE(everything.IsPublished("ffi.ModuleLoadFromFile"));
  EXPECT_FALSE(everything.IsPublished("$load_module"));
  EXPECT_FALSE(everything.IsPublished(""));
  Policy exposing_ffi({"ffi."}, {});
  EXPECT_FALSE(exposing_ffi.IsPublished("ffi.FunctionRemoveGlobal"));
}

TEST(Policy, ExposeNarrowsAndHideWins) {
  Policy policy({"e2e.", "my_ext."}, {"e2e.throw"});
  EXPECT_TRUE(policy.IsPublished("e2e.add"));
  EXPECT_TRUE(policy.IsPublished("my_ext.add_one"));
  EXPECT_FALSE(policy.IsPublished("e2e.throw_int"));  // hidden, though exposed
  EXPECT_FALSE(policy.IsPublished("other.f"));        // not exposed
  EXPECT_FALSE(policy.IsPublished("e2e"));            // a prefix is matched, not a word
  Policy hide_only({}, {"secret."});
  EXPECT_TRUE(hide_only.IsPublished("public.f"));
  EXPECT_FALSE(hide_only.IsPublished("secret.f"));
}

}  // namespace
}  // namespace tvmffi::rpc::internal
