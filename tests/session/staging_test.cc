// Same-host staging of tensors sent by value: slots lent, copied out (or adopted) and handed
// back, reused, bounded, taken back, and refused when forged; and over a session, by-value
// semantics kept (the callee's copy is its own).
#include "staging.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tvm/ffi/tvm_ffi.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "testing/endpoint_helpers.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/endpoint.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;
using internal::StagingArea;
using internal::StagingLease;

std::vector<char> Pattern(uint64_t bytes, int seed) {
  std::vector<char> data(bytes);
  for (uint64_t i = 0; i < bytes; ++i) data[i] = static_cast<char>((i * 31 + seed) % 251);
  return data;
}

v1::SharedBytes RefOf(const StagingLease& lease) {
  v1::SharedBytes ref;
  ref.set_region(lease.slot->name());
  ref.set_offset(internal::kStagingHeaderBytes);
  ref.set_lease(lease.id);
  return ref;
}

struct Heap {
  void AllocData(DLTensor* t) { t->data = std::malloc(ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { std::free(t->data); }
};
constexpr DLDevice kCpu{kDLCPU, 0};

bool NameExists(const std::string& name) {
  struct stat st {};
  return ::stat(("/dev/shm" + name).c_str(), &st) == 0;
}

TEST(Staging, CopyBytesCopiesEverySizeWhole) {
  for (uint64_t bytes : {uint64_t{0}, uint64_t{1}, uint64_t{4096 + 3}, uint64_t{(8 << 20) + 3},
                         uint64_t{(17 << 20) + 1}}) {
    std::vector<char> src = Pattern(bytes, 5);
    std::vector<char> dst(bytes + 1, 'z');
    internal::CopyBytes(dst.data(), src.data(), bytes);
    EXPECT_TRUE(std::equal(src.begin(), src.end(), dst.begin())) << bytes;
    EXPECT_EQ(dst[bytes], 'z') << bytes;  // nothing past the end
  }
}

TEST(Staging, AReceivedSlotIsCopiedOutHandedBackAndReused) {
  StagingArea sender, receiver;
  std::vector<char> data = Pattern((3 << 20) + 5, 1);
  std::optional<StagingLease> lease = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(lease.has_value());
  EXPECT_GT(StagingArea::ProcessBytes(), data.size());
  EXPECT_TRUE(NameExists(lease->slot->name()));
  std::vector<char> got(data.size());
  ASSERT_TRUE(receiver.Receive(RefOf(*lease), got.data(), got.size()).ok());
  EXPECT_EQ(got, data);
  // Mapped on both sides: the receiver removed the name, so nothing outlives the processes.
  EXPECT_FALSE(NameExists(lease->slot->name()));
  // The slot came back: the next tensor of a size it fits reuses it.
  std::vector<char> next = Pattern(3 << 20, 2);
  std::optional<StagingLease> again = sender.Lend(next.data(), next.size());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->slot, lease->slot);
  EXPECT_EQ(sender.num_slots(), 1u);
  // The old lease is spent; the new one reads the new bytes.
  absl::Status spent = receiver.Receive(RefOf(*lease), got.data(), next.size());
  EXPECT_EQ(spent.code(), absl::StatusCode::kInvalidArgument) << spent;
  EXPECT_NE(spent.message().find("is not under lease"), std::string::npos) << spent;
  ASSERT_TRUE(receiver.Receive(RefOf(*again), got.data(), next.size()).ok());
  EXPECT_EQ(std::memcmp(got.data(), next.data(), next.size()), 0);
  EXPECT_EQ(receiver.num_mapped(), 1u);
}

TEST(Staging, AnAdoptedSlotGoesBackWhenItsLastOwnerGoes) {
  StagingArea sender, receiver;
  std::vector<char> data = Pattern(1 << 20, 3);
  std::optional<StagingLease> lease = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(lease.has_value());
  absl::StatusOr<std::shared_ptr<char>> adopted = receiver.Adopt(RefOf(*lease), data.size());
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_EQ(std::memcmp(adopted->get(), data.data(), data.size()), 0);
  // Still held: the next tensor needs a slot of its own.
  std::optional<StagingLease> second = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->slot, lease->slot);
  StagingArea::Reclaim(*second);
  adopted->reset();  // the first slot comes back
  std::optional<StagingLease> third = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(sender.num_slots(), 2u);
}

