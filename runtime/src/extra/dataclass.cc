// Recursive operations on values and the objects they reach (extra/dataclass.h):
//   DeepCopy       a copy of every List, Dict, Array, Map and reflected object reached, sharing
//                  and cycles kept; strings, bytes, shapes and enum members are shared, not copied
//   RecursiveHash  a hash consistent with RecursiveEq
//   RecursiveEq / Lt / Le / Gt / Ge
//                  field-by-field comparison; ordering is lexicographic for sequences and
//                  shapes, refused (TypeError) for maps, NaN and values of different types
// and the globals ffi.DeepCopy, ffi.RecursiveHash and ffi.Recursive{Eq,Lt,Le,Gt,Ge}.
//
// Every walk keeps its own explicit stack (a list of a million elements nested a million deep
// is fine; deeper is a ValueError), so no input can exhaust the thread's stack. A type takes
// over with the attributes __ffi_shallow_copy__ (the copy's first step), __ffi_hash__,
// __ffi_eq__ and __ffi_compare__; fields flagged hash-off/compare-off are skipped. The values
// and rules are upstream's (same hashes for the same values), the code is ours.
#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/dataclass.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "reflection_util.h"

namespace tvm {
namespace ffi {
namespace {

constexpr size_t kMaxWalkDepth = size_t{1} << 20;

const TVMFFIAny* Raw(const Any& v) { return details::AnyUnsafe::TVMFFIAnyPtrFromAny(v); }
const Object* ObjectOf(const Any& v) {
  return v.type_index() >= TypeIndex::kTVMFFIStaticObjectBegin
             ? reinterpret_cast<const Object*>(Raw(v)->v_obj)
             : nullptr;
}
const TVMFFITypeInfo* InfoOf(int32_t type_index) { return TVMFFIGetTypeInfo(type_index); }
std::string KeyOf(int32_t type_index) { return TypeIndexToTypeKey(type_index); }
bool IsSequence(int32_t ti) {
  return ti == TypeIndex::kTVMFFIArray || ti == TypeIndex::kTVMFFIList;
}
bool IsMapping(int32_t ti) { return ti == TypeIndex::kTVMFFIMap || ti == TypeIndex::kTVMFFIDict; }

void CheckDepth(size_t depth, const char* what) {
  if (depth >= kMaxWalkDepth) {
    TVM_FFI_THROW(ValueError) << what << ": values nested deeper than " << kMaxWalkDepth
                              << " levels";
  }
}

/*! \brief What a container or reflected object holds, in walking order. */
struct Children {
  enum Shape : uint8_t { kSequence, kMapping, kObject } shape = kObject;
  std::vector<Any> items;  // sequence: elements; mapping: key, value, key, value...; object: fields
  std::vector<const TVMFFIFieldInfo*> fields;  // kObject: the field of each item
};

Children ChildrenOf(const Any& value, uint32_t skip_flags) {
  Children out;
  int32_t ti = value.type_index();
  if (IsSequence(ti)) {
    out.shape = Children::kSequence;
    Array<Any> seq = internal::SequenceView(value);
    out.items.assign(seq.begin(), seq.end());
  } else if (IsMapping(ti)) {
    out.shape = Children::kMapping;
    Map<Any, Any> map = internal::MappingView(value);
    out.items.reserve(2 * map.size());
    for (const auto& kv : map) {
      out.items.push_back(kv.first);
      out.items.push_back(kv.second);
    }
  } else {
    const Object* obj = ObjectOf(value);
    internal::ForEachField(InfoOf(ti), [&](const TVMFFIFieldInfo& f) {
      if (f.flags & skip_flags) return;
      out.items.push_back(internal::ReadField(obj, f));
      out.fields.push_back(&f);
    });
  }
  return out;
}

// ---- DeepCopy -----------------------------------------------------------------------------

class DeepCopier {
 public:
  Any Run(const Any& value) {
    Any out;
    if (!Shared(value, &out)) out = Walk(value);
    if (placeholders_) ReplacePlaceholders();
    return out;
  }

 private:
  struct Frame {
    const Object* original;
    int32_t type_index;
    Children children;
    size_t next = 0;
    Any copy;                // List, Dict, object: made up front (cycles can point at it)
    std::vector<Any> built;  // Array, Map: the copied children, assembled at the end
    std::optional<Any> key;  // Dict: the copied key waiting for its value
  };

