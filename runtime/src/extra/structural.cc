// StructuralEqual::Equal and StructuralHash::Hash (upstream's extra/structural_equal.h and
// structural_hash.h, exported; also the globals "ffi.StructuralEqual" and "ffi.StructuralHash").
//
// The rules, as upstream v0.1.13-post2 has them:
// - Values of different type indexes differ, except a string (or bytes) stored inline and one
//   on the heap, which compare by content. Other POD values compare by their 8 bytes; any NaN
//   equals any NaN.
// - Array (and upstream's List) elementwise; Map (and Dict) by key (keys mapped through the objects
// already matched), in any
//   order; Shape elementwise; Tensor by shape, dtype and, unless skip_tensor_content, the bytes
//   of a contiguous CPU tensor.
// - Objects by their type's structural kind (type metadata; absent or Unsupported is a
//   TypeError): UniqueInstance by identity; ConstTreeNode equal when identical or by fields;
//   TreeNode by fields; DAGNode by fields, and a node matched once must match the same node
//   again; FreeVar by fields and then bound to its counterpart only when identical or inside
//   a definition region (a field flagged SEqHashDef, or everything with map_free_vars).
//   Fields are compared ancestors' first, without those flagged SEqHashIgnore, or through the
//   type's __s_equal__ attribute fn(lhs, rhs, compare(l, r, def_region_kind, field_name)).
// The hash follows the same walk, so equal values hash alike; maps hash their entries in the
// order of their keys' hashes. The hash values are ours, not upstream's numbers.
// GetFirstMismatch runs the same comparison and records, on the way back from the first
// difference, the steps that lead to it on each side (a missing array item or map key shows as
// a *Missing step on the side that lacks it).
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/structural_equal.h>
#include <tvm/ffi/extra/structural_hash.h>
#include <tvm/ffi/extra/structural_key.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/access_path.h>
#include <tvm/ffi/reflection/registry.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace {

constexpr int kMaxDepth = 1000;  // as Python's recursion limit; well within a thread's stack

const TVMFFIAny* Raw(const Any& v) { return details::AnyUnsafe::TVMFFIAnyPtrFromAny(v); }
const Object* ObjectOf(const Any& v) { return reinterpret_cast<const Object*>(Raw(v)->v_obj); }

bool IsStr(int32_t t) { return t == TypeIndex::kTVMFFIStr || t == TypeIndex::kTVMFFISmallStr; }
bool IsBytes(int32_t t) {
  return t == TypeIndex::kTVMFFIBytes || t == TypeIndex::kTVMFFISmallBytes;
}
std::string_view BytesOf(const Any& v) {
  TVMFFIByteArray b = details::BytesCellView(Raw(v));
  return std::string_view(b.data, b.size);
}

// The type's structural kind; TypeError when the type has none.
TVMFFISEqHashKind KindOf(const TVMFFITypeInfo* info) {
  if (info->metadata == nullptr) {
    TVM_FFI_THROW(TypeError) << "Type metadata is not set for type `"
                             << std::string_view(info->type_key.data, info->type_key.size)
                             << "`, so StructuralEqual/StructuralHash is not supported for it";
  }
  if (info->metadata->structural_eq_hash_kind == kTVMFFISEqHashKindUnsupported) {
    TVM_FFI_THROW(TypeError) << "_type_s_eq_hash_kind is not set for type `"
                             << std::string_view(info->type_key.data, info->type_key.size)
                             << "`, so StructuralEqual/StructuralHash is not supported for it";
  }
  return info->metadata->structural_eq_hash_kind;
}

// The hook a type registered in attribute column `name`, or None.

// Calls fn(field) for the fields of info's type, ancestors' first; stops when fn returns true.
template <typename Fn>
bool ForEachFieldUntil(const TVMFFITypeInfo* info, Fn fn) {
  for (int32_t d = 1; d <= info->type_depth; ++d) {
    const TVMFFITypeInfo* owner = d < info->type_depth ? info->type_ancestors[d] : info;
    for (int32_t i = 0; i < owner->num_fields; ++i) {
      if (fn(owner->fields[i])) return true;
    }
  }
  return false;
}

TVMFFIDefRegionKind RegionOfField(const TVMFFIFieldInfo& f, TVMFFIDefRegionKind current) {
  if (f.flags & kTVMFFIFieldFlagBitMaskSEqHashDefNonRecursive) {
    return kTVMFFIDefRegionKindNonRecursive;
  }
  if (f.flags & kTVMFFIFieldFlagBitMaskSEqHashDefRecursive) return kTVMFFIDefRegionKindRecursive;
  return current;
}

