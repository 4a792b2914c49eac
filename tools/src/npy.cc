#include "npy.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tvmffi::rpc::tools {
namespace ffi = tvm::ffi;
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

struct HeapAlloc {
  void AllocData(DLTensor* t) {
    size_t bytes = ffi::GetDataSize(*t);
    t->data = std::malloc(bytes == 0 ? 1 : bytes);
  }
  void FreeData(DLTensor* t) { std::free(t->data); }
};

absl::Status Bad(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": not a .npy tensor this tool reads: ", why));
}

// '<f4' -> float32, '|u1' -> uint8, '|b1' -> bool; nullopt-like false for the rest.
bool DtypeOf(std::string descr, DLDataType* out) {
  if (descr.size() < 3) return false;
  char order = descr[0];
  char kind = descr[1];
  int bytes = 0;
  if (!absl::SimpleAtoi(descr.substr(2), &bytes) || bytes <= 0 || bytes > 8) return false;
  if (order == '>' && bytes > 1) return false;  // big-endian
  if (order != '<' && order != '|' && order != '=' && order != '>') return false;
  switch (kind) {
    case 'f':
      if (bytes != 2 && bytes != 4 && bytes != 8) return false;
      *out = DLDataType{kDLFloat, static_cast<uint8_t>(bytes * 8), 1};
      return true;
    case 'i':
      *out = DLDataType{kDLInt, static_cast<uint8_t>(bytes * 8), 1};
      return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8;
    case 'u':
      *out = DLDataType{kDLUInt, static_cast<uint8_t>(bytes * 8), 1};
      return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8;
    case 'b':
      *out = DLDataType{kDLBool, 8, 1};
      return bytes == 1;
    default:
      return false;
  }
}

bool DescrOf(DLDataType dtype, std::string* out) {
  if (dtype.lanes != 1 || dtype.bits % 8 != 0) return false;
  int bytes = dtype.bits / 8;
  char kind = dtype.code == kDLFloat  ? 'f'
              : dtype.code == kDLInt  ? 'i'
              : dtype.code == kDLUInt ? 'u'
              : dtype.code == kDLBool ? 'b'
                                      : '\0';
  if (kind == '\0') return false;
  *out = absl::StrCat(bytes == 1 ? "|" : "<", std::string(1, kind), bytes);
  return true;
}

// The value of 'key' in the header dict: the text after "'key':" up to the matching end.
bool Field(const std::string& header, const std::string& key, std::string* out) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return false;
  size_t colon = header.find(':', at);
  if (colon == std::string::npos) return false;
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) return false;
  size_t end;
  if (header[start] == '\'') {
    end = header.find('\'', start + 1);
    if (end == std::string::npos) return false;
    *out = header.substr(start + 1, end - start - 1);
  } else if (header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) return false;
    *out = header.substr(start + 1, end - start - 1);
  } else {
    end = header.find_first_of(",}", start);
    if (end == std::string::npos) return false;
    *out = std::string(absl::StripAsciiWhitespace(header.substr(start, end - start)));
  }
  return true;
}

}  // namespace

absl::StatusOr<ffi::Tensor> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < kMagicBytes + 4 || bytes.compare(0, kMagicBytes, kMagic, kMagicBytes) != 0) {
    return Bad(path, "no .npy magic");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, header_at = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_at = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Bad(path, "truncated header");
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    }
    header_at = 12;
  } else {
    return Bad(path, absl::StrCat("format version ", major));
  }
  if (header_at + header_len > bytes.size()) return Bad(path, "truncated header");
  std::string header = bytes.substr(header_at, header_len);
  std::string descr, fortran, shape_text;
  if (!Field(header, "descr", &descr) || !Field(header, "fortran_order", &fortran) ||
      !Field(header, "shape", &shape_text)) {
    return Bad(path, "header without descr, fortran_order and shape");
  }
  if (fortran != "False") return Bad(path, "Fortran order (save it in C order)");
  DLDataType dtype;
  if (!DtypeOf(descr, &dtype)) return Bad(path, absl::StrCat("dtype '", descr, "'"));
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(shape_text, ',', absl::SkipWhitespace())) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &d) || d < 0) {
      return Bad(path, absl::StrCat("shape (", shape_text, ")"));
    }
    shape.push_back(d);
  }
  if (shape.size() > 64) return Bad(path, "more than 64 dimensions");
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d != 0 && numel > UINT64_MAX / static_cast<uint64_t>(d)) return Bad(path, "too large");
    numel *= static_cast<uint64_t>(d);
  }
  size_t data_at = header_at + header_len;
  uint64_t expect = numel * (dtype.bits / 8);
  if (numel != 0 && expect / numel != static_cast<uint64_t>(dtype.bits / 8)) {
    return Bad(path, "too large");
  }
  if (bytes.size() - data_at != expect) {
    return Bad(path, absl::StrCat("has ", bytes.size() - data_at,
                                  " bytes of data, its shape needs ", expect));
  }
  ffi::Tensor t = ffi::Tensor::FromNDAlloc(HeapAlloc{}, ffi::ShapeView(shape.data(), shape.size()),
                                           dtype, DLDevice{kDLCPU, 0});
  if (expect != 0) std::memcpy(t.data_ptr(), bytes.data() + data_at, expect);
  return t;
}

absl::Status WriteNpy(const std::string& path, const ffi::Tensor& t) {
  std::string descr;
  if (!DescrOf(t.dtype(), &descr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write a tensor of ", std::string(ffi::DLDataTypeToString(t.dtype())), " as .npy"));
  }
  if (t.device().device_type != kDLCPU || !t.IsContiguous()) {
    return absl::InvalidArgumentError("only a compact CPU tensor can be written as .npy");
  }
  ffi::ShapeView shape = t.shape();
  std::string dims = absl::StrJoin(shape.begin(), shape.end(), ", ");
  if (shape.size() == 1) dims += ",";
  std::string header =
      absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (", dims, "), }");
  // Magic, version, length, header: padded with spaces to a multiple of 64, ending in '\n'.
  size_t total = kMagicBytes + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  out.write(kMagic, kMagicBytes);
  char version_and_len[4] = {1, 0, static_cast<char>(header.size() & 0xff),
                             static_cast<char>(header.size() >> 8)};
  out.write(version_and_len, 4);
  out << header;
  const char* data = static_cast<const char*>(t.data_ptr()) + t->byte_offset;
  out.write(data, static_cast<std::streamsize>(t.GetDataSize()));
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("writing ", path, " failed"));
  return absl::OkStatus();
}

}  // namespace tvmffi::rpc::tools
