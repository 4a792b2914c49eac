// Shared-memory tensors: regions found by address and name, tensors that cross a same-host
// session by reference (the callee writes the caller's bytes), a peer that opted out getting
// bytes instead, and forged references refused with typed errors.
#include "tvmffi/session/shared_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tvm/ffi/tvm_ffi.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "testing/endpoint_helpers.h"
#include "tvmffi/proto/codec.h"
#include "tvmffi/proto/status.h"
#include "tvmffi/session/endpoint.h"

namespace tvmffi::rpc {
namespace {
namespace ffi = tvm::ffi;

constexpr DLDataType kFloat32{kDLFloat, 32, 1};

TEST(SharedRegion, FoundByAddressAndNameUntilItsLastUserGoes) {
  ASSERT_FALSE(SharedMemoryHostId().empty());
  std::string name;
  {
    absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Create(8192);
    ASSERT_TRUE(region.ok()) << region.status();
    name = (*region)->name();
    EXPECT_EQ(name.rfind("/tvmffi-", 0), 0u);
    EXPECT_EQ(SharedRegion::Find((*region)->base() + 100, 8000), *region);
    EXPECT_EQ(SharedRegion::Find((*region)->base() + 100, 8100), nullptr);  // runs past its end
    absl::StatusOr<std::shared_ptr<SharedRegion>> again = SharedRegion::Open(name);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *region);  // this process's own mapping, not a second one
  }
  absl::StatusOr<std::shared_ptr<SharedRegion>> gone = SharedRegion::Open(name);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);  // its owner removed the name
}