  // The value needs no walk: not an object, copied already, or shared by design.
  bool Shared(const Any& value, Any* out) {
    const Object* obj = ObjectOf(value);
    if (obj == nullptr) {
      *out = value;
      return true;
    }
    if (auto it = copies_.find(obj); it != copies_.end()) {
      *out = it->second;
      return true;
    }
    if (building_.count(obj)) {
      // an Array/Map still being copied reached again through a List, Dict or object: keep the
      // original for now, replaced once the copy exists
      placeholders_ = true;
      *out = value;
      return true;
    }
    int32_t ti = value.type_index();
    if (ti == TypeIndex::kTVMFFIStr || ti == TypeIndex::kTVMFFIBytes ||
        ti == TypeIndex::kTVMFFIShape || obj->IsInstance<EnumObj>()) {
      *out = value;
      return true;
    }
    return false;
  }

  Frame Start(const Any& value) {
    Frame f;
    f.original = ObjectOf(value);
    f.type_index = value.type_index();
    f.children = ChildrenOf(value, 0);
    switch (f.type_index) {
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIMap:
        building_.insert(f.original);
        f.built.reserve(f.children.items.size());
        break;
      case TypeIndex::kTVMFFIList: {
        List<Any> list;
        list.reserve(static_cast<int64_t>(f.children.items.size()));
        f.copy = list;
        copies_[f.original] = f.copy;
        break;
      }
      case TypeIndex::kTVMFFIDict:
        f.copy = Dict<Any, Any>();
        copies_[f.original] = f.copy;
        break;
      default: {
        static internal::TypeAttr shallow_copy(reflection::type_attr::kShallowCopy);
        AnyView copier = shallow_copy[f.type_index];
        if (copier == nullptr) {
          TVM_FFI_THROW(RuntimeError) << "Cannot deep copy object of type \"" << KeyOf(f.type_index)
                                      << "\" because it is not copy-constructible";
        }
        f.copy = copier.cast<Function>()(value);
        copies_[f.original] = f.copy;
        break;
      }
    }
    return f;
  }

  void Feed(Frame& f, Any child) {
    switch (f.type_index) {
      case TypeIndex::kTVMFFIArray:
      case TypeIndex::kTVMFFIMap:
        f.built.push_back(std::move(child));
        return;
      case TypeIndex::kTVMFFIList:
        f.copy.cast<List<Any>>().push_back(std::move(child));
        return;
      case TypeIndex::kTVMFFIDict:
        if (!f.key.has_value()) {
          f.key = std::move(child);
        } else {
          f.copy.cast<Dict<Any, Any>>().Set(*f.key, std::move(child));
          f.key.reset();
        }
        return;
      default: {
        size_t index = f.next - 1;
        if (!child.same_as(f.children.items[index]))
          SetField(f.copy, *f.children.fields[index], child);
        return;
      }
    }
  }

  Any Finish(Frame& f) {
    if (f.type_index == TypeIndex::kTVMFFIArray) {
      Array<Any> out(f.built.begin(), f.built.end());
      building_.erase(f.original);
      copies_[f.original] = out;
      return out;
    }
    if (f.type_index == TypeIndex::kTVMFFIMap) {
      Map<Any, Any> out;
      for (size_t i = 0; i + 1 < f.built.size(); i += 2) out.Set(f.built[i], f.built[i + 1]);
      building_.erase(f.original);
      copies_[f.original] = out;
      return out;
    }
    return f.copy;
  }

  Any Walk(const Any& root) {
    std::vector<Frame> stack;
    stack.push_back(Start(root));
    while (true) {
      Frame& top = stack.back();
      if (top.next < top.children.items.size()) {
        const Any& child = top.children.items[top.next++];
        Any shared;
        if (Shared(child, &shared)) {
          Feed(top, std::move(shared));
        } else {
          CheckDepth(stack.size(), "DeepCopy");
          Frame next = Start(child);  // before push_back, which may move `child`'s frame
          stack.push_back(std::move(next));
        }
        continue;
      }
      Any done = Finish(top);
      stack.pop_back();
      if (stack.empty()) return done;
      Feed(stack.back(), std::move(done));
    }
  }

