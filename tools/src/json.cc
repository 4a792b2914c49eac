#include "json.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include "absl/strings/str_cat.h"
#include "tvmffi/proto/status.h"

namespace tvmffi::rpc::tools {
namespace ffi = tvm::ffi;
namespace {

// A string as the runtime's json::Stringify writes it: UTF-8 as it is, control characters
// escaped.
std::string Quote(std::string_view s) {
  return std::string(ffi::json::Stringify(ffi::String(std::string(s))));
}

}  // namespace

absl::StatusOr<ffi::Any> ParseJson(std::string_view text) {
  ffi::String error;
  ffi::Any value = ffi::json::Parse(ffi::String(std::string(text)), &error);
  if (!error.empty()) {
    return ValueError(absl::StrCat("bad JSON argument `",
                                   absl::string_view(text.data(), text.size()),
                                   "`: ", std::string(error)));
  }
  return value;
}

std::string ToJson(const ffi::Any& value) {
  switch (value.type_index()) {
    case kTVMFFINone:
      return "null";
    case kTVMFFIBool:
      return value.cast<bool>() ? "true" : "false";
    case kTVMFFIInt:
      return std::to_string(value.cast<int64_t>());
    case kTVMFFIFloat:  // the shortest text that reads back (0.1, 1e+22), NaN, Infinity
      return std::string(ffi::json::Stringify(value));
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
