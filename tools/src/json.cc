#include "json.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::tools {
namespace ffi = tvm::ffi;
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<ffi::Any> ParseAll() {
    TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any v, Value(0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the value");
    return v;
  }

 private:
  absl::Status Error(absl::string_view what) {
    return ValueError(absl::StrCat("bad JSON argument `",
                                   absl::string_view(text_.data(), text_.size()), "`: ", what,
                                   " at offset ", pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::StatusOr<ffi::Any> Value(int depth) {
    if (depth > 64) return Error("nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("missing value");
    char c = text_[pos_];
    if (c == '"') {
      TVMFFI_RPC_ASSIGN_OR_RETURN(std::string s, String());
      return ffi::Any(ffi::String(s));
    }
    if (c == '[') return Array(depth);
    if (c == '{') return Object(depth);
    if (Consume("true")) return ffi::Any(true);
    if (Consume("false")) return ffi::Any(false);
    if (Consume("null")) return ffi::Any();
    return Number();
  }

  absl::StatusOr<ffi::Any> Number() {
    size_t start = pos_;
    bool is_float = false;
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || ((c == '-' || c == '+') && is_float)) {
        is_float = true;
        ++pos_;
      } else {
        break;
      }
    }
    std::string num(text_.substr(start, pos_ - start));
    if (num.empty() || num == "-" || num == "+") return Error("expected a value");
    char* end = nullptr;
    if (is_float) {
      double d = std::strtod(num.c_str(), &end);
      if (*end != '\0') return Error("bad number");
      return ffi::Any(d);
    }
    errno = 0;
    long long v = std::strtoll(num.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE) return Error("bad or out-of-range integer");
    return ffi::Any(static_cast<int64_t>(v));
  }

  absl::StatusOr<std::string> String() {
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return Error("bad \\u escape");
          unsigned code = static_cast<unsigned>(
              std::strtoul(std::string(text_.substr(pos_, 4)).c_str(), nullptr, 16));
          pos_ += 4;
          // UTF-8 encode (basic multilingual plane).
          if (code < 0x80) {
            out.push_back(static_cast<char>(code));
          } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (code >> 6)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
          } else {
            out.push_back(static_cast<char>(0xE0 | (code >> 12)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
          }
          break;
        }
        default:
          out.push_back(e);  // \" \\ \/
      }
    }
    return Error("unterminated string");
  }

  absl::StatusOr<ffi::Any> Array(int depth) {
    ++pos_;
    ffi::Array<ffi::Any> out;
    SkipSpace();
    if (Consume("]")) return ffi::Any(out);
    while (true) {
      TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any v, Value(depth + 1));
      out.push_back(v);
      SkipSpace();
      if (Consume("]")) return ffi::Any(out);
      if (!Consume(",")) return Error("expected , or ]");
    }
  }

  absl::StatusOr<ffi::Any> Object(int depth) {
    ++pos_;
    ffi::Map<ffi::String, ffi::Any> out;
    SkipSpace();
    if (Consume("}")) return ffi::Any(out);
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a key string");
      TVMFFI_RPC_ASSIGN_OR_RETURN(std::string key, String());
      SkipSpace();
      if (!Consume(":")) return Error("expected :");
      TVMFFI_RPC_ASSIGN_OR_RETURN(ffi::Any v, Value(depth + 1));
      out.Set(ffi::String(key), v);
      SkipSpace();
      if (Consume("}")) return ffi::Any(out);
      if (!Consume(",")) return Error("expected , or }");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The runtime's JSON string escaping, quoted.
std::string Quote(std::string_view s) { return "\"" + ffi::details::EscapeJSON(s) + "\""; }

}  // namespace

absl::StatusOr<ffi::Any> ParseJson(std::string_view text) { return Parser(text).ParseAll(); }

std::string ToJson(const ffi::Any& value) {
  switch (value.type_index()) {
    case kTVMFFINone:
      return "null";
    case kTVMFFIBool:
      return value.cast<bool>() ? "true" : "false";
    case kTVMFFIInt:
      return std::to_string(value.cast<int64_t>());
    case kTVMFFIFloat: {
      double d = value.cast<double>();
      if (!std::isfinite(d)) return Quote(std::to_string(d));
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      std::string s = buf;
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      return s;
    }
    case kTVMFFISmallStr:
    case kTVMFFIStr:
      return Quote(value.cast<std::string>());
    case kTVMFFISmallBytes:
    case kTVMFFIBytes:
      return "{\"bytes\": " + Quote(std::string(value.cast<ffi::Bytes>())) + "}";
    case kTVMFFIDataType:
      return "{\"dtype\": " +
             Quote(std::string(ffi::DLDataTypeToString(value.cast<DLDataType>()))) + "}";
    case kTVMFFIDevice: {
      DLDevice d = value.cast<DLDevice>();
      return "{\"device\": " +
             Quote(absl::StrCat(ffi::DLDeviceType2Str(d.device_type), ":", d.device_id)) + "}";
    }
    case kTVMFFIShape: {
      std::string out = "[";
      ffi::Shape s = value.cast<ffi::Shape>();
      for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
      return out + "]";
    }
    case kTVMFFIArray: {
      std::string out = "[";
      bool first = true;
      for (const ffi::Any& v : value.cast<ffi::Array<ffi::Any>>()) {
        out += (first ? "" : ", ") + ToJson(v);
        first = false;
      }
      return out + "]";
    }
    case kTVMFFIMap: {
      std::string out = "{";
      bool first = true;
      for (const auto& kv : value.cast<ffi::Map<ffi::Any, ffi::Any>>()) {
        std::string key = kv.first.as<ffi::String>().has_value() ? kv.first.cast<std::string>()
                                                                 : ToJson(kv.first);
        out += (first ? "" : ", ") + Quote(key) + ": " + ToJson(kv.second);
        first = false;
      }
      return out + "}";
    }
    case kTVMFFITensor: {
      ffi::Tensor t = value.cast<ffi::Tensor>();
      std::string shape = "[";
      for (size_t i = 0; i < t.shape().size(); ++i) {
        shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
      }
      return "{\"tensor\": {\"dtype\": " + Quote(std::string(ffi::DLDataTypeToString(t.dtype()))) +
             ", \"shape\": " + shape + "]}}";
    }
    default:
      return Quote("<" + value.GetTypeKey() + ">");
  }
}

}  // namespace tvmffi::rpc::tools