TEST(Staging, AnUnsentLeaseIsTakenBack) {
  StagingArea sender, receiver;
  std::vector<char> data = Pattern(1 << 20, 4);
  std::optional<StagingLease> lease = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(lease.has_value());
  StagingArea::Reclaim(*lease);
  std::vector<char> got(data.size());
  EXPECT_EQ(receiver.Receive(RefOf(*lease), got.data(), got.size()).code(),
            absl::StatusCode::kInvalidArgument);
  std::optional<StagingLease> again = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->slot, lease->slot);
}

// A session lends at most kMaxSlots slots at once; past that the bytes go through the stream.
// A closed area lends nothing and its receivers drop their mappings of its slots.
TEST(Staging, SlotsAreBoundedAndAClosedAreaRetiresThem) {
  StagingArea sender, receiver;
  std::vector<char> data = Pattern(1 << 20, 6);
  std::vector<StagingLease> held;
  for (size_t i = 0; i < StagingArea::kMaxSlots; ++i) {
    std::optional<StagingLease> lease = sender.Lend(data.data(), data.size());
    ASSERT_TRUE(lease.has_value()) << i;
    held.push_back(*lease);
  }
  EXPECT_FALSE(sender.Lend(data.data(), data.size()).has_value());
  std::vector<char> got(data.size());
  ASSERT_TRUE(receiver.Receive(RefOf(held[0]), got.data(), got.size()).ok());
  EXPECT_EQ(receiver.num_mapped(), 1u);
  uint64_t before = StagingArea::ProcessBytes();
  sender.Close();
  EXPECT_EQ(sender.num_slots(), 0u);
  EXPECT_EQ(StagingArea::ProcessBytes(), before - StagingArea::kMaxSlots * (2 << 20));
  EXPECT_FALSE(sender.Lend(data.data(), data.size()).has_value());
  // A lease out when its session ended cannot be read any more.
  EXPECT_EQ(receiver.Receive(RefOf(held[1]), got.data(), got.size()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(receiver.num_mapped(), 1u);  // the retired slot's mapping went; held[1]'s is new
}

TEST(Staging, ForgedReferencesAreValueErrors) {
  StagingArea sender, receiver;
  std::vector<char> data = Pattern(1 << 20, 7);
  std::optional<StagingLease> lease = sender.Lend(data.data(), data.size());
  ASSERT_TRUE(lease.has_value());
  std::vector<char> got(4 << 20);
  auto expect = [&](v1::SharedBytes ref, uint64_t bytes, const std::string& words) {
    absl::Status st = receiver.Receive(ref, got.data(), bytes);
    EXPECT_FALSE(st.ok()) << words;
    EXPECT_NE(st.message().find(words), std::string::npos) << st;
  };
  v1::SharedBytes ref = RefOf(*lease);
  for (uint64_t bad : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}}) {
    v1::SharedBytes forged = ref;
    forged.set_lease(bad);
    expect(forged, data.size(), "malformed staged tensor reference");
  }
  v1::SharedBytes moved = ref;
  moved.set_offset(0);  // the lease word is not tensor bytes
  expect(moved, data.size(), "malformed staged tensor reference");
  expect(ref, 4 << 20, "does not fit its slot");
  v1::SharedBytes wrong_lease = ref;
  wrong_lease.set_lease(ref.lease() + 1);
  expect(wrong_lease, data.size(), "is not under lease");
  v1::SharedBytes other = ref;
  other.set_region("/etc/passwd");
  expect(other, data.size(), "not a shared tensor region name");
  // The real reference still works after all that.
  ASSERT_TRUE(receiver.Receive(ref, got.data(), data.size()).ok());
  EXPECT_EQ(std::memcmp(got.data(), data.data(), data.size()), 0);
}

