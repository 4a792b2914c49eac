#include "staging.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {
namespace {

constexpr uint64_t kFree = 0;
constexpr uint64_t kBusy = 1;
constexpr uint64_t kRetired = ~0ull;
constexpr uint64_t kMinSlotBytes = 1 << 20;
constexpr int64_t kIdleSlotNs = 30'000'000'000;  // a free slot unused this long is dropped

std::atomic<uint64_t> g_process_bytes{0};

uint64_t* LeaseWord(const SharedRegion& region) {
  return reinterpret_cast<uint64_t*>(region.base());
}

uint64_t LoadWord(const SharedRegion& region) {
  return __atomic_load_n(LeaseWord(region), __ATOMIC_ACQUIRE);
}

bool SwapWord(const SharedRegion& region, uint64_t expected, uint64_t desired) {
  return __atomic_compare_exchange_n(LeaseWord(region), &expected, desired, /*weak=*/false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// Counts `bytes` more against the process's bound, unless that would pass it (other sessions
// reserve concurrently: the bound holds exactly).
bool Reserve(uint64_t bytes) {
  uint64_t now = g_process_bytes.load(std::memory_order_relaxed);
  do {
    if (now + bytes > StagingArea::kMaxProcessBytes) return false;
  } while (!g_process_bytes.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
  return true;
}

uint64_t SlotBytesFor(uint64_t bytes) {
  uint64_t need = bytes + kStagingHeaderBytes;
  return std::max(kMinSlotBytes, (need + kMinSlotBytes - 1) / kMinSlotBytes * kMinSlotBytes);
}

// A slot fits when it is big enough and not more than twice what is needed.
bool Fits(const SharedRegion& region, uint64_t bytes) {
  uint64_t need = SlotBytesFor(bytes);
  return region.size() >= bytes + kStagingHeaderBytes && region.size() <= 2 * need;
}

}  // namespace

void CopyBytes(char* dst, const char* src, uint64_t bytes) {
  if (bytes == 0) return;  // either pointer may be null then
  constexpr uint64_t kPerThread = 4 << 20;
  unsigned cores = std::thread::hardware_concurrency();
  uint64_t parts = std::min<uint64_t>({bytes / kPerThread, cores == 0 ? 1 : cores, 4});
  if (parts <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
  uint64_t step = (bytes / parts + 63) / 64 * 64;
  std::vector<std::thread> helpers;
  uint64_t inline_from = step;  // what no helper took is copied here
  for (uint64_t offset = step; offset < bytes; offset += step) {
    uint64_t n = std::min(step, bytes - offset);
    try {
      helpers.emplace_back([=] { std::memcpy(dst + offset, src + offset, n); });
    } catch (const std::system_error&) {
      inline_from = offset;  // no thread to be had: the rest here
      break;
    }
    inline_from = offset + n;
  }
  std::memcpy(dst, src, std::min(step, bytes));
  if (inline_from < bytes) std::memcpy(dst + inline_from, src + inline_from, bytes - inline_from);
  for (std::thread& t : helpers) t.join();
}

void StagingArea::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  // The session is over: a receiver still copying a lent slot fails its hand-back, and drops
  // its mapping at its next receive.
  for (Slot& slot : slots_) Retire(slot);
  slots_.clear();
  mapped_.clear();
}

void StagingArea::Retire(Slot& slot) {
  __atomic_store_n(LeaseWord(*slot.region), kRetired, __ATOMIC_RELEASE);
  g_process_bytes.fetch_sub(slot.region->size(), std::memory_order_relaxed);
  slot.region.reset();
}

bool StagingArea::MakeRoom(uint64_t bytes) {
  int64_t now = absl::GetCurrentTimeNanos();
  auto drop = [&](size_t i) {
    Retire(slots_[i]);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
  };
  // Idle slots first, then free ones from the largest, while the bounds are not met.
  for (size_t i = slots_.size(); i-- > 0;) {
    if (now - slots_[i].last_lent_ns > kIdleSlotNs && SwapWord(*slots_[i].region, kFree, kBusy)) {
      drop(i);
    }
  }
  auto over = [&] {
    return slots_.size() >= kMaxSlots ||
           g_process_bytes.load(std::memory_order_relaxed) + bytes > kMaxProcessBytes;
  };
  while (over()) {
    size_t largest = slots_.size();
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (LoadWord(*slots_[i].region) != kFree) continue;
      if (largest == slots_.size() || slots_[i].region->size() > slots_[largest].region->size()) {
        largest = i;
      }
    }
    if (largest == slots_.size() || !SwapWord(*slots_[largest].region, kFree, kBusy)) {
      return false;
    }
    drop(largest);
  }
  return true;
}

std::optional<StagingLease> StagingArea::Lend(const char* data, uint64_t bytes) {
  std::shared_ptr<SharedRegion> region;
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return std::nullopt;
    id = next_id_++;
    Slot* best = nullptr;
    for (Slot& slot : slots_) {
      if (!Fits(*slot.region, bytes) || LoadWord(*slot.region) != kFree) continue;
      if (best == nullptr || slot.region->size() < best->region->size()) best = &slot;
    }
    if (best != nullptr && SwapWord(*best->region, kFree, kBusy)) {
      best->last_lent_ns = absl::GetCurrentTimeNanos();
      region = best->region;
    } else {
      uint64_t size = SlotBytesFor(bytes);
      if (!MakeRoom(size) || !Reserve(size)) return std::nullopt;
      // Created under the lock: one session's slots are made one at a time.
      absl::StatusOr<std::shared_ptr<SharedRegion>> created = SharedRegion::Create(size);
      if (!created.ok()) {  // /dev/shm is full: through the stream instead
        g_process_bytes.fetch_sub(size, std::memory_order_relaxed);
        return std::nullopt;
      }
      region = *std::move(created);
      __atomic_store_n(LeaseWord(*region), kBusy, __ATOMIC_RELAXED);
      slots_.push_back(Slot{region, absl::GetCurrentTimeNanos()});
    }
  }
  CopyBytes(region->base() + kStagingHeaderBytes, data, bytes);
  __atomic_store_n(LeaseWord(*region), id, __ATOMIC_RELEASE);
  return StagingLease{std::move(region), id};
}

void StagingArea::Reclaim(const StagingLease& lease) { SwapWord(*lease.slot, lease.id, kFree); }

absl::StatusOr<std::shared_ptr<SharedRegion>> StagingArea::MapLent(const v1::SharedBytes& shared,
                                                                   uint64_t bytes) {
  if (shared.lease() <= kBusy || shared.lease() == kRetired ||
      shared.offset() != kStagingHeaderBytes) {
    return ValueError("protocol error: malformed staged tensor reference");
  }
  std::shared_ptr<SharedRegion> region;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = mapped_.begin(); it != mapped_.end();) {
      if ((*it)->size() >= kStagingHeaderBytes && LoadWord(**it) == kRetired) {
        it = mapped_.erase(it);  // the sender dropped it
      } else if ((*it)->name() == shared.region()) {
        region = *it;
        mapped_.splice(mapped_.begin(), mapped_, it);
        break;
      } else {
        ++it;
      }
    }
  }
  if (region == nullptr) {
    absl::StatusOr<std::shared_ptr<SharedRegion>> opened = SharedRegion::Open(shared.region());
    if (!opened.ok()) return opened.status();
    region = *std::move(opened);
    // Mapped here and by the sender: the name is no longer needed, and without it nothing is
    // left in /dev/shm when either process dies.
    ::shm_unlink(region->name().c_str());
    std::lock_guard<std::mutex> lock(mutex_);
    mapped_.push_front(region);
    if (mapped_.size() > kMaxMapped) mapped_.pop_back();
  }
  if (region->size() < kStagingHeaderBytes || bytes > region->size() - kStagingHeaderBytes) {
    return ValueError(absl::StrCat("staged tensor of ", bytes, " bytes does not fit its slot of ",
                                   region->size(), " bytes"));
  }
  if (LoadWord(*region) != shared.lease()) {
    return ValueError(absl::StrCat("staged tensor in ", region->name(), " is not under lease ",
                                   shared.lease(), " (returned already, or taken back)"));
  }
  return region;
}

