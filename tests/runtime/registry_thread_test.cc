// Many threads registering, looking up, calling and raising at once (clean under TSan).
#include <gtest/gtest.h>
#include <tvm/ffi/tvm_ffi.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {
using namespace tvm::ffi;

TEST(RegistryThreads, ConcurrentRegisterLookupCallAndRaise) {
  constexpr int kThreads = 8;
  constexpr int kIters = 200;
  Function::SetGlobal("thread_test.shared", Function::FromTyped([](int x) { return x + 1; }), true);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < kIters; ++i) {
        std::string name = "thread_test.f" + std::to_string(t) + "_" + std::to_string(i % 10);
        Function::SetGlobal(name, Function::FromTyped([i]() { return i; }), true);
        if (!Function::GetGlobal(name).has_value()) ++failures;
        if (Function::GetGlobalRequired("thread_test.shared")(i).cast<int>() != i + 1) ++failures;
        bool caught = false;
        try {
          TVM_FFI_THROW(ValueError) << "thread " << t;
        } catch (const Error& e) {
          caught = e.message() == "thread " + std::to_string(t);
        }
        if (!caught) ++failures;
        if (i % 50 == 0) Function::ListGlobalNames();
        if (i % 10 == 9) Function::RemoveGlobal(name);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(RegistryThreads, ConcurrentTypeRegistration) {
  std::vector<std::thread> threads;
  std::vector<int32_t> indices(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &indices] {
      TVMFFIByteArray key{"thread_test.SharedType", 22};
      indices[t] = TVMFFITypeGetOrAllocIndex(&key, -1, 1, 0, 1, kTVMFFIObject);
      TVMFFIGetTypeInfo(indices[t]);
    });
  }
  for (auto& th : threads) th.join();
  // One index, a real one, for all eight threads.
  EXPECT_GE(indices[0], 0);
  for (int32_t idx : indices) EXPECT_EQ(idx, indices[0]);
  const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(indices[0]);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(std::string(info->type_key.data, info->type_key.size), "thread_test.SharedType");
}

}  // namespace
