// Contains the fault a truncated shared region raises. Another process of the same user can
// shrink a shared-memory file under this process's mapping; the next access to the lost pages
// raises SIGBUS, which would end the process. A guarded region's fault is caught instead: the
// handler maps zero pages over the whole region, marks it broken and returns, so the access
// reads zeros (writes go nowhere) and the session fails the call that used the region with a
// typed error. Faults outside guarded regions go to the handler installed before (or end the
// process as usual).
#ifndef TVMFFI_SESSION_SRC_BUS_GUARD_H_
#define TVMFFI_SESSION_SRC_BUS_GUARD_H_

#include <cstdint>

namespace tvmffi::rpc::internal {

// Guards the mapping [base, base + size) (base page-aligned, as mmap returns it); installs the
// handler on first use. Returns a slot for the calls below, or -1 when every slot is taken
// (the caller then refuses to map the region).
int GuardRegion(char* base, uint64_t size);
// Before the mapping is removed.
void UnguardRegion(int slot);
// Whether the region in slot faulted since it was guarded.
bool IsRegionBroken(int slot);
// How many faults were contained in this process so far (a cheap check before a lookup).
uint64_t NumContainedFaults();
// The most regions guarded at once.
constexpr int kMaxGuardedRegions = 4096;

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_BUS_GUARD_H_
