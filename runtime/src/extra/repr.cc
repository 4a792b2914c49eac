// ReprPrint (upstream's <tvm/ffi/extra/dataclass.h>, exported; also the global "ffi.ReprPrint"):
// a Python-like text of any value. Facts from upstream v0.1.13-post2:
//   None, True/False, ints, floats as an ostream prints them (six significant digits), strings
//   double-quoted with Python's escapes, bytes as b"...", dtypes and devices ("cpu:0") by name;
//   Array as a tuple "(a, b)" ("(a,)" for one), List as "[a, b]", Map and Dict as "{k: v}", Shape
//   as "Shape(1, 2)", a tensor as "float32[2, 3]@cpu:0"; an object of a reflected type as
//   "type.key(f=v, ...)" over its fields, ancestors' first, without those flagged ReprOff (just
//   "type.key" when none); a type's own __ffi_repr__ attribute (fn(obj, repr_of_child) -> String)
//   wins.
// An object met again while it is being printed is "..."; one printed before is reused.
// Nesting deeper than kMaxDepth is a ValueError rather than a stack overflow.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace internal {
ObjectRef MissingObjectSingleton();  // container_globals.cc
ObjectRef KwargsObjectSingleton();   // auto_init.cc
}  // namespace internal
namespace {

constexpr int kMaxDepth = 1000;

std::string DeviceText(DLDevice d) {
  return std::string(DLDeviceType2Str(d.device_type)) + ":" + std::to_string(d.device_id);
}

void AppendHex(std::string* out, const char* prefix, int width, uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%s%0*x", prefix, width, value);
  out->append(buf);
}

// Python's repr of a str, with double quotes: \n \t \r \\ \" escaped, other control bytes as
// \xNN (an ANSI colour sequence keeps its text after \x1b), UTF-8 sequences as \uXXXX or
// \UXXXXXXXX, and a byte that starts no valid sequence as \xNN.
std::string QuotePy(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  while (i < s.size()) {
    unsigned char c = byte(i);
    if (c == 0x1b && byte(i + 1) == '[') {
      size_t j = i + 2;
      while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == ';')) ++j;
      if (j < s.size() && (s[j] == 'm' || s[j] == 'K')) {
        out += "\\x1b";
        out.append(s.substr(i + 1, j - i));
        i = j + 1;
        continue;
      }
    }
    switch (c) {
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '"':
        out += "\\\"";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) {
        AppendHex(&out, "\\x", 2, c);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
    } else if ((c & 0xE0) == 0xC0 && cont(i + 1)) {
      AppendHex(&out, "\\u", 4, ((c & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu));
      i += 2;
    } else if ((c & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
      AppendHex(&out, "\\u", 4,
                ((c & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu));
      i += 3;
    } else if ((c & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      AppendHex(&out, "\\U", 8,
                ((c & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) |
                    (byte(i + 3) & 0x3Fu));
      i += 4;
    } else {
      AppendHex(&out, "\\x", 2, c);
      ++i;
    }
  }
  out += "\"";
  return out;
}

std::string BytesPy(std::string_view b) {
  std::string out = "b\"";
  for (char ch : b) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 32 && c < 127 && c != '"' && c != '\\') {
      out.push_back(ch);
    } else {
      AppendHex(&out, "\\x", 2, c);
    }
  }
  return out + "\"";
}

std::string_view View(const TVMFFIByteArray& b) { return std::string_view(b.data, b.size); }

class Printer {
 public:
  std::string Print(const Any& value, int depth) {
    if (depth > kMaxDepth) {
      TVM_FFI_THROW(ValueError) << "ReprPrint: the value is nested deeper than " << kMaxDepth;
    }
    int32_t ti = value.type_index();
    switch (ti) {
      case TypeIndex::kTVMFFINone:
        return "None";
      case TypeIndex::kTVMFFIBool:
        return value.cast<bool>() ? "True" : "False";
      case TypeIndex::kTVMFFIInt:
        return std::to_string(value.cast<int64_t>());
      case TypeIndex::kTVMFFIFloat: {
        std::ostringstream os;
        os << value.cast<double>();
        return os.str();
      }
      case TypeIndex::kTVMFFIDataType:
        return std::string(DLDataTypeToString(value.cast<DLDataType>()));
      case TypeIndex::kTVMFFIDevice:
        return DeviceText(value.cast<DLDevice>());
      case TypeIndex::kTVMFFISmallStr:
      case TypeIndex::kTVMFFIStr:
        return QuotePy(std::string_view(value.cast<String>()));
      case TypeIndex::kTVMFFISmallBytes:
      case TypeIndex::kTVMFFIBytes: {
        Bytes b = value.cast<Bytes>();
        return BytesPy(std::string_view(b.data(), b.size()));
      }
      default:
        break;
    }
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin) return value.GetTypeKey();
    const Object* obj =
        reinterpret_cast<const Object*>(details::AnyUnsafe::TVMFFIAnyPtrFromAny(value)->v_obj);
    if (obj == nullptr) return "None";
    auto done = done_.find(obj);
    if (done != done_.end()) return done->second;
    if (in_progress_.count(obj) != 0) return "...";
    if (obj == internal::MissingObjectSingleton().get()) return "<MISSING>";
    if (obj == internal::KwargsObjectSingleton().get()) return "<KWARGS>";
    in_progress_.insert(obj);
    std::string text = PrintObject(value, obj, ti, depth);
    in_progress_.erase(obj);
    done_.emplace(obj, text);
    return text;
  }

 private:
  std::string PrintObject(const Any& value, const Object* obj, int32_t ti, int depth) {
    static const internal::TypeAttr repr_attr("__ffi_repr__");
    AnyView hook = repr_attr[ti];
    if (hook.type_index() != TypeIndex::kTVMFFINone) {
      Function child = Function::FromTyped(
          [this, depth](AnyView v) -> String { return String(Print(Any(v), depth + 1)); });
      return std::string(hook.cast<Function>()(value, child).cast<String>());
    }
    switch (ti) {
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIList: {  // a tuple (1, 2) or (1,); a List as [1, 2]
        bool list = ti == TypeIndex::kTVMFFIList;
        Array<Any> items = internal::SequenceView(value);
        std::string out = list ? "[" : "(";
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out += ", ";
          out += Print(items[static_cast<int64_t>(i)], depth + 1);
        }
        if (items.size() == 1 && !list) out += ",";
        return out + (list ? "]" : ")");
      }
      case TypeIndex::kTVMFFIMap:
      case TypeIndex::kTVMFFIDict: {
        std::string out = "{";
        bool first = true;
        for (const auto& [k, v] : internal::MappingView(value)) {
          if (!first) out += ", ";
          first = false;
          out += Print(k, depth + 1) + ": " + Print(v, depth + 1);
        }
        return out + "}";
      }
      case TypeIndex::kTVMFFIShape: {
        Shape s = value.cast<Shape>();
        std::string out = "Shape(";
        for (size_t i = 0; i < s.size(); ++i) {
          if (i > 0) out += ", ";
          out += std::to_string(s[i]);
        }
        return out + ")";
      }
      case TypeIndex::kTVMFFITensor: {
        const DLTensor* t = value.cast<Tensor>().GetDLTensorPtr();
        std::string out = std::string(DLDataTypeToString(t->dtype)) + "[";
        for (int i = 0; i < t->ndim; ++i) {
          if (i > 0) out += ", ";
          out += std::to_string(t->shape[i]);
        }
        return out + "]@" + DeviceText(t->device);
      }
      default:
        if (obj->IsInstance<EnumObj>()) {  // an enum member: "type.key.Name"
          const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(ti);
          return std::string(View(info->type_key)) + "." +
                 std::string(static_cast<const EnumObj*>(obj)->_str_index);
        }
        return PrintFields(obj, ti, depth);
    }
  }