// Restores a region kind on scope exit.
class RegionScope {
 public:
  RegionScope(TVMFFIDefRegionKind* slot, TVMFFIDefRegionKind value) : slot_(slot), saved_(*slot) {
    *slot_ = value;
  }
  ~RegionScope() { *slot_ = saved_; }

 private:
  TVMFFIDefRegionKind* slot_;
  TVMFFIDefRegionKind saved_;
};

class Depth {
 public:
  explicit Depth(int* depth) : depth_(depth) {
    if (++*depth_ > kMaxDepth) {
      --*depth_;
      TVM_FFI_THROW(ValueError) << "structural comparison: the value is nested deeper than "
                                << kMaxDepth;
    }
  }
  ~Depth() { --*depth_; }

 private:
  int* depth_;
};

bool CpuTensorBytesEqual(const DLTensor& a, const DLTensor& b) {
  if (a.device.device_type != kDLCPU || b.device.device_type != kDLCPU) {
    TVM_FFI_THROW(ValueError) << "structural comparison reads tensor content on the CPU only";
  }
  if (!IsContiguous(a) || !IsContiguous(b)) {
    TVM_FFI_THROW(ValueError) << "structural comparison reads contiguous tensors only";
  }
  size_t n = GetDataSize(a);
  return n == 0 || std::memcmp(static_cast<const char*>(a.data) + a.byte_offset,
                               static_cast<const char*>(b.data) + b.byte_offset, n) == 0;
}

// ---- equality --------------------------------------------------------------------------------

using reflection::AccessStep;

class EqualChecker {
 public:
  EqualChecker(bool map_free_vars, bool skip_tensor_content)
      : region_(map_free_vars ? kTVMFFIDefRegionKindRecursive : kTVMFFIDefRegionKindNone),
        skip_tensor_content_(skip_tensor_content) {}

  // Records the steps to the first difference, innermost first, into these.
  void RecordPaths(std::vector<AccessStep>* lhs, std::vector<AccessStep>* rhs) {
    lhs_path_ = lhs;
    rhs_path_ = rhs;
  }