  static void SetField(const Any& object, const TVMFFIFieldInfo& f, const Any& value) {
    void* addr = const_cast<char*>(reinterpret_cast<const char*>(ObjectOf(object))) + f.offset;
    if (internal::CallFieldSetter(&f, addr, Raw(value)) != 0) {
      throw details::MoveFromSafeCallRaised();
    }
  }

  // The copy of a placeholder original, or nullopt when `v` is not one.
  std::optional<Any> CopyOf(const Any& v) const {
    const Object* obj = ObjectOf(v);
    if (obj == nullptr) return std::nullopt;
    auto it = copies_.find(obj);
    if (it == copies_.end() || it->second.same_as(v)) return std::nullopt;
    return it->second;
  }

  void ReplacePlaceholders() {
    for (const auto& [original, copy] : copies_) {
      int32_t ti = copy.type_index();
      if (ti == TypeIndex::kTVMFFIList) {
        List<Any> list = copy.cast<List<Any>>();
        for (int64_t i = 0; i < static_cast<int64_t>(list.size()); ++i) {
          if (std::optional<Any> c = CopyOf(list[i])) list.Set(i, *c);
        }
      } else if (ti == TypeIndex::kTVMFFIDict) {
        Dict<Any, Any> dict = copy.cast<Dict<Any, Any>>();
        std::vector<std::tuple<Any, Any, Any>> changes;  // old key, new key, new value
        for (const auto& kv : dict) {
          std::optional<Any> k = CopyOf(kv.first);
          std::optional<Any> v = CopyOf(kv.second);
          if (k || v) changes.emplace_back(kv.first, k ? *k : kv.first, v ? *v : kv.second);
        }
        for (auto& [old_key, new_key, new_value] : changes) {
          dict.erase(old_key);
          dict.Set(new_key, new_value);
        }
      } else if (ti >= TypeIndex::kTVMFFIStaticObjectEnd) {
        internal::ForEachField(InfoOf(ti), [&](const TVMFFIFieldInfo& f) {
          if (std::optional<Any> c = CopyOf(internal::ReadField(ObjectOf(copy), f))) {
            SetField(copy, f, *c);
          }
        });
      }
    }
  }

  std::unordered_map<const Object*, Any> copies_;  // original -> its copy
  std::unordered_set<const Object*> building_;     // Arrays/Maps whose copy is not made yet
  bool placeholders_ = false;
};

// ---- strings and bytes, either form -------------------------------------------------------

TVMFFIByteArray TextOf(const Any& v) { return details::BytesCellView(Raw(v)); }

// ---- RecursiveHash ------------------------------------------------------------------------

class RecursiveHasher {
 public:
  uint64_t Hash(const Any& value) {
    uint64_t h;
    if (Immediate(value, &h)) return h;
    return Walk(value);
  }

 private:
  struct Frame {
    const Object* obj;
    Children children;
    size_t next = 0;
    uint64_t hash = 0;
    std::vector<uint64_t> entries;  // mapping: one hash per (key, value), sorted at the end
    std::optional<uint64_t> key;
  };

  static uint64_t Combine(uint64_t a, uint64_t b) { return details::StableHashCombine(a, b); }