  // "type.key(name=value, ...)" over the reflected fields, ancestors' first; a name seen
  // before (a field redeclared by a subclass) is shown once.
  std::string PrintFields(const Object* obj, int32_t ti, int depth) {
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(ti);
    if (info == nullptr) return "<unknown type " + std::to_string(ti) + ">";
    std::string header(View(info->type_key));
    std::string fields;
    std::unordered_set<std::string_view> seen;
    auto visit = [&](const TVMFFITypeInfo* owner) {
      for (int32_t i = 0; i < owner->num_fields; ++i) {
        const TVMFFIFieldInfo& f = owner->fields[i];
        if ((f.flags & kTVMFFIFieldFlagBitMaskReprOff) != 0) continue;
        if (!seen.insert(View(f.name)).second) continue;
        Any field = internal::ReadField(obj, f);
        if (!fields.empty()) fields += ", ";
        fields += std::string(View(f.name)) + "=" + Print(field, depth + 1);
      }
    };
    for (int32_t d = 1; d < info->type_depth; ++d) visit(info->type_ancestors[d]);
    visit(info);
    return fields.empty() ? header : header + "(" + fields + ")";
  }

  std::unordered_map<const Object*, std::string> done_;
  std::unordered_set<const Object*> in_progress_;
};

}  // namespace

String ReprPrint(const Any& value) { return String(Printer().Print(value, 0)); }

}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  tvm::ffi::reflection::GlobalDef().def("ffi.ReprPrint", tvm::ffi::ReprPrint);
}