absl::Status StagingArea::Receive(const v1::SharedBytes& shared, char* dest, uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(std::shared_ptr<SharedRegion> region, MapLent(shared, bytes));
  CopyBytes(dest, region->base() + kStagingHeaderBytes, bytes);
  if (region->broken()) {
    return ValueError(absl::StrCat("shared memory ", region->name(),
                                   " was truncated by another process while this side read it"));
  }
  if (!SwapWord(*region, shared.lease(), kFree)) {
    return ValueError(absl::StrCat("staged tensor in ", region->name(),
                                   " was taken back by its sender while this side read it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<char>> StagingArea::Adopt(const v1::SharedBytes& shared,
                                                         uint64_t bytes) {
  TVMFFI_RPC_ASSIGN_OR_RETURN(std::shared_ptr<SharedRegion> region, MapLent(shared, bytes));
  char* data = region->base() + kStagingHeaderBytes;
  uint64_t lease = shared.lease();
  // Owns the mapping; hands the slot back when the last tensor on it goes.
  return std::shared_ptr<char>(
      data, [region = std::move(region), lease](char*) { SwapWord(*region, lease, kFree); });
}

uint64_t StagingArea::ProcessBytes() { return g_process_bytes.load(std::memory_order_relaxed); }

size_t StagingArea::num_slots() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
}

size_t StagingArea::num_mapped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mapped_.size();
}

}  // namespace tvmffi::rpc::internal