  bool Equal(const Any& lhs, const Any& rhs) {
    Depth depth(&depth_);
    const TVMFFIAny* l = Raw(lhs);
    const TVMFFIAny* r = Raw(rhs);
    if (l->type_index != r->type_index) {
      if ((IsStr(l->type_index) && IsStr(r->type_index)) ||
          (IsBytes(l->type_index) && IsBytes(r->type_index))) {
        return BytesOf(lhs) == BytesOf(rhs);
      }
      return false;
    }
    int32_t ti = l->type_index;
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin) {
      if (ti == TypeIndex::kTVMFFISmallStr || ti == TypeIndex::kTVMFFISmallBytes) {
        return BytesOf(lhs) == BytesOf(rhs);
      }
      if (ti == TypeIndex::kTVMFFIFloat && std::isnan(l->v_float64)) {
        return std::isnan(r->v_float64);
      }
      return l->zero_padding == r->zero_padding && l->v_int64 == r->v_int64;
    }
    switch (ti) {
      case TypeIndex::kTVMFFIStr:
      case TypeIndex::kTVMFFIBytes:
        return BytesOf(lhs) == BytesOf(rhs);
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIList:
        return ArrayEqual(internal::SequenceView(lhs), internal::SequenceView(rhs));
      case TypeIndex::kTVMFFIMap:
      case TypeIndex::kTVMFFIDict:
        return MapEqual(internal::MappingView(lhs), internal::MappingView(rhs));
      case TypeIndex::kTVMFFIShape: {
        Shape a = lhs.cast<Shape>();
        Shape b = rhs.cast<Shape>();
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
      }
      case TypeIndex::kTVMFFITensor:
        return TensorEqual(lhs.cast<Tensor>(), rhs.cast<Tensor>());
      default:
        return ObjectEqual(ObjectOf(lhs), ObjectOf(rhs));
    }
  }

 private:
  bool Recording() const { return lhs_path_ != nullptr; }
  void Note(AccessStep lhs, AccessStep rhs) {
    if (!Recording()) return;
    lhs_path_->push_back(std::move(lhs));
    rhs_path_->push_back(std::move(rhs));
  }

  bool ArrayEqual(const Array<Any>& a, const Array<Any>& b) {
    if (a.size() != b.size() && !Recording()) return false;
    int64_t n = static_cast<int64_t>(std::min(a.size(), b.size()));
    for (int64_t i = 0; i < n; ++i) {
      if (!Equal(a[i], b[i])) {
        Note(AccessStep::ArrayItem(i), AccessStep::ArrayItem(i));
        return false;
      }
    }
    if (a.size() == b.size()) return true;
    if (a.size() > b.size()) {
      Note(AccessStep::ArrayItem(n), AccessStep::ArrayItemMissing(n));
    } else {
      Note(AccessStep::ArrayItemMissing(n), AccessStep::ArrayItem(n));
    }
    return false;
  }

  bool TensorEqual(const Tensor& a, const Tensor& b) {
    if (a.get() == b.get()) return true;
    const DLTensor& x = *a.GetDLTensorPtr();
    const DLTensor& y = *b.GetDLTensorPtr();
    if (x.ndim != y.ndim || !std::equal(x.shape, x.shape + x.ndim, y.shape)) return false;
    if (x.dtype.code != y.dtype.code || x.dtype.bits != y.dtype.bits ||
        x.dtype.lanes != y.dtype.lanes) {
      return false;
    }
    return skip_tensor_content_ || CpuTensorBytesEqual(x, y);
  }

  bool MapEqual(const Map<Any, Any>& a, const Map<Any, Any>& b) {
    if (a.size() != b.size() && !Recording()) return false;
    for (const auto& [key, value] : a) {
      Any other_key = Counterpart(key);
      auto it = b.find(other_key);
      if (it == b.end()) {
        Note(AccessStep::MapItem(key), AccessStep::MapItemMissing(other_key));
        return false;
      }
      if (!Equal(value, (*it).second)) {
        Note(AccessStep::MapItem(key), AccessStep::MapItem(other_key));
        return false;
      }
    }
    if (a.size() == b.size()) return true;
    for (const auto& [key, value] : b) {
      Any other_key = Origin(key);
      if (a.find(other_key) == a.end()) {
        Note(AccessStep::MapItemMissing(other_key), AccessStep::MapItem(key));
        return false;
      }
    }
    return false;
  }
  Any Origin(const Any& key) const {
    if (key.type_index() < TypeIndex::kTVMFFIStaticObjectBegin) return key;
    auto it = rhs_to_lhs_.find(ObjectOf(key));
    return it == rhs_to_lhs_.end() ? key : Any(it->second);
  }
  // An object key stands for the rhs object it was matched with.
  Any Counterpart(const Any& key) const {
    if (key.type_index() < TypeIndex::kTVMFFIStaticObjectBegin) return key;
    auto it = lhs_to_rhs_.find(ObjectOf(key));
    return it == lhs_to_rhs_.end() ? key : Any(it->second);
  }

  bool ObjectEqual(const Object* lhs, const Object* rhs) {
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(lhs->type_index());
    TVMFFISEqHashKind kind = KindOf(info);
    if (kind == kTVMFFISEqHashKindUniqueInstance) return lhs == rhs;
    if (kind == kTVMFFISEqHashKindConstTreeNode && lhs == rhs) return true;
    if (kind == kTVMFFISEqHashKindDAGNode || kind == kTVMFFISEqHashKindFreeVar) {
      auto it = lhs_to_rhs_.find(lhs);
      if (it != lhs_to_rhs_.end()) return ObjectOf(it->second) == rhs;
      if (rhs_to_lhs_.count(rhs) != 0) return false;
    }
    if (kind != kTVMFFISEqHashKindFreeVar) {
      bool same = FieldsEqual(lhs, rhs, info);
      if (same && kind == kTVMFFISEqHashKindDAGNode) Bind(lhs, rhs);
      return same;
    }
    bool same;
    {
      // a non-recursive definition binds the variable itself, not what its fields refer to
      RegionScope scope(&region_, region_ == kTVMFFIDefRegionKindNonRecursive
                                      ? kTVMFFIDefRegionKindNone
                                      : region_);
      same = FieldsEqual(lhs, rhs, info);
    }
    if (!same) return false;
    if (lhs == rhs || region_ != kTVMFFIDefRegionKindNone) {
      Bind(lhs, rhs);
      return true;
    }
    return false;
  }
  void Bind(const Object* lhs, const Object* rhs) {
    lhs_to_rhs_[lhs] = GetRef<ObjectRef>(rhs);
    rhs_to_lhs_[rhs] = GetRef<ObjectRef>(lhs);
  }

  bool FieldsEqual(const Object* lhs, const Object* rhs, const TVMFFITypeInfo* info) {
    static const internal::TypeAttr s_equal("__s_equal__");
    AnyView hook = s_equal[info->type_index];
    if (hook.type_index() != TypeIndex::kTVMFFINone) {
      if (callback_ == nullptr) {
        callback_ = Function::FromTyped(
            [this](AnyView l, AnyView r, int region, AnyView field_name) -> bool {
              RegionScope scope(&region_, region == kTVMFFIDefRegionKindNone
                                              ? region_
                                              : static_cast<TVMFFIDefRegionKind>(region));
              bool same = Equal(Any(l), Any(r));
              if (!same && Recording()) {
                String name = field_name.cast<String>();
                Note(AccessStep::Attr(name), AccessStep::Attr(name));
              }
              return same;
            });
      }
      return hook.cast<Function>()(GetRef<ObjectRef>(lhs), GetRef<ObjectRef>(rhs), callback_)
          .cast<bool>();
    }
    bool differs = ForEachFieldUntil(info, [&](const TVMFFIFieldInfo& f) {
      if (f.flags & kTVMFFIFieldFlagBitMaskSEqHashIgnore) return false;
      RegionScope scope(&region_, RegionOfField(f, region_));
      if (Equal(internal::ReadField(lhs, f), internal::ReadField(rhs, f))) return false;
      String name(f.name.data, f.name.size);
      Note(AccessStep::Attr(name), AccessStep::Attr(name));
      return true;
    });
    return !differs;
  }

  TVMFFIDefRegionKind region_;
  bool skip_tensor_content_;
  int depth_ = 0;
  Function callback_{nullptr};
  std::vector<AccessStep>* lhs_path_ = nullptr;
  std::vector<AccessStep>* rhs_path_ = nullptr;
  std::unordered_map<const Object*, ObjectRef> lhs_to_rhs_;
  std::unordered_map<const Object*, ObjectRef> rhs_to_lhs_;
};

