// Same-host staging of tensors sent by value. When both peers share memory, a large host
// tensor passed by value does not go through the stream: the sender copies its bytes into a
// slot in shared memory and sends the slot's name and a lease; the receiver copies them out
// into memory of its own and hands the slot back. One copy each way and no socket, and the
// receiver's tensor is private, as any tensor received by value is.
//
// A slot is a shared-memory region of its own; its first 64 bytes hold the lease word, the
// bytes follow:
//   0         free: the sender may lend it
//   1         being filled (or being retired) by the sender
//   id > 1    lent under lease id: the receiver copies out, then swaps id for 0
//   kRetired  the sender dropped it: a receiver drops its mapping too
// The sender publishes the id after its copy (a release store) and the receiver loads it
// before its own (acquire), so the word itself orders the bytes.
//
// Slots belong to one session (an Endpoint's StagingArea) and its peer process. The receiver
// removes a slot's name when it first maps it, so no file is left in /dev/shm when either
// process dies: the memory goes with the last mapping.
#ifndef TVMFFI_SESSION_SRC_STAGING_H_
#define TVMFFI_SESSION_SRC_STAGING_H_

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tvmffi/rpc/v1/ffi.pb.h"
#include "tvmffi/session/shared_memory.h"

namespace tvmffi::rpc::internal {

// Tensors smaller than this go inline or through the stream: a slot costs more.
inline constexpr uint64_t kStagingThreshold = 256 << 10;
// Where a slot's bytes start (the lease word is before them).
inline constexpr uint64_t kStagingHeaderBytes = 64;

struct StagingLease {
  std::shared_ptr<SharedRegion> slot;
  uint64_t id = 0;
};

// One session's staging: the slots it lends (sending) and the peer's slots it has mapped
// (receiving). Thread-safe.
class StagingArea {
 public:
  // Bytes of shared memory in all slots of all sessions of this process, lent or free.
  static constexpr uint64_t kMaxProcessBytes = 1ull << 30;
  // Slots one session keeps, and peer slots it keeps mapped.
  static constexpr size_t kMaxSlots = 8;
  static constexpr size_t kMaxMapped = 2 * kMaxSlots;

  StagingArea() = default;
  ~StagingArea() { Close(); }
  StagingArea(const StagingArea&) = delete;
  StagingArea& operator=(const StagingArea&) = delete;

  // Copies bytes from data into a free slot (a new one when none fits) and lends it. nullopt
  // when no slot can be had (the bounds are reached with every slot lent, or /dev/shm is
  // full): the caller then sends the bytes through the stream.
  std::optional<StagingLease> Lend(const char* data, uint64_t bytes);
  // The session ended: drops every slot and mapping (a receiver still copying from a slot
  // keeps its own mapping, and fails to hand it back); Lend has none to give from now on.
  void Close();
  // Takes back a lease whose frame was never sent. A returned lease is left alone.
  static void Reclaim(const StagingLease& lease);

  // The receiver's side: copies the staged bytes `shared` names into dest (bytes long), then
  // hands the slot back. A ValueError for a reference that is not a live lease that big.
  absl::Status Receive(const v1::SharedBytes& shared, char* dest, uint64_t bytes);

  // The same, without the copy: the bytes in place, for a receiver that trusts the sender not
  // to write a slot it lent (a client, of its server). The slot goes back when the pointer
  // (and the tensor made on it) goes.
  absl::StatusOr<std::shared_ptr<char>> Adopt(const v1::SharedBytes& shared, uint64_t bytes);

  // Bytes of shared memory in this process's slots (all sessions).
  static uint64_t ProcessBytes();
  size_t num_slots() const;
  size_t num_mapped() const;

 private:
  struct Slot {
    std::shared_ptr<SharedRegion> region;
    int64_t last_lent_ns = 0;
  };
  // Retires free slots, largest first, until `bytes` more fit under the bounds; false when
  // they cannot. Holds mutex_.
  bool MakeRoom(uint64_t bytes);
  void Retire(Slot& slot);  // holds mutex_; the slot's word is 1
  // The peer's slot `shared` names, mapped, checked to hold `bytes` under its lease.
  absl::StatusOr<std::shared_ptr<SharedRegion>> MapLent(const v1::SharedBytes& shared,
                                                        uint64_t bytes);

  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  uint64_t next_id_ = 2;
  bool closed_ = false;
  std::list<std::shared_ptr<SharedRegion>> mapped_;  // most recently used first
};

// memcpy, split over a few threads when large (one core does not reach memory bandwidth).
void CopyBytes(char* dst, const char* src, uint64_t bytes);

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_STAGING_H_
