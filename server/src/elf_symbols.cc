#include "elf_symbols.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::internal {
namespace {

constexpr std::string_view kPrefix = "__tvm_ffi_";

// A T at offset within image, or false when it does not fit.
template <typename T>
bool ReadAt(std::string_view image, uint64_t offset, T* out) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) return false;
  std::memcpy(out, image.data() + offset, sizeof(T));
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExportedFunctionNames(std::string_view image) {
  auto bad = [] { return ValueError("not a 64-bit little-endian ELF shared library"); };
  Elf64_Ehdr header;
  if (!ReadAt(image, 0, &header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_shentsize != sizeof(Elf64_Shdr)) {
    return bad();
  }
  std::vector<std::string> names;
  for (uint16_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    if (!ReadAt(image, header.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), &section)) return bad();
    if (section.sh_type != SHT_DYNSYM) continue;
    Elf64_Shdr strings;
    if (section.sh_link >= header.e_shnum ||
        !ReadAt(image, header.e_shoff + uint64_t{section.sh_link} * sizeof(Elf64_Shdr), &strings) ||
        strings.sh_offset > image.size() || image.size() - strings.sh_offset < strings.sh_size ||
        section.sh_offset > image.size() || image.size() - section.sh_offset < section.sh_size) {
      return bad();
    }
    std::string_view table = image.substr(strings.sh_offset, strings.sh_size);
    for (uint64_t at = 0; at + sizeof(Elf64_Sym) <= section.sh_size; at += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      if (!ReadAt(image, section.sh_offset + at, &sym)) return bad();
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
          sym.st_name >= table.size()) {
        continue;
      }
      std::string_view name = table.substr(sym.st_name);
      name = name.substr(0, name.find('\0'));
      if (name.substr(0, kPrefix.size()) != kPrefix || name.size() == kPrefix.size() ||
          name[kPrefix.size()] == '_') {
        continue;
      }
      names.emplace_back(name.substr(kPrefix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace tvmffi::rpc::internal