TEST(SharedRegion, OnlyItsOwnNamesCanBeOpened) {
  for (const char* name : {"/etc/passwd", "../../etc/passwd", "/tvmffi-", "/tvmffi-xyz",
                           "/tvmffi-0123456789abcdef0123456789ABCDEF", "/other-0123456789abcdef"}) {
    absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Open(name);
    EXPECT_EQ(region.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

// Issue #10, item 2: a region another local user made (or anyone may write) was mapped, and
// its owner's truncation then killed the server with SIGBUS.
TEST(SharedRegion, OnlyThisUsersPrivateRegionsAreMapped) {
  auto make = [](const std::string& name, mode_t mode, uid_t owner) {
    int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(::ftruncate(fd, 4096), 0);
    EXPECT_EQ(::fchmod(fd, mode), 0);
    bool chowned = ::fchown(fd, owner, static_cast<gid_t>(-1)) == 0;
    ::close(fd);
    return chowned;
  };
  std::string open_to_all = "/tvmffi-00000000000000000000000000c0ffee";
  make(open_to_all, 0666, ::geteuid());
  absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Open(open_to_all);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kPermissionDenied) << region.status();
  EXPECT_NE(region.status().message().find("mode 0666"), std::string::npos) << region.status();
  ::shm_unlink(open_to_all.c_str());
  // Another user's private region (needs root to make; CI runs as root).
  std::string foreign = "/tvmffi-00000000000000000000000000beef00";
  if (make(foreign, 0600, 65534)) {
    region = SharedRegion::Open(foreign);
    EXPECT_EQ(region.status().code(), absl::StatusCode::kPermissionDenied) << region.status();
    EXPECT_NE(region.status().message().find("owner uid 65534"), std::string::npos);
  } else {
    EXPECT_NE(::geteuid(), 0u) << "root could not chown a region";
  }
  ::shm_unlink(foreign.c_str());
}

// Issue #10, item 2: a region its owner truncates under this process's mapping raised SIGBUS at
// the next access and ended the process. The fault is now contained: the access reads zeros and
// the region says it is broken.
TEST(SharedRegion, ATruncatedRegionReadsZerosAndIsMarkedBroken) {
  absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Create(1 << 20);
  ASSERT_TRUE(region.ok()) << region.status();
  std::memset((*region)->base(), 1, (*region)->size());
  EXPECT_FALSE((*region)->broken());
  int fd = ::shm_open((*region)->name().c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 4096), 0);  // the first page stays, the rest is gone
  ::close(fd);
  volatile char* bytes = (*region)->base();
  EXPECT_EQ(bytes[(1 << 20) - 1], 0);  // faulted, contained
  EXPECT_TRUE((*region)->broken());
  bytes[8192] = 5;  // writes go to the replacement pages, harmlessly
  EXPECT_EQ(bytes[8192], 5);
}

TEST(SharedRegion, TensorsOwnTheirRegion) {
  absl::StatusOr<ffi::Tensor> t = CreateSharedTensor(ffi::Shape({4, 256}), kFloat32);
  ASSERT_TRUE(t.ok());
  std::memset(t->data_ptr(), 0, 4096);
  EXPECT_NE(SharedRegion::Find(t->data_ptr(), 4096), nullptr);
  EXPECT_EQ(CreateSharedTensor(ffi::Shape({-1}), kFloat32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateSharedTensor(ffi::Shape({int64_t{1} << 40, int64_t{1} << 40}), kFloat32)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);  // the element count overflows
}

using testing::MapDispatcher;

struct Pair {
  std::shared_ptr<Endpoint> client, server;
  ~Pair() {
    client->Shutdown(absl::CancelledError("test over"));
    server->Shutdown(absl::CancelledError("test over"));
  }
  ffi::Any Call(const std::string& name, std::vector<ffi::Any> args) {
    return testing::CallGlobal(*client, name, std::move(args));
  }
};

std::unique_ptr<Pair> MakePair(bool server_shares) {
  auto functions = std::make_shared<MapDispatcher>();
  functions->functions["echo"] = ffi::Function::FromTyped([](ffi::Any x) { return x; });
  functions->functions["fill"] = ffi::Function::FromTyped([](ffi::Tensor t, int value) {
    std::memset(t.data_ptr(), value, t.GetDataSize());
    return static_cast<int64_t>(reinterpret_cast<uintptr_t>(t.data_ptr()) & 0xfff);
  });
  auto [a, b] = MakeMemoryStreamPair();
  EndpointOptions server_options;
  server_options.shared_memory = server_shares;
  auto pair = std::make_unique<Pair>();
  pair->client = Endpoint::Create(std::move(a), nullptr, {});
  pair->server = Endpoint::Create(std::move(b), functions, server_options);
  EXPECT_TRUE(pair->server->Start().ok());
  EXPECT_TRUE(pair->client->Start().ok());
  pair->Call("echo", {ffi::Any(1)});  // both Hellos have arrived
  return pair;
}

TEST(SharedTensors, CrossBySameHostReferenceBothWays) {
  auto pair = MakePair(/*server_shares=*/true);
  EXPECT_TRUE(pair->client->shares_memory());
  EXPECT_TRUE(pair->server->shares_memory());
  absl::StatusOr<ffi::Tensor> t = CreateSharedTensor(ffi::Shape({3 << 20}), kFloat32);
  ASSERT_TRUE(t.ok());
  std::memset(t->data_ptr(), 0, t->GetDataSize());
  pair->Call("fill", {ffi::Any(*t), ffi::Any(7)});
  // The callee wrote the caller's bytes: nothing was copied either way.
  const auto* bytes = static_cast<const unsigned char*>(t->data_ptr());
  EXPECT_EQ(bytes[0], 7);
  EXPECT_EQ(bytes[t->GetDataSize() - 1], 7);
  ffi::Tensor back = pair->Call("echo", {ffi::Any(*t)}).cast<ffi::Tensor>();
  EXPECT_EQ(back.data_ptr(), t->data_ptr());  // a view of the same bytes came home
  EXPECT_EQ(back.shape()[0], 3 << 20);
}

TEST(SharedTensors, APeerThatOptedOutGetsTheBytes) {
  auto pair = MakePair(/*server_shares=*/false);
  EXPECT_FALSE(pair->client->shares_memory());
  absl::StatusOr<ffi::Tensor> t = CreateSharedTensor(ffi::Shape({1024}), kFloat32);
  ASSERT_TRUE(t.ok());
  std::memset(t->data_ptr(), 0, 4096);
  pair->Call("fill", {ffi::Any(*t), ffi::Any(7)});
  EXPECT_EQ(static_cast<const unsigned char*>(t->data_ptr())[0], 0);  // it filled a copy
  ffi::Tensor back = pair->Call("echo", {ffi::Any(*t)}).cast<ffi::Tensor>();
  EXPECT_NE(back.data_ptr(), t->data_ptr());
}

// A peer sending SharedBytes by hand: only live regions of this library, inside their bounds.
TEST(SharedTensors, ForgedReferencesAreTypedErrors) {
  auto functions = std::make_shared<MapDispatcher>();
  functions->functions["echo"] = ffi::Function::FromTyped([](ffi::Any x) { return x; });
  auto [raw, b] = MakeMemoryStreamPair();
  auto server = Endpoint::Create(std::move(b), functions, {});
  ASSERT_TRUE(server->Start().ok());
  v1::Frame hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_shm_host(SharedMemoryHostId());
  ASSERT_TRUE(raw->Write(hello).ok());
  absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Create(4096);
  ASSERT_TRUE(region.ok());
  struct Case {
    std::string region;
    uint64_t offset;
    int64_t elements;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"/etc/passwd", 0, 4, "not a shared tensor region name"},
      {"/tvmffi-00000000000000000000000000000000", 0, 4, "cannot open shared memory"},
      {(*region)->name(), 4000, 1024, "lies outside its region"},
      {(*region)->name(), 1ull << 63, 1, "lies outside its region"},
  };
  uint64_t id = 1;
  for (const Case& c : cases) {
    v1::Frame call;
    call.mutable_call()->set_id(id);
    call.mutable_call()->set_global_name("echo");
    v1::Tensor* t = call.mutable_call()->add_args()->mutable_tensor();
    t->mutable_dtype()->set_code(kDLFloat);
    t->mutable_dtype()->set_bits(32);
    t->mutable_dtype()->set_lanes(1);
    t->add_shape(c.elements);
    t->mutable_device()->set_device_type(kDLCPU);
    t->mutable_shared()->set_region(c.region);
    t->mutable_shared()->set_offset(c.offset);
    ASSERT_TRUE(raw->Write(call).ok());
    v1::Frame reply;
    do {
      ASSERT_TRUE(raw->Read(&reply).ok());
    } while (reply.body_case() != v1::Frame::kRet);
    EXPECT_EQ(reply.ret().id(), id);
    ASSERT_TRUE(reply.ret().has_error()) << c.region;
    EXPECT_NE(reply.ret().error().message().find(c.expect), std::string::npos)
        << reply.ret().error().message();
    ++id;
  }
  server->Shutdown(absl::CancelledError("test over"));
}

}  // namespace
}  // namespace tvmffi::rpc