  bool Immediate(const Any& value, uint64_t* out) {
    const TVMFFIAny* raw = Raw(value);
    int32_t ti = raw->type_index;
    if (ti == TypeIndex::kTVMFFINone) {
      *out = Combine(0, 0);
      return true;
    }
    if (details::IsStrIndex(ti) || details::IsBytesIndex(ti)) {
      TVMFFIByteArray text = TextOf(value);
      uint64_t kind = details::IsStrIndex(ti) ? TypeIndex::kTVMFFIStr : TypeIndex::kTVMFFIBytes;
      *out = Combine(kind, details::StableHashBytes(text.data, text.size));
      return true;
    }
    if (ti < TypeIndex::kTVMFFIStaticObjectBegin) {
      *out = HashPOD(raw);
      return true;
    }
    const Object* obj = ObjectOf(value);
    if (auto it = memo_.find(obj); it != memo_.end()) {
      *out = it->second;
      return true;
    }
    if (active_.count(obj)) {  // a cycle: the type stands for the value
      *out = InfoOf(ti)->type_key_hash;
      return true;
    }
    if (ti == TypeIndex::kTVMFFIShape) {
      *out = memo_[obj] = HashShape(value.cast<Shape>());
      return true;
    }
    static internal::TypeAttr hash_hook(reflection::type_attr::kHash);
    if (AnyView hook = hash_hook[ti]; hook != nullptr) {
      active_.insert(obj);
      Function recurse = Function::FromTyped(
          [this](AnyView v) -> int64_t { return static_cast<int64_t>(Hash(Any(v))); });
      uint64_t h = static_cast<uint64_t>(hook.cast<Function>()(value, recurse).cast<int64_t>());
      active_.erase(obj);
      *out = memo_[obj] = h;
      return true;
    }
    if (ti >= TypeIndex::kTVMFFIStaticObjectEnd) {
      static internal::TypeAttr eq_hook(reflection::type_attr::kEq);
      static internal::TypeAttr compare_hook(reflection::type_attr::kCompare);
      if (eq_hook[ti] != nullptr || compare_hook[ti] != nullptr) {
        TVM_FFI_THROW(ValueError)
            << "RecursiveHash: type '" << KeyOf(ti)
            << "' defines __ffi_eq__ or __ffi_compare__ but not __ffi_hash__. Add a __ffi_hash__ "
               "hook to maintain the invariant RecursiveEq(a,b) => "
               "RecursiveHash(a)==RecursiveHash(b).";
      }
    }
    return false;
  }

  Frame Start(const Any& value) {
    Frame f;
    f.obj = ObjectOf(value);
    f.children =
        ChildrenOf(value, kTVMFFIFieldFlagBitMaskHashOff | kTVMFFIFieldFlagBitMaskCompareOff);
    uint64_t type_hash = InfoOf(value.type_index())->type_key_hash;
    if (f.children.shape == Children::kObject) {
      f.hash = type_hash;
    } else {
      size_t n = f.children.items.size();
      f.hash = Combine(type_hash, f.children.shape == Children::kMapping ? n / 2 : n);
    }
    active_.insert(f.obj);
    return f;
  }

  static void Feed(Frame& f, uint64_t h) {
    switch (f.children.shape) {
      case Children::kSequence:
        f.hash = Combine(f.hash, Combine(h, f.next - 1));
        return;
      case Children::kMapping:
        if (!f.key.has_value()) {
          f.key = h;
        } else {
          f.entries.push_back(Combine(*f.key, h));
          f.key.reset();
        }
        return;
      case Children::kObject:
        f.hash = Combine(f.hash, h);
        return;
    }
  }

  uint64_t Walk(const Any& root) {
    std::vector<Frame> stack;
    stack.push_back(Start(root));
    while (true) {
      Frame& top = stack.back();
      if (top.next < top.children.items.size()) {
        Any child = top.children.items[top.next++];
        uint64_t h;
        if (Immediate(child, &h)) {
          Feed(top, h);
        } else {
          CheckDepth(stack.size(), "RecursiveHash");
          stack.push_back(Start(child));
        }
        continue;
      }
      if (top.children.shape == Children::kMapping) {  // order-free: sorted entry hashes
        std::sort(top.entries.begin(), top.entries.end());
        for (uint64_t e : top.entries) top.hash = Combine(top.hash, e);
      }
      uint64_t done = top.hash;
      memo_[top.obj] = done;
      active_.erase(top.obj);
      stack.pop_back();
      if (stack.empty()) return done;
      Feed(stack.back(), done);
    }
  }

  static uint64_t HashPOD(const TVMFFIAny* raw) {
    uint64_t ti = static_cast<uint64_t>(raw->type_index);
    switch (raw->type_index) {
      case TypeIndex::kTVMFFIBool:
        return Combine(ti, raw->v_int64 != 0 ? 1 : 0);
      case TypeIndex::kTVMFFIInt:
        return Combine(ti, static_cast<uint64_t>(raw->v_int64));
      case TypeIndex::kTVMFFIFloat: {
        // every NaN alike, and -0.0 as 0.0: equal values hash alike
        double v = raw->v_float64;
        if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
        if (v == 0.0) v = 0.0;
        uint64_t bits;
        std::memcpy(&bits, &v, sizeof(bits));
        return Combine(ti, bits);
      }
      case TypeIndex::kTVMFFIDataType:
        return Combine(Combine(Combine(ti, raw->v_dtype.code), raw->v_dtype.bits),
                       raw->v_dtype.lanes);
      case TypeIndex::kTVMFFIDevice:
        return Combine(Combine(ti, static_cast<uint64_t>(raw->v_device.device_type)),
                       static_cast<uint64_t>(raw->v_device.device_id));
      default:
        return Combine(ti, raw->v_uint64);
    }
  }

