// DLDataType <-> string: "int32", "uint8", "float16x4", "bool", "handle", "bfloat16",
// "float8_e4m3fn", "int32xvscalex4" (scalable vector, negative lanes), "custom[name]64", "" (void).
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <cstring>
#include <string>
#include <string_view>

namespace tvm {
namespace ffi {
namespace {

// Codes >= this are tvm-ffi's custom dtypes, named through the "dtype.get_custom_type_*" globals.
constexpr int kCustomCodeBegin = 129;

struct NamedCode {
  const char* name;
  int code;
  int fixed_bits;  // 0: bits come from the string
};

// Longest names first so that prefixes ("float8_e4m3") do not shadow longer ones.
constexpr NamedCode kFloatSubByte[] = {
    {"float8_e4m3b11fnuz", kDLFloat8_e4m3b11fnuz, 8},
    {"float8_e4m3fnuz", kDLFloat8_e4m3fnuz, 8},
    {"float8_e5m2fnuz", kDLFloat8_e5m2fnuz, 8},
    {"float8_e8m0fnu", kDLFloat8_e8m0fnu, 8},
    {"float8_e4m3fn", kDLFloat8_e4m3fn, 8},
    {"float6_e2m3fn", kDLFloat6_e2m3fn, 6},
    {"float6_e3m2fn", kDLFloat6_e3m2fn, 6},
    {"float4_e2m1fn", kDLFloat4_e2m1fn, 4},
    {"float8_e3m4", kDLFloat8_e3m4, 8},
    {"float8_e4m3", kDLFloat8_e4m3, 8},
    {"float8_e5m2", kDLFloat8_e5m2, 8},
};

constexpr NamedCode kBasic[] = {
    {"bfloat", kDLBfloat, 0}, {"complex", kDLComplex, 0}, {"handle", kDLOpaqueHandle, 0},
    {"float", kDLFloat, 0},   {"uint", kDLUInt, 0},       {"bool", kDLBool, 0},
    {"int", kDLInt, 0},
};

// The first entry whose name prefixes *rest; consumes the name.
template <size_t N>
const NamedCode* MatchPrefix(const NamedCode (&table)[N], std::string_view* rest) {
  for (const NamedCode& c : table) {
    size_t n = std::strlen(c.name);
    if (rest->substr(0, n) == c.name) {
      rest->remove_prefix(n);
      return &c;
    }
  }
  return nullptr;
}

int DefaultBits(int code) {
  switch (code) {
    case kDLBfloat:
      return 16;
    case kDLComplex:
      return 64;
    case kDLOpaqueHandle:
      return 64;
    case kDLBool:
      return 8;
    default:
      return 32;
  }
}

bool ConsumeDigits(std::string_view* rest, uint32_t* value) {
  size_t n = 0;
  uint64_t v = 0;
  while (n < rest->size() && (*rest)[n] >= '0' && (*rest)[n] <= '9') {
    v = v * 10 + static_cast<uint64_t>((*rest)[n] - '0');
    if (v > 0xFFFF) return false;
    ++n;
  }
  if (n == 0) return false;
  *value = static_cast<uint32_t>(v);
  rest->remove_prefix(n);
  return true;
}

[[noreturn]] void Unknown(std::string_view str) {
  TVM_FFI_THROW(ValueError) << "unknown dtype `" << str << '`';
  TVM_FFI_UNREACHABLE();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The short spellings ("i32", "u8", "f16", "bf16", "f8_e4m3fn", "fp8_e5m2", "fp4_e2m1fn") in
// their long form; any other string as it is.
std::string_view Unalias(std::string_view str, std::string* storage) {
  struct Alias {
    const char* prefix;
    bool digit_follows;  // the alias is the prefix and then a digit ("i32"), not a word
    const char* canonical;
  };
  static constexpr Alias kAliases[] = {
      {"i", true, "int"},         {"u", true, "uint"},        {"bf", true, "bfloat"},
      {"fp8_", false, "float8_"}, {"fp6_", false, "float6_"}, {"fp4_", false, "float4_"},
      {"f8_", false, "float8_"},  {"f6_", false, "float6_"},  {"f4_", false, "float4_"},
      {"f", true, "float"},
  };
  for (const Alias& a : kAliases) {
    size_t n = std::strlen(a.prefix);
    if (str.substr(0, n) != a.prefix) continue;
    if (a.digit_follows && (str.size() <= n || !IsDigit(str[n]))) continue;
    storage->assign(a.canonical);
    storage->append(str.substr(n));
    return *storage;
  }
  return str;
}

DLDataType Parse(std::string_view original) {
  DLDataType dtype;
  if (original.empty() || original == "void") {
    dtype.code = kDLOpaqueHandle;
    dtype.bits = 0;
    dtype.lanes = 0;
    return dtype;
  }
  std::string storage;
  std::string_view str = Unalias(original, &storage);
  std::string_view rest = str;
  int code = -1;
  int fixed_bits = 0;
  if (rest.substr(0, 7) == "custom[") {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      TVM_FFI_THROW(ValueError) << "expected closing brace after 'custom' type in " << str;
    }
    std::string name(rest.substr(7, close - 7));
    static Function get_code = Function::GetGlobalRequired("dtype.get_custom_type_code");
    code = get_code(name).cast<int>();
    rest.remove_prefix(close + 1);
  } else {
    const NamedCode* match = MatchPrefix(kFloatSubByte, &rest);
    if (match == nullptr) match = MatchPrefix(kBasic, &rest);
    if (match == nullptr) Unknown(original);
    code = match->code;
    fixed_bits = match->fixed_bits;
    // float4 packs two to a byte, and its lanes may be written "_x2" as well as "x2"
    if (code == kDLFloat4_e2m1fn && rest.substr(0, 2) == "_x") rest.remove_prefix(1);
  }
  dtype.code = static_cast<uint8_t>(code);
  dtype.bits = static_cast<uint8_t>(fixed_bits != 0 ? fixed_bits : DefaultBits(code));
  dtype.lanes = 1;
  uint32_t value = 0;
  if (fixed_bits == 0 && !rest.empty() && IsDigit(rest[0])) {
    if (!ConsumeDigits(&rest, &value) || value == 0 || value > 255) Unknown(original);
    dtype.bits = static_cast<uint8_t>(value);
  }
  if (!rest.empty()) {
    int sign = 1;
    if (rest.substr(0, 7) == "xvscale") {
      sign = -1;
      rest.remove_prefix(7);
    }
    if (rest.empty() || rest[0] != 'x') Unknown(original);
    rest.remove_prefix(1);
    if (!ConsumeDigits(&rest, &value) || !rest.empty()) Unknown(original);
    dtype.lanes = static_cast<uint16_t>(sign * static_cast<int32_t>(value));
  }
  return dtype;
}

const char* CodeName(int code) {
  switch (code) {
    case kDLInt:
      return "int";
    case kDLUInt:
      return "uint";
    case kDLFloat:
      return "float";
    case kDLOpaqueHandle:
      return "handle";
    case kDLBfloat:
      return "bfloat";
    case kDLComplex:
      return "complex";
    case kDLBool:
      return "bool";
    default:
      break;
  }
  for (const NamedCode& c : kFloatSubByte) {
    if (c.code == code) return c.name;
  }
  return nullptr;
}

std::string Format(DLDataType dtype) {
  if (dtype.code == kDLBool && dtype.bits == 8 && dtype.lanes == 1) return "bool";
  if (dtype.code == kDLOpaqueHandle && dtype.bits == 0 && dtype.lanes == 0) return "";
  std::string out;
  if (dtype.code >= kCustomCodeBegin) {
    static Function get_name = Function::GetGlobalRequired("dtype.get_custom_type_name");
    out = "custom[" + get_name(static_cast<int>(dtype.code)).cast<std::string>() + "]";
  } else {
    const char* name = CodeName(dtype.code);
    if (name == nullptr) {
      TVM_FFI_THROW(ValueError) << "DLDataType contains unknown type_code="
                                << static_cast<int>(dtype.code);
    }
    out = name;
  }
  if (dtype.code == kDLOpaqueHandle) return out;
  // Sub-byte float names carry their width; bool8 is plain "bool".
  bool named_width = dtype.code >= kDLFloat8_e3m4 && dtype.code < kCustomCodeBegin;
  if (!named_width && !(dtype.code == kDLBool && dtype.bits == 8)) {
    out += std::to_string(static_cast<int>(dtype.bits));
  }
  int16_t lanes = static_cast<int16_t>(dtype.lanes);
  if (lanes > 1) {
    out += "x" + std::to_string(lanes);
  } else if (lanes < -1) {
    out += "xvscalex" + std::to_string(-lanes);
  }
  return out;
}

}  // namespace
}  // namespace ffi
}  // namespace tvm

int TVMFFIDataTypeFromString(const TVMFFIByteArray* str, DLDataType* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  *out = tvm::ffi::Parse(std::string_view(str->data, str->size));
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFIDataTypeToString(const DLDataType* dtype, TVMFFIAny* out) {
  TVM_FFI_SAFE_CALL_BEGIN();
  tvm::ffi::TypeTraits<tvm::ffi::String>::MoveToAny(tvm::ffi::String(tvm::ffi::Format(*dtype)),
                                                    out);
  TVM_FFI_SAFE_CALL_END();
}
