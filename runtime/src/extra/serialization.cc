// ToJSONGraph / FromJSONGraph (upstream's <tvm/ffi/extra/serialization.h>, exported; also the
// globals ffi.ToJSONGraph, ffi.ToJSONGraphString, ffi.FromJSONGraph, ffi.FromJSONGraphString).
//
// A value becomes {"root_index": i, "nodes": [node...], "metadata"?: ...}: one node per distinct
// value (equal PODs and strings, and the same object, share a node), children before parents.
// A node is {"type": type key, "data": ...}: None has no data; bool/int/float their value; a
// dtype its name; a device [type, id]; a string itself; bytes in base64; Array and Shape the
// node indexes (the dims) of their items; Map [key index, value index, ...]; an object of a
// reflected type {field: value} over its fields (bool/int/float/dtype fields inline, others as
// node indexes), or what its __data_to_json__ attribute makes of it. Reading back checks the
// structure and every index; a malformed graph is a ValueError, never a bad read.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/base64.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/extra/serialization.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace {

constexpr int kMaxDepth = 1000;  // as Python's recursion limit; well within a thread's stack

// ---- shared ------------------------------------------------------------------------------------

const TVMFFIAny* Raw(const Any& v) { return details::AnyUnsafe::TVMFFIAnyPtrFromAny(v); }

// Values that share a node: strings and bytes by content, others by their 8 bytes (objects by
// identity), as upstream's AnyHash/AnyEqual see them.
struct NodeKeyHash {
  size_t operator()(const Any& v) const {
    const TVMFFIAny* r = Raw(v);
    int32_t ti = r->type_index;
    bool str = ti == TypeIndex::kTVMFFIStr || ti == TypeIndex::kTVMFFISmallStr;
    bool bytes = ti == TypeIndex::kTVMFFIBytes || ti == TypeIndex::kTVMFFISmallBytes;
    if (str || bytes) {
      TVMFFIByteArray b = details::BytesCellView(r);
      return std::hash<std::string_view>()(std::string_view(b.data, b.size)) ^ (str ? 1 : 2);
    }
    return std::hash<uint64_t>()(r->v_uint64) * 31 + static_cast<size_t>(ti);
  }
};
struct NodeKeyEqual {
  bool operator()(const Any& a, const Any& b) const { return details::AnyKeyEqual(a, b); }
};

bool IsInlineField(int32_t static_type) {
  return static_type == TypeIndex::kTVMFFINone || static_type == TypeIndex::kTVMFFIBool ||
         static_type == TypeIndex::kTVMFFIInt || static_type == TypeIndex::kTVMFFIFloat ||
         static_type == TypeIndex::kTVMFFIDataType;
}

std::string_view View(const TVMFFIByteArray& b) { return std::string_view(b.data, b.size); }

// ---- writing -----------------------------------------------------------------------------------

class GraphWriter {
 public:
  int64_t NodeOf(const Any& value) {
    auto it = index_.find(value);
    if (it != index_.end()) return it->second;
    if (++depth_ > kMaxDepth) {
      TVM_FFI_THROW(ValueError) << "ToJSONGraph: the value is nested deeper than " << kMaxDepth;
    }
    // (an object that refers to itself is never finished: it ends at the depth bound)
    json::Object node = MakeNode(value);
    --depth_;
    int64_t index = static_cast<int64_t>(nodes_.size());
    nodes_.push_back(std::move(node));
    index_.emplace(value, index);
    return index;
  }
  json::Array TakeNodes() { return json::Array(nodes_.begin(), nodes_.end()); }

