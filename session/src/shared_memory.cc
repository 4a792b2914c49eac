#include "tvmffi/session/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/random.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bus_guard.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc {
namespace {

constexpr std::string_view kNamePrefix = "/tvmffi-";
constexpr size_t kNameHexDigits = 32;  // 128 random bits: a name cannot be guessed

// Live regions by base address and by name (weak: the tensors own them).
struct Registry {
  std::mutex mutex;
  std::map<const char*, std::weak_ptr<SharedRegion>> by_base;
  std::unordered_map<std::string, std::weak_ptr<SharedRegion>> by_name;
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();  // outlives static destructors' tensors
  return *registry;
}

bool IsRegionName(std::string_view name) {
  if (name.size() != kNamePrefix.size() + kNameHexDigits ||
      name.substr(0, kNamePrefix.size()) != kNamePrefix) {
    return false;
  }
  for (char c : name.substr(kNamePrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// 128 bits from the kernel's CSPRNG: another local user cannot guess a live region's name.
absl::StatusOr<std::string> NewRegionName() {
  uint64_t bits[2];
  size_t got = 0;
  while (got < sizeof(bits)) {
    ssize_t n = ::getrandom(reinterpret_cast<char*>(bits) + got, sizeof(bits) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return WithErrorKind(
          absl::UnavailableError(absl::StrCat("getrandom failed: ", std::strerror(errno))),
          kind::kRuntimeError);
    }
    got += static_cast<size_t>(n);
  }
  return absl::StrFormat("%s%016x%016x", kNamePrefix, bits[0], bits[1]);
}

absl::Status Errno(absl::StatusCode code, std::string_view what, int err) {
  return WithErrorKind(
      absl::Status(code, absl::StrCat(std::string(what), ": ", std::strerror(err))),
      code == absl::StatusCode::kResourceExhausted ? kind::kMemoryError : kind::kRuntimeError);
}

}  // namespace

absl::StatusOr<std::shared_ptr<SharedRegion>> SharedRegion::Register(std::string name, char* base,
                                                                     uint64_t size, bool owner) {
  int guard = internal::GuardRegion(base, size);
  if (guard < 0) {
    ::munmap(base, size);
    if (owner) ::shm_unlink(name.c_str());
    return MemoryError(absl::StrCat("this process already maps ", internal::kMaxGuardedRegions,
                                    " shared-memory regions"));
  }
  std::shared_ptr<SharedRegion> shared(new SharedRegion(std::move(name), base, size, owner, guard));
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.by_base[shared->base_] = shared;
  r.by_name[shared->name_] = shared;
  return shared;
}

absl::StatusOr<std::shared_ptr<SharedRegion>> SharedRegion::Create(uint64_t bytes) {
  if (bytes == 0) bytes = 1;  // an empty tensor still gets a name to travel by
  TVMFFI_RPC_ASSIGN_OR_RETURN(std::string name, NewRegionName());
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    return Errno(absl::StatusCode::kUnavailable, "cannot create shared memory", err);
  }
  if (int err = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)); err != 0) {
    ::close(fd);
    ::shm_unlink(name.c_str());
    return Errno(absl::StatusCode::kResourceExhausted,
                 absl::StrCat("cannot reserve ", bytes, " bytes of shared memory in /dev/shm"),
                 err);
  }
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  ::close(fd);
  if (base == MAP_FAILED) {
    ::shm_unlink(name.c_str());
    return Errno(absl::StatusCode::kResourceExhausted, "cannot map shared memory", err);
  }
  return Register(std::move(name), static_cast<char*>(base), bytes, /*owner=*/true);
}

