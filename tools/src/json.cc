#include "json.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <cstring>
#include <functional>

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

// Tensors of at most this many elements show their values.
constexpr int64_t kMaxShownElements = 64;

// Element i of a compact host tensor of a plain dtype (bool, int, uint, float of 32 or 64
// bits, one lane) as JSON; "" for other dtypes.
std::string Element(const DLTensor& t, int64_t i) {
  const char* p = static_cast<const char*>(t.data) + t.byte_offset;
  const DLDataType d = t.dtype;
  if (d.lanes != 1) return "";
  auto load = [&](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, p + i * static_cast<int64_t>(sizeof(v)), sizeof(v));
    return v;
  };
  switch (d.code) {
    case kDLBool:
      return d.bits == 8 ? (load(uint8_t{}) != 0 ? "true" : "false") : "";
    case kDLInt:
      if (d.bits == 8) return std::to_string(load(int8_t{}));
      if (d.bits == 16) return std::to_string(load(int16_t{}));
      if (d.bits == 32) return std::to_string(load(int32_t{}));
      if (d.bits == 64) return std::to_string(load(int64_t{}));
      return "";
    case kDLUInt:
      if (d.bits == 8) return std::to_string(load(uint8_t{}));
      if (d.bits == 16) return std::to_string(load(uint16_t{}));
      if (d.bits == 32) return std::to_string(load(uint32_t{}));
      if (d.bits == 64) return std::to_string(load(uint64_t{}));
      return "";
    case kDLFloat:
      if (d.bits == 32)
        return std::string(ffi::json::Stringify(static_cast<double>(load(float{}))));
      if (d.bits == 64) return std::string(ffi::json::Stringify(load(double{})));
      return "";
    default:
      return "";
  }
}

// The values of a small host tensor as nested JSON arrays (a scalar for 0-d), or "" when they
// are not shown (too many, not on the host, strided, a dtype without a JSON spelling).
std::string Values(const ffi::Tensor& tensor) {
  const DLTensor& t = *tensor.GetDLTensorPtr();
  if (t.device.device_type != kDLCPU || !tensor.IsContiguous()) return "";
  int64_t n = 1;
  for (int i = 0; i < t.ndim; ++i) n *= t.shape[i];
  if (n > kMaxShownElements || (n > 0 && Element(t, 0).empty())) return "";
  int64_t index = 0;
  std::function<std::string(int)> dim = [&](int axis) -> std::string {
    if (axis == t.ndim) return Element(t, index++);
    std::string out = "[";
    for (int64_t i = 0; i < t.shape[axis]; ++i) out += (i ? ", " : "") + dim(axis + 1);
    return out + "]";
  };
  return dim(0);
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
    case kTVMFFIArray:
    case kTVMFFIList: {
      std::string out = "[";
      bool first = true;
      for (const ffi::Any& v : *static_cast<const ffi::SeqBaseObj*>(value.as<ffi::Object>())) {
        out += (first ? "" : ", ") + ToJson(v);
        first = false;
      }
      return out + "]";
    }
    case kTVMFFIMap:
    case kTVMFFIDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& kv : *static_cast<const ffi::MapBaseObj*>(value.as<ffi::Object>())) {
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
      DLDevice d = t->device;
      std::string values = Values(t);
      return "{\"tensor\": {\"dtype\": " + Quote(std::string(ffi::DLDataTypeToString(t.dtype()))) +
             ", \"shape\": " + shape + "], \"device\": " +
             Quote(absl::StrCat(ffi::DLDeviceType2Str(d.device_type), ":", d.device_id)) +
             (values.empty() ? "" : ", \"values\": " + values) + "}}";
    }
    default:
      return Quote("<" + value.GetTypeKey() + ">");
  }
}

}  // namespace tvmffi::rpc::tools
