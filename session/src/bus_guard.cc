#include "bus_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace tvmffi::rpc::internal {
namespace {

// Read by the signal handler: lock-free atomics only. A slot is taken by CAS on `used`, then
// published by storing `base` last.
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> base{0};
  std::atomic<uint64_t> size{0};
  std::atomic<bool> broken{false};
};
Slot g_slots[kMaxGuardedRegions];
std::atomic<uint64_t> g_contained{0};
struct sigaction g_previous;
std::once_flag g_installed;

void OnBus(int sig, siginfo_t* info, void* context) {
  auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    uintptr_t base = slot.base.load(std::memory_order_acquire);
    if (base == 0 || addr < base || addr - base >= slot.size.load(std::memory_order_relaxed)) {
      continue;
    }
    uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t length = (slot.size.load(std::memory_order_relaxed) + page - 1) / page * page;
    // mmap is a plain system call here: safe in a handler in practice on Linux.
    void* zeros = ::mmap(reinterpret_cast<void*>(base), length, PROT_READ | PROT_WRITE,
                         MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (zeros != MAP_FAILED) {
      slot.broken.store(true, std::memory_order_release);
      g_contained.fetch_add(1, std::memory_order_acq_rel);
      return;  // the faulting access runs again, on the zero pages
    }
    break;
  }
  // Not a guarded region: whoever handled SIGBUS before, else the default (the process ends).
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // the access faults again, now fatally, with the right signal
}

void Install() {
  struct sigaction action {};
  action.sa_sigaction = &OnBus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

int GuardRegion(char* base, uint64_t size) {
  std::call_once(g_installed, Install);
  for (int i = 0; i < kMaxGuardedRegions; ++i) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      continue;
    }
    g_slots[i].broken.store(false, std::memory_order_relaxed);
    g_slots[i].size.store(size, std::memory_order_relaxed);
    g_slots[i].base.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    return i;
  }
  return -1;
}

void UnguardRegion(int slot) {
  if (slot < 0) return;
  g_slots[slot].base.store(0, std::memory_order_release);
  g_slots[slot].used.store(false, std::memory_order_release);
}

bool IsRegionBroken(int slot) {
  return slot >= 0 && g_slots[slot].broken.load(std::memory_order_acquire);
}

uint64_t NumContainedFaults() { return g_contained.load(std::memory_order_acquire); }

}  // namespace tvmffi::rpc::internal