absl::StatusOr<std::shared_ptr<SharedRegion>> SharedRegion::Open(std::string_view name) {
  if (!IsRegionName(name)) {
    return ValueError(absl::StrCat("not a shared tensor region name: '", std::string(name), "'"));
  }
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.by_name.find(std::string(name));
    if (it != r.by_name.end()) {
      if (std::shared_ptr<SharedRegion> live = it->second.lock()) return live;
    }
  }
  std::string path(name);
  int fd = ::shm_open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) {
    int err = errno;
    return Errno(err == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kUnavailable,
                 absl::StrCat("cannot open shared memory ", path,
                              err == ENOENT ? " (its owner freed it)" : ""),
                 err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return WithErrorKind(absl::UnavailableError(absl::StrCat("shared memory ", path, " is empty")),
                         kind::kRuntimeError);
  }
  // Only this user's own private regions: another user's (or a group- or world-writable one)
  // could be truncated under the mapping by someone else.
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return PermissionError(absl::StrCat(
        "shared memory ", path, " is not a private region of this server's user (owner uid ",
        st.st_uid, ", mode ", absl::StrFormat("%04o", st.st_mode & 07777),
        "): only regions of uid ", ::geteuid(), " with mode 0600 are mapped"));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  ::close(fd);
  if (base == MAP_FAILED)
    return Errno(absl::StatusCode::kUnavailable, "cannot map shared memory", err);
  return Register(path, static_cast<char*>(base), size, /*owner=*/false);
}

std::shared_ptr<SharedRegion> SharedRegion::Find(const void* data, uint64_t bytes) {
  const char* p = static_cast<const char*>(data);
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.by_base.upper_bound(p);
  if (it == r.by_base.begin()) return nullptr;
  --it;
  std::shared_ptr<SharedRegion> region = it->second.lock();
  if (region == nullptr) return nullptr;
  uint64_t offset = static_cast<uint64_t>(p - region->base_);
  if (offset > region->size_ || bytes > region->size_ - offset) return nullptr;
  return region;
}

SharedRegion::~SharedRegion() {
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mutex);
    // Only this region's entries: a new mapping of the same name may have replaced them.
    auto base = r.by_base.find(base_);
    if (base != r.by_base.end() && base->second.expired()) r.by_base.erase(base);
    auto name = r.by_name.find(name_);
    if (name != r.by_name.end() && name->second.expired()) r.by_name.erase(name);
  }
  internal::UnguardRegion(guard_);
  ::munmap(base_, size_);
  if (owner_) ::shm_unlink(name_.c_str());
}

bool SharedRegion::broken() const { return internal::IsRegionBroken(guard_); }

const std::string& SharedMemoryHostId() {
  static const std::string id = [] {
    std::ifstream boot("/proc/sys/kernel/random/boot_id");
    std::string boot_id;
    struct stat st {};
    if (!std::getline(boot, boot_id) || boot_id.empty() || ::stat("/dev/shm", &st) != 0) {
      return std::string();
    }
    return absl::StrCat(boot_id, "/", st.st_dev, ":", st.st_ino);
  }();
  return id;
}

namespace {
// Tensor memory that is a shared region of its own.
struct SharedAlloc {
  std::shared_ptr<SharedRegion> region;
  void AllocData(DLTensor* t) { t->data = region->base(); }
  void FreeData(DLTensor*) { region.reset(); }
};
}  // namespace

absl::StatusOr<tvm::ffi::Tensor> CreateSharedTensor(tvm::ffi::ShapeView shape, DLDataType dtype) {
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(numel, d, &numel)) {
      return ValueError(
          "a shared tensor's extents must be >= 0 and their product fit "
          "64 bits");
    }
  }
  uint64_t bytes = tvm::ffi::GetDataSize(numel, dtype);
  absl::StatusOr<std::shared_ptr<SharedRegion>> region = SharedRegion::Create(bytes);
  if (!region.ok()) return region.status();
  return tvm::ffi::Tensor::FromNDAlloc(SharedAlloc{*std::move(region)}, shape, dtype,
                                       DLDevice{kDLCPU, 0});
}

}  // namespace tvmffi::rpc