  static uint64_t HashShape(const Shape& shape) {
    uint64_t h = Combine(InfoOf(TypeIndex::kTVMFFIShape)->type_key_hash, shape.size());
    for (int64_t d : shape) h = Combine(h, static_cast<uint64_t>(d));
    return h;
  }

  std::unordered_map<const Object*, uint64_t> memo_;  // objects hashed already
  std::unordered_set<const Object*> active_;          // objects being hashed (cycles)
};

// ---- RecursiveCompare ---------------------------------------------------------------------

class RecursiveComparer {
 public:
  explicit RecursiveComparer(bool eq_only) : eq_only_(eq_only) {}

  /*! \brief -1, 0 or 1. Equality-only comparisons never throw for a mismatch: they say 1. */
  int32_t Compare(const Any& lhs, const Any& rhs) {
    int32_t c;
    if (Immediate(lhs, rhs, &c)) return c;
    std::vector<Frame> stack;
    if (std::optional<int32_t> early = Start(stack, lhs, rhs)) return *early;
    return Walk(stack);
  }

 private:
  using Pair = std::pair<const Object*, const Object*>;
  struct PairHash {
    size_t operator()(const Pair& p) const {
      return details::StableHashCombine(reinterpret_cast<uintptr_t>(p.first),
                                        reinterpret_cast<uintptr_t>(p.second));
    }
  };
  struct Frame {
    Pair objs;
    Children::Shape shape;
    std::vector<std::pair<Any, Any>> items;
    size_t next = 0;
    size_t lhs_size = 0;
    size_t rhs_size = 0;
  };

  int32_t Walk(std::vector<Frame>& stack) {
    while (true) {
      Frame& top = stack.back();
      if (top.next < top.items.size()) {
        std::pair<Any, Any> item = top.items[top.next++];
        int32_t c;
        if (Immediate(item.first, item.second, &c)) {
          if (c != 0) return Stop(stack, c);
          continue;
        }
        CheckDepth(stack.size(), "RecursiveCompare");
        if (std::optional<int32_t> early = Start(stack, item.first, item.second)) {
          if (*early != 0) return Stop(stack, *early);
        }
        continue;
      }
      int32_t done = 0;
      if (top.shape == Children::kSequence && top.lhs_size != top.rhs_size) {
        done = top.lhs_size < top.rhs_size ? -1 : 1;
      }
      active_.erase(top.objs);
      stack.pop_back();
      if (stack.empty()) return done;
      if (done != 0) return Stop(stack, done);
    }
  }

  // A difference ends the walk. Ordering through a Map/Dict is refused: maps have no order.
  int32_t Stop(std::vector<Frame>& stack, int32_t result) {
    bool through_mapping = std::any_of(
        stack.begin(), stack.end(), [](const Frame& f) { return f.shape == Children::kMapping; });
    for (const Frame& f : stack) active_.erase(f.objs);
    stack.clear();
    if (!eq_only_ && through_mapping) {
      TVM_FFI_THROW(TypeError) << "Cannot order Map/Dict values";
    }
    return result;
  }

