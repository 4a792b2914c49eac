#include "code_address.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cstdint>

namespace tvm {
namespace ffi {
namespace internal {
namespace {

struct SegmentQuery {
  uintptr_t addr;
  bool executable = false;
};

int FindSegment(struct dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<SegmentQuery*>(data);
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (query->addr >= start && query->addr - start < ph.p_memsz) {
      query->executable = (ph.p_flags & PF_X) != 0;
      return 1;  // found: stop iterating
    }
  }
  return 0;
}

}  // namespace

bool IsCodeAddress(const void* addr) {
  if (addr == nullptr) return false;
  Dl_info info;
  void* extra = nullptr;
  if (dladdr1(addr, &info, &extra, RTLD_DL_SYMENT) != 0 && extra != nullptr &&
      info.dli_saddr == addr) {
    unsigned type = ELF64_ST_TYPE(static_cast<const ElfW(Sym)*>(extra)->st_info);
    return type == STT_FUNC || type == STT_GNU_IFUNC;
  }
  SegmentQuery query{reinterpret_cast<uintptr_t>(addr)};
  dl_iterate_phdr(FindSegment, &query);
  return query.executable;
}

}  // namespace internal
}  // namespace ffi
}  // namespace tvm
