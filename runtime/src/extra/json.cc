// json::Parse and json::Stringify (upstream's <tvm/ffi/extra/json.h>, exported C++ symbols).
//
// The parser is a recursive descent over the bytes with one token of lookahead. Its error
// messages are those of Python's json module, positions counted in bytes: "<what>: line L
// column C (char N)". Objects are collected into a vector first and become a Map in one step
// (a repeated key keeps its first position and its last value), so a large object parses in
// linear time. Nesting deeper than kMaxDepth is an error, not a stack overflow.
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {
namespace json {
namespace {

constexpr int kMaxDepth = 1000;

// Thrown inside the parser only; Parse turns it into error_msg or a ValueError.
struct SyntaxError {
  const char* what;
  size_t pos;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Any ParseDocument() {
    SkipSpace();
    Any value = ParseValue(0);
    SkipSpace();
    if (pos_ != text_.size()) throw SyntaxError{"Extra data", pos_};
    return value;
  }

  // "<what>: line L column C (char N)", as Python's json module words it.
  std::string Describe(const SyntaxError& e) const {
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < e.pos && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return std::string(e.what) + ": line " + std::to_string(line) + " column " +
           std::to_string(e.pos - line_start + 1) + " (char " + std::to_string(e.pos) + ")";
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }
  bool StartsWith(std::string_view word) const { return text_.substr(pos_, word.size()) == word; }

  Any ParseValue(int depth) {
    if (pos_ >= text_.size()) throw SyntaxError{"Expecting value", pos_};
    switch (text_[pos_]) {
      case '{':
        return ParseObject(depth + 1);
      case '[':
        return ParseArray(depth + 1);
      case '"':
        return String(ParseString());
      default:
        break;
    }
    if (StartsWith("null")) return Literal(4, Any(nullptr));
    if (StartsWith("true")) return Literal(4, Any(true));
    if (StartsWith("false")) return Literal(5, Any(false));
    if (StartsWith("NaN")) return Literal(3, Any(std::numeric_limits<double>::quiet_NaN()));
    if (StartsWith("Infinity")) return Literal(8, Any(std::numeric_limits<double>::infinity()));
    if (StartsWith("-Infinity")) {
      return Literal(9, Any(-std::numeric_limits<double>::infinity()));
    }
    return ParseNumber();
  }
  Any Literal(size_t length, Any value) {
    pos_ += length;
    return value;
  }

  // The longest run of number characters must be one JSON number as a whole; else there is
  // no value here ("123.456.789", "123e" are "Expecting value" at their first character).
  Any ParseNumber() {
    size_t start = pos_;
    size_t end = start;
    while (end < text_.size() && std::strchr("0123456789+-.eE", text_[end]) != nullptr &&
           text_[end] != '\0') {
      ++end;
    }
    std::string_view token = text_.substr(start, end - start);
    bool is_integer = false;
    if (!IsNumber(token, &is_integer)) throw SyntaxError{"Expecting value", start};
    std::string copy(token);
    pos_ = end;
    if (is_integer) {
      errno = 0;
      long long v = std::strtoll(copy.c_str(), nullptr, 10);
      if (errno == 0) return Any(static_cast<int64_t>(v));
      // beyond int64: a float, as JavaScript reads it
    }
    return Any(std::strtod(copy.c_str(), nullptr));
  }
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  static bool IsNumber(std::string_view s, bool* is_integer) {
    size_t i = 0;
    auto digits = [&]() {
      size_t from = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      return i - from;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') {
      ++i;
    } else if (digits() == 0) {
      return false;
    }
    *is_integer = true;
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (digits() == 0) return false;
      *is_integer = false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (digits() == 0) return false;
      *is_integer = false;
    }
    return i == s.size();
  }

  // Four hex digits at pos_, or -1.
  int Hex4() {
    if (pos_ + 4 > text_.size()) return -1;
    int v = 0;
    for (size_t i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    pos_ += 4;
    return v;
  }
  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  // \uXXXX, pos_ at the 'u'; a high surrogate must be followed by a low one.
  void ParseUnicodeEscape(std::string* out) {
    size_t u = pos_;
    ++pos_;
    int cp = Hex4();
    if (cp < 0) throw SyntaxError{"Invalid \\uXXXX escape", u};
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      throw SyntaxError{"Invalid surrogate pair of \\uXXXX escapes", u};
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!StartsWith("\\u")) throw SyntaxError{"Invalid surrogate pair of \\uXXXX escapes", u};
      pos_ += 2;
      int low = Hex4();
      if (low < 0) throw SyntaxError{"Invalid \\uXXXX escape", pos_};
      if (low < 0xDC00 || low > 0xDFFF) {
        throw SyntaxError{"Invalid surrogate pair of \\uXXXX escapes", u};
      }
      AppendUtf8(0x10000 + ((static_cast<uint32_t>(cp) - 0xD800) << 10) +
                     (static_cast<uint32_t>(low) - 0xDC00),
                 out);
      return;
    }
    AppendUtf8(static_cast<uint32_t>(cp), out);
  }
  std::string ParseString() {
    size_t start = pos_;
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) throw SyntaxError{"Unterminated string starting at", start};
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) throw SyntaxError{"Invalid control character at", pos_};
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) throw SyntaxError{"Unterminated string starting at", start};
      char e = text_[pos_];
      const char* kPlain = "\"\\/bfnrt";
      const char* kMeans = "\"\\/\b\f\n\r\t";
      const char* hit = std::strchr(kPlain, e);
      if (hit != nullptr && e != '\0') {
        out.push_back(kMeans[hit - kPlain]);
        ++pos_;
      } else if (e == 'u') {
        ParseUnicodeEscape(&out);
      } else {
        throw SyntaxError{"Invalid \\escape", pos_};
      }
    }
  }

  Any ParseArray(int depth) {
    if (depth > kMaxDepth) throw SyntaxError{"Nesting too deep", pos_};
    ++pos_;  // '['
    std::vector<Any> items;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return Array(items.begin(), items.end());
    }
    while (true) {
      SkipSpace();
      items.push_back(ParseValue(depth));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return Array(items.begin(), items.end());
      }
      throw SyntaxError{"Expecting ',' delimiter", pos_};
    }
  }

  Any ParseObject(int depth) {
    if (depth > kMaxDepth) throw SyntaxError{"Nesting too deep", pos_};
    ++pos_;  // '{'
    std::vector<std::pair<String, Any>> items;
    std::unordered_map<std::string, size_t> where;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return MakeObject(&items);
    }
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        throw SyntaxError{"Expecting property name enclosed in double quotes", pos_};
      }
      std::string key = ParseString();
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':')
        throw SyntaxError{"Expecting ':' delimiter", pos_};
      ++pos_;
      SkipSpace();
      Any value = ParseValue(depth);
      auto [it, fresh] = where.emplace(key, items.size());
      if (fresh) {
        items.emplace_back(String(key), std::move(value));
      } else {
        items[it->second].second = std::move(value);
      }
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        SkipSpace();
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return MakeObject(&items);
      }
      throw SyntaxError{"Expecting ',' delimiter", pos_};
    }
  }
  static Any MakeObject(std::vector<std::pair<String, Any>>* items) {
    // a repeated key takes the later value, as Python's json module does
    return Object(items->begin(), items->end());
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---- writer ---------------------------------------------------------------------------------

// The shortest text that reads back as v, spelled as Python's repr(float) spells it: positional
// for exponents from -4 to 15 (with ".0" when integral), else d.ddde[+-]XX.
void WriteDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char buf[64];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  // buf is [-]d[.ddd]e[+-]XX: split into sign, digits and exponent
  std::string s(buf);
  bool negative = s[0] == '-';
  if (negative) s.erase(0, 1);
  size_t e = s.find('e');
  int exponent = std::atoi(s.c_str() + e + 1);
  std::string digits = s.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (negative) out->push_back('-');
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out->append("0.");
      out->append(static_cast<size_t>(-exponent - 1), '0');
      out->append(digits);
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out->append(digits);
      out->append(static_cast<size_t>(exponent + 1) - digits.size(), '0');
      out->append(".0");
    } else {
      out->append(digits, 0, static_cast<size_t>(exponent) + 1);
      out->push_back('.');
      out->append(digits, static_cast<size_t>(exponent) + 1, std::string::npos);
    }
    return;
  }
  out->push_back(digits[0]);
  if (digits.size() > 1) {
    out->push_back('.');
    out->append(digits, 1, std::string::npos);
  }
  std::snprintf(buf, sizeof(buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out->append(buf);
}

void WriteString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '/':
        out->append("\\/");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

class Writer {
 public:
  explicit Writer(int indent) : indent_(indent) {}

  void Write(const Any& value, int level) {
    if (level > kMaxDepth) TVM_FFI_THROW(ValueError) << "JSON value nested too deep to write";
    switch (value.type_index()) {
      case TypeIndex::kTVMFFINone:
        out_.append("null");
        return;
      case TypeIndex::kTVMFFIBool:
        out_.append(value.cast<bool>() ? "true" : "false");
        return;
      case TypeIndex::kTVMFFIInt:
        out_.append(std::to_string(value.cast<int64_t>()));
        return;
      case TypeIndex::kTVMFFIFloat:
        WriteDouble(value.cast<double>(), &out_);
        return;
      case TypeIndex::kTVMFFISmallStr:
      case TypeIndex::kTVMFFIStr:
        WriteString(std::string_view(value.cast<String>()), &out_);
        return;
      case TypeIndex::kTVMFFIArray: {
        ffi::Array<Any> items = value.cast<ffi::Array<Any>>();
        out_.push_back('[');
        bool first = true;
        for (const Any& item : items) {
          Separate(&first, level + 1);
          Write(item, level + 1);
        }
        Close(']', items.empty(), level);
        return;
      }
      case TypeIndex::kTVMFFIMap: {
        ffi::Map<Any, Any> items = value.cast<ffi::Map<Any, Any>>();
        out_.push_back('{');
        bool first = true;
        for (const auto& [key, item] : items) {
          if (key.type_index() != TypeIndex::kTVMFFISmallStr &&
              key.type_index() != TypeIndex::kTVMFFIStr) {
            TVM_FFI_THROW(TypeError)
                << "JSON object keys must be strings, not " << key.GetTypeKey();
          }
          Separate(&first, level + 1);
          WriteString(std::string_view(key.cast<String>()), &out_);
          out_.append(indent_ >= 0 ? ": " : ":");
          Write(item, level + 1);
        }
        Close('}', items.empty(), level);
        return;
      }
      default:
        TVM_FFI_THROW(TypeError) << "a " << value.GetTypeKey() << " has no JSON form";
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  void Separate(bool* first, int level) {
    if (!*first) out_.push_back(',');
    *first = false;
    NewLine(level);
  }
  void Close(char bracket, bool empty, int level) {
    if (!empty) NewLine(level);
    out_.push_back(bracket);
  }
  void NewLine(int level) {
    if (indent_ < 0) return;
    out_.push_back('\n');
    out_.append(static_cast<size_t>(indent_) * static_cast<size_t>(level), ' ');
  }

  int indent_;
  std::string out_;
};

}  // namespace

Value Parse(const String& json_str, String* error_msg) {
  Parser parser{std::string_view(json_str)};
  try {
    return parser.ParseDocument();
  } catch (const SyntaxError& e) {
    std::string message = parser.Describe(e);
    if (error_msg == nullptr) TVM_FFI_THROW(ValueError) << message;
    *error_msg = String(message);
    return Any(nullptr);
  }
}

String Stringify(const Value& value, const Optional<int>& indent) {
  Writer writer(indent.has_value() ? std::max(0, indent.value()) : -1);
  writer.Write(value, 0);
  return String(writer.Take());
}

}  // namespace json
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace json = tvm::ffi::json;
  tvm::ffi::reflection::GlobalDef()
      .def("ffi.json.Parse", [](const tvm::ffi::String& text) { return json::Parse(text); })
      .def("ffi.json.Stringify",
           [](const json::Value& value, const tvm::ffi::Optional<int>& indent) {
             return json::Stringify(value, indent);
           });
}