// ---- hash ------------------------------------------------------------------------------------

uint64_t Mix(uint64_t seed, uint64_t value) {
  // splitmix64 of the value, folded into the seed
  value += 0x9e3779b97f4a7c15ull;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
  value ^= value >> 31;
  return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}
uint64_t HashBytes(std::string_view b) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : b) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

class Hasher {
 public:
  Hasher(bool map_free_vars, bool skip_tensor_content)
      : region_(map_free_vars ? kTVMFFIDefRegionKindRecursive : kTVMFFIDefRegionKindNone),
        skip_tensor_content_(skip_tensor_content) {}

  uint64_t Hash(const Any& value) {
    Depth depth(&depth_);
    const TVMFFIAny* v = Raw(value);
    int32_t ti = v->type_index;
    if (IsStr(ti)) return Mix(TypeIndex::kTVMFFIStr, HashBytes(BytesOf(value)));
    if (IsBytes(ti)) return Mix(TypeIndex::kTVMFFIBytes, HashBytes(BytesOf(value)));
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin) {
      if (ti == TypeIndex::kTVMFFIFloat && std::isnan(v->v_float64)) {
        return Mix(ti, 0x7ff8000000000000ull);  // every NaN alike
      }
      return Mix(Mix(ti, v->zero_padding), v->v_uint64);
    }
    const TVMFFITypeInfo* info = TVMFFIGetTypeInfo(ti);
    uint64_t type_hash = info != nullptr ? info->type_key_hash : static_cast<uint64_t>(ti);
    switch (ti) {
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIList: {
        Array<Any> a = internal::SequenceView(value);
        uint64_t h = Mix(type_hash, a.size());
        for (const Any& item : a) h = Mix(h, Hash(item));
        return h;
      }
      case TypeIndex::kTVMFFIMap:
      case TypeIndex::kTVMFFIDict:
        return MapHash(internal::MappingView(value), type_hash);
      case TypeIndex::kTVMFFIShape: {
        Shape s = value.cast<Shape>();
        uint64_t h = Mix(type_hash, s.size());
        for (int64_t d : s) h = Mix(h, static_cast<uint64_t>(d));
        return h;
      }
      case TypeIndex::kTVMFFITensor: {
        const DLTensor& t = *value.cast<Tensor>().GetDLTensorPtr();
        uint64_t h = Mix(type_hash, static_cast<uint64_t>(t.ndim));
        for (int i = 0; i < t.ndim; ++i) h = Mix(h, static_cast<uint64_t>(t.shape[i]));
        h = Mix(h, (uint64_t{t.dtype.code} << 24) | (uint64_t{t.dtype.bits} << 16) | t.dtype.lanes);
        if (!skip_tensor_content_) {
          if (t.device.device_type != kDLCPU || !IsContiguous(t)) {
            TVM_FFI_THROW(ValueError) << "structural hash reads contiguous CPU tensors only";
          }
          h = Mix(h, HashBytes(std::string_view(static_cast<const char*>(t.data) + t.byte_offset,
                                                GetDataSize(t))));
        }
        return h;
      }
      default:
        return ObjectHash(ObjectOf(value), info);
    }
  }

 private:
  // Order-independent: entries sorted by their keys' hashes (keys equal maps match by key).
  uint64_t MapHash(const Map<Any, Any>& m, uint64_t type_hash) {
    uint64_t h = Mix(type_hash, m.size());
    std::vector<std::pair<uint64_t, Any>> items;
    for (const auto& [key, value] : m) {
      std::optional<uint64_t> key_hash = KeyHash(key);
      if (key_hash.has_value()) items.emplace_back(*key_hash, value);
    }
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < items.size();) {
      size_t k = i + 1;
      while (k < items.size() && items[k].first == items[i].first) ++k;
      h = Mix(h, items[i].first);
      if (k == i + 1) h = Mix(h, Hash(items[i].second));  // colliding keys: order unknown
      i = k;
    }
    return h;
  }
  // A key's hash when it does not depend on the walk: PODs, strings, objects hashed before.
  std::optional<uint64_t> KeyHash(const Any& key) {
    int32_t ti = key.type_index();
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin || IsStr(ti) || IsBytes(ti)) return Hash(key);
    auto it = memo_.find(ObjectOf(key));
    if (it != memo_.end()) return it->second;
    return std::nullopt;
  }

  uint64_t ObjectHash(const Object* obj, const TVMFFITypeInfo* info) {
    TVMFFISEqHashKind kind = KindOf(info);
    auto it = memo_.find(obj);
    if (it != memo_.end()) return it->second;
    uint64_t h;
    if (kind == kTVMFFISEqHashKindUniqueInstance) {
      h = Mix(info->type_key_hash, reinterpret_cast<uintptr_t>(obj));
    } else if (kind != kTVMFFISEqHashKindFreeVar) {
      h = FieldsHash(obj, info);
    } else {
      {
        RegionScope scope(&region_, region_ == kTVMFFIDefRegionKindNonRecursive
                                        ? kTVMFFIDefRegionKindNone
                                        : region_);
        h = FieldsHash(obj, info);
      }
      // a bound variable hashes by its place among the definitions, a free one by identity
      h = region_ != kTVMFFIDefRegionKindNone
              ? Mix(h, free_vars_++)
              : Mix(info->type_key_hash, reinterpret_cast<uintptr_t>(obj));
    }
    if (kind == kTVMFFISEqHashKindDAGNode) h = Mix(h, dag_nodes_++);
    memo_[obj] = h;
    return h;
  }

  uint64_t FieldsHash(const Object* obj, const TVMFFITypeInfo* info) {
    uint64_t h = info->type_key_hash;
    static const internal::TypeAttr s_hash("__s_hash__");
    AnyView hook = s_hash[info->type_index];
    if (hook.type_index() != TypeIndex::kTVMFFINone) {
      if (callback_ == nullptr) {
        callback_ = Function::FromTyped([this](AnyView v, int64_t seed, int region) -> int64_t {
          RegionScope scope(&region_, region == kTVMFFIDefRegionKindNone
                                          ? region_
                                          : static_cast<TVMFFIDefRegionKind>(region));
          return static_cast<int64_t>(Mix(static_cast<uint64_t>(seed), Hash(Any(v))));
        });
      }
      return static_cast<uint64_t>(
          hook.cast<Function>()(GetRef<ObjectRef>(obj), static_cast<int64_t>(h), callback_)
              .cast<int64_t>());
    }
    ForEachFieldUntil(info, [&](const TVMFFIFieldInfo& f) {
      if (f.flags & kTVMFFIFieldFlagBitMaskSEqHashIgnore) return false;
      RegionScope scope(&region_, RegionOfField(f, region_));
      h = Mix(h, Hash(internal::ReadField(obj, f)));
      return false;
    });
    return h;
  }

  TVMFFIDefRegionKind region_;
  bool skip_tensor_content_;
  int depth_ = 0;
  uint64_t free_vars_ = 0;
  uint64_t dag_nodes_ = 0;
  Function callback_{nullptr};
  std::unordered_map<const Object*, uint64_t> memo_;
};

}  // namespace