  // Pushes the frame comparing two objects of the same type; or the answer when the shapes
  // alone decide it (maps of different sizes or keys).
  std::optional<int32_t> Start(std::vector<Frame>& stack, const Any& lhs, const Any& rhs) {
    Frame f;
    f.objs = {ObjectOf(lhs), ObjectOf(rhs)};
    int32_t ti = lhs.type_index();
    if (IsSequence(ti)) {
      Array<Any> a = internal::SequenceView(lhs);
      Array<Any> b = internal::SequenceView(rhs);
      f.shape = Children::kSequence;
      f.lhs_size = a.size();
      f.rhs_size = b.size();
      size_t n = std::min(a.size(), b.size());
      f.items.reserve(n);
      for (size_t i = 0; i < n; ++i) f.items.emplace_back(a[i], b[i]);
    } else if (IsMapping(ti)) {
      Map<Any, Any> a = internal::MappingView(lhs);
      Map<Any, Any> b = internal::MappingView(rhs);
      f.shape = Children::kMapping;
      if (a.size() != b.size()) return Unordered();
      f.items.reserve(a.size());
      for (const auto& kv : a) {
        auto it = b.find(kv.first);
        if (it == b.end()) return Unordered();
        f.items.emplace_back(kv.second, (*it).second);
      }
    } else {
      f.shape = Children::kObject;
      const Object* a = f.objs.first;
      const Object* b = f.objs.second;
      if (a->type_index() != b->type_index()) return DifferentTypes(a, b);
      internal::ForEachField(InfoOf(a->type_index()), [&](const TVMFFIFieldInfo& field) {
        if (field.flags & kTVMFFIFieldFlagBitMaskCompareOff) return;
        f.items.emplace_back(internal::ReadField(a, field), internal::ReadField(b, field));
      });
    }
    active_.insert(f.objs);
    stack.push_back(std::move(f));
    return std::nullopt;
  }

  int32_t Unordered() const {
    if (!eq_only_) TVM_FFI_THROW(TypeError) << "Cannot order Map/Dict values";
    return 1;
  }

  int32_t DifferentTypes(const Object* a, const Object* b) const {
    if (!eq_only_) {
      TVM_FFI_THROW(TypeError) << "Cannot compare objects of different types: "
                               << KeyOf(a->type_index()) << " vs " << KeyOf(b->type_index());
    }
    return 1;
  }

  bool Immediate(const Any& lhs, const Any& rhs, int32_t* out) {
    const TVMFFIAny* a = Raw(lhs);
    const TVMFFIAny* b = Raw(rhs);
    int32_t lti = a->type_index;
    int32_t rti = b->type_index;
    if (lti == TypeIndex::kTVMFFINone || rti == TypeIndex::kTVMFFINone) {
      *out = (lti == TypeIndex::kTVMFFINone ? 0 : 1) - (rti == TypeIndex::kTVMFFINone ? 0 : 1);
      return true;
    }
    bool both_str = details::IsStrIndex(lti) && details::IsStrIndex(rti);
    bool both_bytes = details::IsBytesIndex(lti) && details::IsBytesIndex(rti);
    if (both_str || both_bytes) {
      TVMFFIByteArray x = TextOf(lhs);
      TVMFFIByteArray y = TextOf(rhs);
      *out = Bytes::memncmp(x.data, y.data, x.size, y.size);
      return true;
    }
    if (lti != rti) {
      if (eq_only_) {
        *out = 1;
        return true;
      }
      TVM_FFI_THROW(TypeError) << "Cannot compare values of different types: " << lhs.GetTypeKey()
                               << " vs " << rhs.GetTypeKey();
    }
    if (lti < TypeIndex::kTVMFFIStaticObjectBegin) {
      *out = ComparePOD(lhs, a, b);
      return true;
    }
    const Object* x = ObjectOf(lhs);
    const Object* y = ObjectOf(rhs);
    if (x == y) {
      *out = 0;
      return true;
    }
    if (lti == TypeIndex::kTVMFFIShape) {
      Shape s = lhs.cast<Shape>();
      Shape t = rhs.cast<Shape>();
      *out = std::lexicographical_compare(s.begin(), s.end(), t.begin(), t.end())   ? -1
             : std::lexicographical_compare(t.begin(), t.end(), s.begin(), s.end()) ? 1
                                                                                    : 0;
      return true;
    }
    if (active_.count({x, y})) {  // a cycle: equal so far
      if (eq_only_) {
        *out = 0;
        return true;
      }
      TVM_FFI_THROW(ValueError) << "RecursiveCompare: cyclic reference detected in ordering";
    }
    if (lti >= TypeIndex::kTVMFFIStaticObjectEnd) return CustomHook(lhs, rhs, x, y, out);
    return false;
  }

