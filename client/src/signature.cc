#include "signature.h"

#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/extra/json.h>

#include <optional>
#include <string>

namespace tvmffi::rpc::internal {
namespace {
namespace ffi = tvm::ffi;

constexpr int kMaxDepth = 32;  // deeper schemas are shown as "..."

std::optional<ffi::Any> Member(const ffi::Any& object, const char* key) {
  std::optional<ffi::Map<ffi::Any, ffi::Any>> map = object.try_cast<ffi::Map<ffi::Any, ffi::Any>>();
  if (!map.has_value()) return std::nullopt;
  auto it = map->find(ffi::String(key));
  if (it == map->end()) return std::nullopt;
  return (*it).second;
}

// {"type": "ffi.Array", "args": [{"type": "int"}]} -> "Array<int>"
std::string TypeText(const ffi::Any& schema, int depth) {
  if (depth > kMaxDepth) return "...";
  std::optional<ffi::Any> type = Member(schema, "type");
  std::optional<ffi::String> name =
      type.has_value() ? type->try_cast<ffi::String>() : std::optional<ffi::String>();
  if (!name.has_value()) return "?";
  std::string text(*name);
  if (text.rfind("ffi.", 0) == 0) text.erase(0, 4);
  std::optional<ffi::Any> args = Member(schema, "args");
  std::optional<ffi::Array<ffi::Any>> list =
      args.has_value() ? args->try_cast<ffi::Array<ffi::Any>>() : std::nullopt;
  if (list.has_value() && !list->empty()) {
    text += "<";
    for (size_t i = 0; i < list->size(); ++i) {
      text += (i ? ", " : "") + TypeText((*list)[static_cast<int64_t>(i)], depth + 1);
    }
    text += ">";
  }
  return text;
}

}  // namespace

std::string SignatureFromMetadata(std::string_view metadata_json) {
  if (metadata_json.empty()) return "";
  ffi::String error;
  ffi::Any metadata = ffi::json::Parse(ffi::String(std::string(metadata_json)), &error);
  std::optional<ffi::Any> schema_text = Member(metadata, "type_schema");
  if (!error.empty() || !schema_text.has_value()) return "";
  std::optional<ffi::String> text = schema_text->try_cast<ffi::String>();
  if (!text.has_value()) return "";
  ffi::Any schema = ffi::json::Parse(*text, &error);
  std::optional<ffi::Any> args = Member(schema, "args");
  std::optional<ffi::Array<ffi::Any>> list =
      args.has_value() ? args->try_cast<ffi::Array<ffi::Any>>() : std::nullopt;
  if (!error.empty() || !list.has_value() || list->empty()) return "";
  std::string out = "(";
  for (size_t i = 1; i < list->size(); ++i) {
    out += (i > 1 ? ", " : "") + TypeText((*list)[static_cast<int64_t>(i)], 0);
  }
  return out + ") -> " + TypeText((*list)[0], 0);
}

}  // namespace tvmffi::rpc::internal