bool StructuralEqual::Equal(const Any& lhs, const Any& rhs, bool map_free_vars,
                            bool skip_tensor_content) {
  return EqualChecker(map_free_vars, skip_tensor_content).Equal(lhs, rhs);
}

Optional<reflection::AccessPathPair> StructuralEqual::GetFirstMismatch(const Any& lhs,
                                                                       const Any& rhs,
                                                                       bool map_free_vars,
                                                                       bool skip_tensor_content) {
  EqualChecker checker(map_free_vars, skip_tensor_content);
  std::vector<AccessStep> lhs_steps;
  std::vector<AccessStep> rhs_steps;
  checker.RecordPaths(&lhs_steps, &rhs_steps);
  if (checker.Equal(lhs, rhs)) return std::nullopt;
  using reflection::AccessPath;
  return reflection::AccessPathPair(AccessPath::FromSteps(lhs_steps.rbegin(), lhs_steps.rend()),
                                    AccessPath::FromSteps(rhs_steps.rbegin(), rhs_steps.rend()));
}

uint64_t StructuralHash::Hash(const Any& value, bool map_free_vars, bool skip_tensor_content) {
  return Hasher(map_free_vars, skip_tensor_content).Hash(value);
}

}  // namespace ffi
}  // namespace tvm

namespace tvm {
namespace ffi {
namespace {
// The __any_hash__/__any_equal__ hooks of StructuralKey (called with StructuralKey values).
int64_t StructuralKeyHash(const Any& key) { return key.as<StructuralKeyObj>()->hash_i64; }
bool StructuralKeyEqual(const Any& lhs, const Any& rhs) {
  if (lhs.same_as(rhs)) return true;
  const StructuralKeyObj* a = lhs.as<StructuralKeyObj>();
  const StructuralKeyObj* b = rhs.as<StructuralKeyObj>();
  if (a == nullptr || b == nullptr) {
    TVM_FFI_THROW(TypeError) << "ffi.StructuralKeyEqual compares two StructuralKeys, got `"
                             << lhs.GetTypeKey() << "` and `" << rhs.GetTypeKey() << "`";
  }
  return a->hash_i64 == b->hash_i64 && StructuralEqual::Equal(a->key, b->key);
}
}  // namespace
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  namespace refl = tvm::ffi::reflection;
  refl::ObjectDef<ffi::StructuralKeyObj>()
      .def(refl::init<ffi::Any>(), "A key compared by structure (its structural hash computed)")
      .def_ro("key", &ffi::StructuralKeyObj::key)
      .def_ro("hash_i64", &ffi::StructuralKeyObj::hash_i64);
  refl::TypeAttrDef<ffi::StructuralKeyObj>()
      .attr(refl::type_attr::kAnyHash, reinterpret_cast<void*>(&ffi::StructuralKeyHash))
      .attr(refl::type_attr::kAnyEqual, reinterpret_cast<void*>(&ffi::StructuralKeyEqual));
  ffi::reflection::GlobalDef()
      .def("ffi.StructuralKey", [](ffi::Any key) { return ffi::StructuralKey(std::move(key)); })
      .def("ffi.StructuralKeyEqual", ffi::StructuralKeyEqual)
      .def("ffi.StructuralEqual", ffi::StructuralEqual::Equal)
      .def("ffi.GetFirstStructuralMismatch", ffi::StructuralEqual::GetFirstMismatch)
      .def("ffi.StructuralHash",
           [](const ffi::Any& value, bool map_free_vars, bool skip_tensor_content) {
             return static_cast<int64_t>(
                 ffi::StructuralHash::Hash(value, map_free_vars, skip_tensor_content));
           });
}
