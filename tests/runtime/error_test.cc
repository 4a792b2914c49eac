// Errors: TVM_FFI_THROW / CHECK macros, safe-call conversion, TLS slot, backtraces.
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <stdexcept>
#include <string>
#include <thread>

namespace {
using namespace tvm::ffi;

int RaiseFromSafeCall(int which) {
  TVM_FFI_SAFE_CALL_BEGIN();
  if (which == 0) TVM_FFI_THROW(IndexError) << "bad index " << 7;
  if (which == 1) throw std::runtime_error("plain std exception");
  if (which == 2) throw EnvErrorAlreadySet();
  TVM_FFI_SAFE_CALL_END();
}

Error TakeRaised() { return details::MoveFromSafeCallRaised(); }

TEST(Error, ThrowCarriesKindMessageAndBacktrace) {
  bool caught = false;
  try {
    TVM_FFI_THROW(RuntimeError) << "value " << 42;
  } catch (const Error& e) {
    caught = true;
    EXPECT_EQ(e.kind(), "RuntimeError");
    EXPECT_EQ(e.message(), "value 42");
    EXPECT_STREQ(e.what(), "value 42");
    // Most recent call first: the throw site is the first line.
    std::string bt = e.backtrace();
    EXPECT_EQ(bt.rfind("  File \"", 0), 0u) << bt;
    EXPECT_NE(bt.find("error_test.cc\", line "), std::string::npos) << bt;
    std::string full = e.FullMessage();
    EXPECT_EQ(full.rfind("Traceback (most recent call last):\n", 0), 0u);
    EXPECT_NE(full.find("RuntimeError: value 42\n"), std::string::npos);
    // Python order puts the throw site last.
    std::string py = e.TracebackMostRecentCallLast();
    EXPECT_NE(py.rfind("error_test.cc"), std::string::npos);
  }
  EXPECT_TRUE(caught) << "TVM_FFI_THROW did not throw";
}

TEST(Error, SafeCallConvertsEveryExceptionKind) {
  EXPECT_EQ(RaiseFromSafeCall(0), -1);
  Error e = TakeRaised();
  EXPECT_EQ(e.kind(), "IndexError");
  EXPECT_EQ(e.message(), "bad index 7");
  EXPECT_EQ(RaiseFromSafeCall(1), -1);
  e = TakeRaised();
  EXPECT_EQ(e.kind(), "InternalError");
  EXPECT_EQ(e.message(), "plain std exception");
  EXPECT_EQ(RaiseFromSafeCall(2), -2);
  TVMFFIObjectHandle none = nullptr;
  TVMFFIErrorMoveFromRaised(&none);
  EXPECT_EQ(none, nullptr);
  EXPECT_EQ(RaiseFromSafeCall(3), 0);
}

TEST(Error, CheckSafeCallRethrows) {
  try {
    TVM_FFI_CHECK_SAFE_CALL(RaiseFromSafeCall(0));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "IndexError");
  }
  EXPECT_THROW(TVM_FFI_CHECK_SAFE_CALL(RaiseFromSafeCall(2)), EnvErrorAlreadySet);
}

TEST(Error, CheckMacros) {
  int x = 3;
  try {
    TVM_FFI_ICHECK(x == 4) << "extra";
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "InternalError");
    EXPECT_EQ(e.message(), "Check failed: (x == 4) is false: extra");
  }
  try {
    TVM_FFI_ICHECK_LT(x, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "Check failed: x < 2 (3 vs. 2) : ");
  }
  try {
    TVM_FFI_CHECK(x > 5, ValueError) << "need more";
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), "ValueError");
  }
  EXPECT_NO_THROW(TVM_FFI_ICHECK_EQ(x, 3));
  int* p = &x;
  EXPECT_EQ(TVM_FFI_ICHECK_NOTNULL(p), &x);
}

TEST(Error, CauseChainAndExtraContext) {
  Error cause("KeyError", "missing", "");
  Function ctx = Function::FromTyped([]() {});
  Error outer("RuntimeError", "wrapped", "", cause, ctx);
  ASSERT_TRUE(outer.cause_chain().has_value());
  EXPECT_EQ(outer.cause_chain()->message(), "missing");
  ASSERT_TRUE(outer.extra_context().has_value());
  EXPECT_TRUE(outer.extra_context()->same_as(ctx));
  EXPECT_EQ(ctx.use_count(), 2);
}

TEST(Error, SlotIsPerThread) {
  TVMFFIErrorSetRaisedFromCStr("ValueError", "main thread");
  std::thread([] {
    TVMFFIObjectHandle h = nullptr;
    TVMFFIErrorMoveFromRaised(&h);
    EXPECT_EQ(h, nullptr);
    // An error left in a thread's slot is released when the thread exits (LSan checks).
    TVMFFIErrorSetRaisedFromCStr("ValueError", "left behind");
  }).join();
  EXPECT_EQ(TakeRaised().message(), "main thread");
}

TEST(Error, BacktraceFromCRaiseNamesTheRaiser) {
  auto raiser = []() {
    TVMFFIErrorSetRaisedFromCStr("ValueError", "from C");
    return -1;
  };
  EXPECT_EQ(raiser(), -1);
  Error e = TakeRaised();
  EXPECT_FALSE(e.backtrace().empty());
  // The raiser's own frame (in this file) comes first, not the runtime's.
  std::string first_line = e.backtrace().substr(0, e.backtrace().find('\n'));
  EXPECT_NE(first_line.find("error_test.cc"), std::string::npos) << e.backtrace();
  EXPECT_EQ(e.backtrace().find("TVMFFIErrorSetRaisedFromCStr"), std::string::npos) << e.backtrace();
  EXPECT_EQ(e.backtrace().find("TVMFFIBacktrace"), std::string::npos) << e.backtrace();
}

}  // namespace