 private:
  json::Object MakeNode(const Any& value) {
    json::Object node;
    int32_t ti = value.type_index();
    auto set = [&](const char* type, Any data) {
      node.Set(String("type"), String(type));
      node.Set(String("data"), std::move(data));
    };
    switch (ti) {
      case TypeIndex::kTVMFFINone:
        node.Set(String("type"), String(StaticTypeKey::kTVMFFINone));
        return node;
      case TypeIndex::kTVMFFIBool:
        set(StaticTypeKey::kTVMFFIBool, value.cast<bool>());
        return node;
      case TypeIndex::kTVMFFIInt:
        set(StaticTypeKey::kTVMFFIInt, value.cast<int64_t>());
        return node;
      case TypeIndex::kTVMFFIFloat:
        set(StaticTypeKey::kTVMFFIFloat, value.cast<double>());
        return node;
      case TypeIndex::kTVMFFIDataType:
        set(StaticTypeKey::kTVMFFIDataType, DLDataTypeToString(value.cast<DLDataType>()));
        return node;
      case TypeIndex::kTVMFFIDevice: {
        DLDevice d = value.cast<DLDevice>();
        set(StaticTypeKey::kTVMFFIDevice,
            json::Array{static_cast<int64_t>(d.device_type), static_cast<int64_t>(d.device_id)});
        return node;
      }
      case TypeIndex::kTVMFFISmallStr:
      case TypeIndex::kTVMFFIStr:
        set(StaticTypeKey::kTVMFFIStr, value.cast<String>());
        return node;
      case TypeIndex::kTVMFFISmallBytes:
      case TypeIndex::kTVMFFIBytes: {
        Bytes b = value.cast<Bytes>();
        set(StaticTypeKey::kTVMFFIBytes, Base64Encode(b));
        return node;
      }
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIList: {
        std::vector<Any> items;
        for (const Any& item : internal::SequenceView(value)) items.push_back(NodeOf(item));
        set(ti == TypeIndex::kTVMFFIList ? StaticTypeKey::kTVMFFIList : StaticTypeKey::kTVMFFIArray,
            json::Array(items.begin(), items.end()));
        return node;
      }
      case TypeIndex::kTVMFFIMap:
      case TypeIndex::kTVMFFIDict: {
        std::vector<Any> items;
        for (const auto& [k, v] : internal::MappingView(value)) {
          items.push_back(NodeOf(k));
          items.push_back(NodeOf(v));
        }
        set(ti == TypeIndex::kTVMFFIDict ? StaticTypeKey::kTVMFFIDict : StaticTypeKey::kTVMFFIMap,
            json::Array(items.begin(), items.end()));
        return node;
      }
      case TypeIndex::kTVMFFIShape: {
        std::vector<Any> dims;
        for (int64_t d : value.cast<Shape>()) dims.push_back(d);
        set(StaticTypeKey::kTVMFFIShape, json::Array(dims.begin(), dims.end()));
        return node;
      }
      default:
        break;
    }
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin) {
      TVM_FFI_THROW(RuntimeError) << "Cannot serialize type `" << value.GetTypeKey() << "`";
    }
    node.Set(String("type"), String(value.GetTypeKey()));
    node.Set(String("data"), ObjectData(value, ti));
    return node;
  }

  Any ObjectData(const Any& value, int32_t ti) {
    // an enum member by its index: the integer of an IntEnum, the name of any other
    if (const EnumObj* member = value.as<EnumObj>()) {
      if (value.as<IntEnumObj>() != nullptr) return member->_int_index;
      return member->_str_index;
    }
    static const internal::TypeAttr to_json("__data_to_json__");
    AnyView hook = to_json[ti];
    if (hook.type_index() != TypeIndex::kTVMFFINone) return hook.cast<Function>()(value);
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(ti);
    if (!internal::CanMakeEmpty(info)) {
      TVM_FFI_THROW(TypeError) << "Type `" << View(info->type_key)
                               << "` does not support ToJSONGraph (no native creator or "
                                  "__ffi_new__ type attr)";
    }
    const Object* obj = reinterpret_cast<const Object*>(Raw(value)->v_obj);
    json::Object data;
    internal::ForEachField(info, [&](const TVMFFIFieldInfo& f) {
      Any field = internal::ReadField(obj, f);
      String name(f.name.data, f.name.size);
      if (f.field_static_type_index == TypeIndex::kTVMFFIDataType) {
        data.Set(name, DLDataTypeToString(field.cast<DLDataType>()));
      } else if (IsInlineField(f.field_static_type_index)) {
        data.Set(name, field);
      } else {
        data.Set(name, NodeOf(field));
      }
    });
    return data;
  }

  std::unordered_map<Any, int64_t, NodeKeyHash, NodeKeyEqual> index_;
  std::vector<json::Object> nodes_;
  int depth_ = 0;
};

// ---- reading -----------------------------------------------------------------------------------

[[noreturn]] void Malformed(const std::string& what) {
  TVM_FFI_THROW(ValueError) << "Invalid JSON Object Graph: " << what;
  TVM_FFI_UNREACHABLE();
}