// Over a session on one host: large tensors by value go through slots, the callee's copy is
// its own (by value, not by reference), a client that adopts gets the result in place, and
// the session's end gives every slot back.
TEST(Staging, BySessionTheCalleesCopyIsPrivateAndTheSlotsGoWithTheSession) {
  auto functions = std::make_shared<testing::MapDispatcher>();
  functions->functions["echo"] = ffi::Function::FromTyped([](ffi::Any x) { return x; });
  functions->functions["fill"] = ffi::Function::FromTyped(
      [](ffi::Tensor t, int value) { std::memset(t.data_ptr(), value, t.GetDataSize()); });
  auto [a, b] = MakeMemoryStreamPair();
  EndpointOptions client_options;
  client_options.adopt_staged = true;
  auto client = Endpoint::Create(std::move(a), nullptr, client_options);
  auto server = Endpoint::Create(std::move(b), functions, {});
  ASSERT_TRUE(server->Start().ok());
  ASSERT_TRUE(client->Start().ok());
  testing::CallGlobal(*client, "echo", {ffi::Any(1)});  // both Hellos have arrived
  ASSERT_TRUE(client->shares_memory());
  uint64_t before = StagingArea::ProcessBytes();

  const int64_t n = 3 << 20;
  ffi::Tensor t =
      ffi::Tensor::FromNDAlloc(Heap{}, ffi::Shape({n}), DLDataType{kDLUInt, 8, 1}, kCpu);
  std::vector<char> data = Pattern(n, 9);
  std::memcpy(t.data_ptr(), data.data(), n);
  testing::CallGlobal(*client, "fill", {ffi::Any(t), ffi::Any(0)});
  EXPECT_EQ(std::memcmp(t.data_ptr(), data.data(), n), 0);  // the server filled its own copy
  EXPECT_GT(StagingArea::ProcessBytes(), before);           // the bytes went through a slot

  ffi::Tensor back = testing::CallGlobal(*client, "echo", {ffi::Any(t)}).cast<ffi::Tensor>();
  ASSERT_EQ(back.numel(), n);
  EXPECT_EQ(std::memcmp(back.data_ptr(), data.data(), n), 0);
  // Adopted: the result is the server's slot itself, not a copy of it.
  EXPECT_NE(SharedRegion::Find(back.data_ptr(), n), nullptr);

  client->Shutdown(absl::CancelledError("test over"));
  server->Shutdown(absl::CancelledError("test over"));
  EXPECT_EQ(StagingArea::ProcessBytes(), before);              // both sides' slots are gone
  EXPECT_EQ(std::memcmp(back.data_ptr(), data.data(), n), 0);  // the adopted view stays valid
}

// Many callers on one session at once: more tensors in flight than a session has slots, so
// some go through slots and the rest through the stream; every one arrives whole and right.
TEST(Staging, ConcurrentCallersGetTheirOwnBytesBack) {
  auto functions = std::make_shared<testing::MapDispatcher>();
  functions->functions["echo"] = ffi::Function::FromTyped([](ffi::Any x) { return x; });
  auto [a, b] = MakeMemoryStreamPair();
  EndpointOptions client_options;
  client_options.adopt_staged = true;
  auto client = Endpoint::Create(std::move(a), nullptr, client_options);
  auto server = Endpoint::Create(std::move(b), functions, {});
  ASSERT_TRUE(server->Start().ok());
  ASSERT_TRUE(client->Start().ok());
  testing::CallGlobal(*client, "echo", {ffi::Any(1)});
  ASSERT_TRUE(client->shares_memory());
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 12; ++c) {
    callers.emplace_back([&, c] {
      const int64_t n = c % 2 == 0 ? (300 << 10) : (2 << 20) + c;
      ffi::Tensor t =
          ffi::Tensor::FromNDAlloc(Heap{}, ffi::Shape({n}), DLDataType{kDLUInt, 8, 1}, kCpu);
      std::vector<ffi::Tensor> held;  // some results kept a while: their slots stay lent
      for (int i = 0; i < 10; ++i) {
        std::memset(t.data_ptr(), c * 16 + i, static_cast<size_t>(n));
        ffi::Tensor back = testing::CallGlobal(*client, "echo", {ffi::Any(t)}).cast<ffi::Tensor>();
        const auto* bytes = static_cast<const uint8_t*>(back.data_ptr());
        if (back.numel() != n || bytes[0] != c * 16 + i || bytes[n - 1] != c * 16 + i ||
            bytes[n / 2] != c * 16 + i) {
          ++wrong;
        }
        if (i % 3 == 0) held.push_back(back);
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  client->Shutdown(absl::CancelledError("test over"));
  server->Shutdown(absl::CancelledError("test over"));
}

}  // namespace
}  // namespace tvmffi::rpc