  bool CustomHook(const Any& lhs, const Any& rhs, const Object* x, const Object* y, int32_t* out) {
    static internal::TypeAttr eq_hook(reflection::type_attr::kEq);
    static internal::TypeAttr compare_hook(reflection::type_attr::kCompare);
    int32_t ti = x->type_index();
    AnyView eq = eq_only_ ? eq_hook[ti] : AnyView();
    AnyView cmp = compare_hook[ti];
    if (eq == nullptr && cmp == nullptr) return false;
    Pair key{x, y};
    active_.insert(key);
    struct Leave {
      std::unordered_set<Pair, PairHash>* set;
      Pair key;
      ~Leave() { set->erase(key); }
    } leave{&active_, key};
    if (eq != nullptr) {
      Function recurse = Function::FromTyped(
          [this](AnyView l, AnyView r) -> bool { return Compare(Any(l), Any(r)) == 0; });
      *out = eq.cast<Function>()(lhs, rhs, recurse).cast<bool>() ? 0 : 1;
    } else {
      Function recurse = Function::FromTyped(
          [this](AnyView l, AnyView r) -> int32_t { return Compare(Any(l), Any(r)); });
      *out = cmp.cast<Function>()(lhs, rhs, recurse).cast<int32_t>();
    }
    return true;
  }

  int32_t ComparePOD(const Any& lhs, const TVMFFIAny* a, const TVMFFIAny* b) const {
    auto three_way = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
    switch (a->type_index) {
      case TypeIndex::kTVMFFIBool:
        return three_way(a->v_int64 != 0, b->v_int64 != 0);
      case TypeIndex::kTVMFFIInt:
        return three_way(a->v_int64, b->v_int64);
      case TypeIndex::kTVMFFIFloat: {
        double x = a->v_float64;
        double y = b->v_float64;
        if (std::isnan(x) || std::isnan(y)) {
          if (!eq_only_) TVM_FFI_THROW(TypeError) << "Cannot order NaN values";
          return std::isnan(x) && std::isnan(y) ? 0 : 1;  // NaN equals NaN here
        }
        return three_way(x, y);
      }
      case TypeIndex::kTVMFFIDataType:
        return three_way(std::make_tuple(a->v_dtype.code, a->v_dtype.bits, a->v_dtype.lanes),
                         std::make_tuple(b->v_dtype.code, b->v_dtype.bits, b->v_dtype.lanes));
      case TypeIndex::kTVMFFIDevice:
        return three_way(std::make_pair(a->v_device.device_type, a->v_device.device_id),
                         std::make_pair(b->v_device.device_type, b->v_device.device_id));
      default:
        if (a->zero_padding == b->zero_padding && a->v_int64 == b->v_int64) return 0;
        if (!eq_only_)
          TVM_FFI_THROW(TypeError) << "Cannot order values of type " << lhs.GetTypeKey();
        return 1;
    }
  }

  bool eq_only_;
  std::unordered_set<Pair, PairHash> active_;  // object pairs being compared (cycles)
};

}  // namespace

Any DeepCopy(const Any& value) { return DeepCopier().Run(value); }

int64_t RecursiveHash(const Any& value) {
  return static_cast<int64_t>(RecursiveHasher().Hash(value));
}

bool RecursiveEq(const Any& lhs, const Any& rhs) {
  return RecursiveComparer(true).Compare(lhs, rhs) == 0;
}
bool RecursiveLt(const Any& lhs, const Any& rhs) {
  return RecursiveComparer(false).Compare(lhs, rhs) < 0;
}
bool RecursiveLe(const Any& lhs, const Any& rhs) {
  return RecursiveComparer(false).Compare(lhs, rhs) <= 0;
}
bool RecursiveGt(const Any& lhs, const Any& rhs) {
  return RecursiveComparer(false).Compare(lhs, rhs) > 0;
}
bool RecursiveGe(const Any& lhs, const Any& rhs) {
  return RecursiveComparer(false).Compare(lhs, rhs) >= 0;
}

}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  tvm::ffi::reflection::GlobalDef()
      .def("ffi.DeepCopy", ffi::DeepCopy)
      .def("ffi.RecursiveHash", ffi::RecursiveHash)
      .def("ffi.RecursiveEq", ffi::RecursiveEq)
      .def("ffi.RecursiveLt", ffi::RecursiveLt)
      .def("ffi.RecursiveLe", ffi::RecursiveLe)
      .def("ffi.RecursiveGt", ffi::RecursiveGt)
      .def("ffi.RecursiveGe", ffi::RecursiveGe);
}