template <typename T>
T Field(const json::Object& node, const char* key, const char* what) {
  auto it = node.find(String(key));
  if (it == node.end()) Malformed(std::string("a node has no `") + key + "`");
  std::optional<T> v = (*it).second.try_cast<T>();
  if (!v.has_value()) Malformed(std::string("`") + key + "` of a node is not " + what);
  return *v;
}

class GraphReader {
 public:
  explicit GraphReader(const json::Value& graph) {
    std::optional<json::Object> top = graph.try_cast<json::Object>();
    if (!top.has_value()) Malformed("expected an object");
    auto root = top->find(String("root_index"));
    if (root == top->end() || (*root).second.type_index() != TypeIndex::kTVMFFIInt) {
      Malformed("expected `root_index` integer field");
    }
    auto nodes = top->find(String("nodes"));
    if (nodes == top->end() || (*nodes).second.type_index() != TypeIndex::kTVMFFIArray) {
      Malformed("expected `nodes` array field");
    }
    root_ = (*root).second.cast<int64_t>();
    nodes_ = (*nodes).second.cast<json::Array>();
    decoded_.resize(nodes_.size());
    state_.resize(nodes_.size(), 0);
  }

  Any Root() { return Node(root_); }

 private:
  Any Node(int64_t index) {
    if (index < 0 || index >= static_cast<int64_t>(nodes_.size())) {
      Malformed("invalid node index " + std::to_string(index));
    }
    if (state_[index] == 2) return decoded_[index];
    if (state_[index] == 1) Malformed("node " + std::to_string(index) + " refers to itself");
    if (++depth_ > kMaxDepth) Malformed("nodes nested deeper than " + std::to_string(kMaxDepth));
    state_[index] = 1;
    std::optional<json::Object> node = nodes_[index].try_cast<json::Object>();
    if (!node.has_value()) Malformed("node " + std::to_string(index) + " is not an object");
    Any value = Decode(*node);
    --depth_;
    decoded_[index] = value;
    state_[index] = 2;
    return value;
  }
  Any Index(const Any& v) {
    std::optional<int64_t> i = v.try_cast<int64_t>();
    if (!i.has_value() || v.type_index() != TypeIndex::kTVMFFIInt) {
      Malformed("a node index is not an integer");
    }
    return Node(*i);
  }

  template <typename SeqRef>
  SeqRef Sequence(const json::Object& node) {
    std::vector<Any> items;
    for (const Any& i : Field<json::Array>(node, "data", "an array")) items.push_back(Index(i));
    return SeqRef(items.begin(), items.end());
  }
  template <typename MapRef>
  MapRef Mapping(const json::Object& node) {
    json::Array d = Field<json::Array>(node, "data", "an array");
    if (d.size() % 2 != 0) {
      Malformed("Map/Dict data must contain an even number of [key, value] entries, got " +
                std::to_string(d.size()));
    }
    MapRef m;
    for (size_t i = 0; i < d.size(); i += 2) {
      m.Set(Index(d[static_cast<int64_t>(i)]), Index(d[static_cast<int64_t>(i + 1)]));
    }
    return m;
  }

  Any Decode(const json::Object& node) {
    String type_key = Field<String>(node, "type", "a string");
    TVMFFIByteArray key{type_key.data(), type_key.size()};
    int32_t ti = -1;
    if (TVMFFITypeKeyToIndex(&key, &ti) != 0) throw details::MoveFromSafeCallRaised();
    switch (ti) {
      case TypeIndex::kTVMFFINone:
        return Any(nullptr);
      case TypeIndex::kTVMFFIBool:
        return Field<bool>(node, "data", "a bool");
      case TypeIndex::kTVMFFIInt:
        return Field<int64_t>(node, "data", "an int");
      case TypeIndex::kTVMFFIFloat:
        return Field<double>(node, "data", "a number");
      case TypeIndex::kTVMFFIDataType:
        return StringToDLDataType(Field<String>(node, "data", "a string"));
      case TypeIndex::kTVMFFIDevice: {
        json::Array d = Field<json::Array>(node, "data", "an array");
        if (d.size() != 2) {
          Malformed("Device data must be an array of [device_type, device_id], got " +
                    std::to_string(d.size()) + " element(s)");
        }
        return DLDevice{static_cast<DLDeviceType>(d[0].cast<int32_t>()), d[1].cast<int32_t>()};
      }
      case TypeIndex::kTVMFFIStr:
        return Field<String>(node, "data", "a string");
      case TypeIndex::kTVMFFIBytes: {
        return Base64Decode(Field<String>(node, "data", "a string"));
      }
      case TypeIndex::kTVMFFIArray:
        return Sequence<Array<Any>>(node);
      case TypeIndex::kTVMFFIList:
        return Sequence<List<Any>>(node);
      case TypeIndex::kTVMFFIMap:
        return Mapping<Map<Any, Any>>(node);
      case TypeIndex::kTVMFFIDict:
        return Mapping<Dict<Any, Any>>(node);
      case TypeIndex::kTVMFFIShape: {
        std::vector<int64_t> dims;
        for (const Any& v : Field<json::Array>(node, "data", "an array")) {
          dims.push_back(v.cast<int64_t>());
        }
        return Shape(dims);
      }
      default:
        break;
    }
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin) {
      Malformed("a node of type `" + std::string(type_key) + "` cannot be read back");
    }
    auto data = node.find(String("data"));
    Any payload = data == node.end() ? Any() : (*data).second;
    if (details::IsObjectInstance<EnumObj>(ti)) {
      bool by_int = details::IsObjectInstance<IntEnumObj>(ti);
      if (by_int ? payload.type_index() != TypeIndex::kTVMFFIInt : !payload.as<String>()) {
        Malformed("the data of enum `" + std::string(type_key) + "` is not " +
                  (by_int ? "an int" : "a string"));
      }
      return by_int ? EnumObj::_GetByIntIndex(ti, payload.cast<int64_t>())
                    : EnumObj::_GetByStrIndex(ti, payload.cast<String>());
    }
    static const internal::TypeAttr from_json("__data_from_json__");
    AnyView hook = from_json[ti];
    if (hook.type_index() != TypeIndex::kTVMFFINone) return hook.cast<Function>()(payload);
    return DecodeObject(ti, payload);
  }

  Any DecodeObject(int32_t ti, const Any& payload) {
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(ti);
    std::optional<json::Object> fields = payload.try_cast<json::Object>();
    if (!fields.has_value()) {
      Malformed("the data of a `" + std::string(View(info->type_key)) + "` is not an object");
    }
    ObjectPtr<Object> obj = internal::NewEmptyObject(info);
    internal::ForEachField(info, [&](const TVMFFIFieldInfo& f) {
      void* addr = reinterpret_cast<char*>(obj.get()) + f.offset;
      auto it = fields->find(String(f.name.data, f.name.size));
      if (it == fields->end()) {
        if (f.flags & kTVMFFIFieldFlagBitMaskHasDefault) {
          internal::SetFieldToDefault(&f, addr);
          return;
        }
        TVM_FFI_THROW(TypeError) << "Required field `" << View(f.name) << "` not set in type `"
                                 << View(info->type_key) << "`";
      }
      Any raw = (*it).second;
      Any value;
      if (f.field_static_type_index == TypeIndex::kTVMFFIDataType) {
        value = StringToDLDataType(raw.cast<String>());
      } else if (IsInlineField(f.field_static_type_index)) {
        value = raw;
      } else {
        value = Index(raw);
      }
      if (internal::CallFieldSetter(&f, addr, Raw(value)) != 0) {
        throw details::MoveFromSafeCallRaised();
      }
    });
    return ObjectRef(std::move(obj));
  }

  int64_t root_ = 0;
  json::Array nodes_;
  std::vector<Any> decoded_;
  std::vector<int8_t> state_;  // 0 unread, 1 being read, 2 read
  int depth_ = 0;
};

}  // namespace

json::Value ToJSONGraph(const Any& value, const Any& metadata) {
  GraphWriter writer;
  int64_t root = writer.NodeOf(value);
  json::Object graph{{String("root_index"), root}, {String("nodes"), writer.TakeNodes()}};
  if (metadata != nullptr) graph.Set(String("metadata"), metadata);
  return graph;
}

Any FromJSONGraph(const json::Value& value) { return GraphReader(value).Root(); }

}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  ffi::reflection::GlobalDef()
      .def("ffi.ToJSONGraph", ffi::ToJSONGraph)
      .def("ffi.ToJSONGraphString",
           [](const ffi::Any& value, const ffi::Any& metadata) {
             return ffi::json::Stringify(ffi::ToJSONGraph(value, metadata));
           })
      .def("ffi.FromJSONGraph", ffi::FromJSONGraph)
      .def("ffi.FromJSONGraphString",
           [](const ffi::String& text) { return ffi::FromJSONGraph(ffi::json::Parse(text)); });
}
