// The process-wide type table: builtin and runtime-allocated type indices, ancestors for
// IsInstance, and reflection records (fields, methods, metadata, attribute columns).
#include <tvm/ffi/any.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/string.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend_guard.h"

namespace tvm {
namespace ffi {
namespace {

class TypeTable {
 public:
  struct Entry : public TVMFFITypeInfo {
    std::string key_data;
    std::vector<const TVMFFITypeInfo*> ancestors_data;
    std::vector<TVMFFIFieldInfo> fields_data;
    std::vector<TVMFFIMethodInfo> methods_data;
    TVMFFITypeMetadata metadata_data;
    int32_t num_slots;        // this type plus its reserved child block
    int32_t allocated_slots;  // used part of the block (1 = the type itself)
    bool child_slots_can_overflow;
  };

  static TypeTable* Global() {
    // Never destroyed: libraries unloaded at exit may still query it.
    static TypeTable* table = new TypeTable();
    return table;
  }

  int32_t GetOrAlloc(const std::string& key, int32_t static_index, int32_t depth,
                     int32_t child_slots, bool can_overflow, int32_t parent_index) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = key_to_index_.find(key);
    if (it != key_to_index_.end()) return it->second;
    if (parent_index == -2) return -2;
    Entry* parent = nullptr;
    if (parent_index >= 0) {
      parent = GetLocked(parent_index);
      TVM_FFI_ICHECK(parent != nullptr)
          << "parent type index " << parent_index << " of `" << key << "` is not registered";
      TVM_FFI_ICHECK_EQ(depth, parent->type_depth + 1) << " for type `" << key << "`";
    }
    int32_t index;
    if (static_index >= 0) {
      TVM_FFI_ICHECK(GetLocked(static_index) == nullptr)
          << "Conflicting static index " << static_index << " for `" << key << "`";
      index = static_index;
    } else {
      TVM_FFI_ICHECK(parent != nullptr) << "type `" << key << "` needs a parent";
      int32_t need = child_slots + 1;
      if (parent->allocated_slots + need <= parent->num_slots) {
        index = parent->type_index + parent->allocated_slots;
        parent->allocated_slots += need;
      } else {
        TVM_FFI_ICHECK(parent->child_slots_can_overflow)
            << "Reach maximum number of sub-classes for "
            << std::string(parent->type_key.data, parent->type_key.size);
        index = next_dynamic_index_;
        next_dynamic_index_ += need;
      }
    }
    if (parent != nullptr && !parent->child_slots_can_overflow) can_overflow = false;
    auto entry = std::make_unique<Entry>();
    entry->key_data = key;
    entry->num_slots = child_slots + 1;
    entry->allocated_slots = 1;
    entry->child_slots_can_overflow = can_overflow;
    if (parent != nullptr) {
      entry->ancestors_data.assign(parent->type_ancestors,
                                   parent->type_ancestors + parent->type_depth);
      entry->ancestors_data.push_back(parent);
    }
    entry->type_index = index;
    entry->type_depth = depth;
    entry->type_key = TVMFFIByteArray{entry->key_data.data(), entry->key_data.size()};
    entry->type_ancestors = entry->ancestors_data.empty() ? nullptr : entry->ancestors_data.data();
    entry->type_key_hash = details::StableHashBytes(key.data(), key.size());
    entry->num_fields = 0;
    entry->num_methods = 0;
    entry->fields = nullptr;
    entry->methods = nullptr;
    entry->metadata = nullptr;
    Publish(index, entry.release());
    key_to_index_.emplace(key, index);
    return index;
  }

  // Lock-free: entries are published once and never removed.
  const Entry* Get(int32_t index) const {
    if (index < 0 || index >= kMaxTypes) return nullptr;
    std::atomic<Entry*>* chunk = chunks_[index >> kChunkBits].load(std::memory_order_acquire);
    if (chunk == nullptr) return nullptr;
    return chunk[index & (kChunkSize - 1)].load(std::memory_order_acquire);
  }

  int32_t KeyToIndex(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = key_to_index_.find(key);
    if (it == key_to_index_.end()) TVM_FFI_THROW(KeyError) << "Cannot find type `" << key << "`";
    return it->second;
  }

  std::vector<std::string> Keys() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> keys;
    for (int32_t i = 0; i < next_dynamic_index_; ++i) {
      if (const Entry* e = GetLocked(i)) keys.push_back(e->key_data);
    }
    return keys;
  }

  void RegisterField(int32_t index, const TVMFFIFieldInfo* info) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry* entry = RequireLocked(index);
    std::string_view name(info->name.data, info->name.size);
    for (const TVMFFIFieldInfo& f : entry->fields_data) {
      if (std::string_view(f.name.data, f.name.size) == name) {
        TVM_FFI_THROW(InternalError)
            << "Duplicate field name \"" << name << "\" in type \"" << entry->key_data << "\"";
      }
    }
    TVMFFIFieldInfo copy = *info;
    copy.name = Keep(info->name);
    copy.doc = Keep(info->doc);
    copy.metadata = Keep(info->metadata);
    if (info->flags & kTVMFFIFieldFlagBitMaskHasDefault) {
      copy.default_value_or_factory = KeepAny(info->default_value_or_factory);
    } else {
      details::SetNone(&copy.default_value_or_factory);
    }
    if ((info->flags & kTVMFFIFieldFlagBitSetterIsFunctionObj) && info->setter != nullptr) {
      TVMFFIAny setter;
      setter.type_index = TypeIndex::kTVMFFIFunction;
      setter.zero_padding = 0;
      setter.v_obj = static_cast<TVMFFIObject*>(info->setter);
      KeepAny(setter);
    }
    entry->fields_data.push_back(copy);
    entry->fields = entry->fields_data.data();
    entry->num_fields = static_cast<int32_t>(entry->fields_data.size());
  }

  void RegisterMethod(int32_t index, const TVMFFIMethodInfo* info) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry* entry = RequireLocked(index);
    TVMFFIMethodInfo copy = *info;
    copy.name = Keep(info->name);
    copy.doc = Keep(info->doc);
    copy.metadata = Keep(info->metadata);
    copy.method = KeepAny(info->method);
    entry->methods_data.push_back(copy);
    entry->methods = entry->methods_data.data();
    entry->num_methods = static_cast<int32_t>(entry->methods_data.size());
  }

  void RegisterMetadata(int32_t index, const TVMFFITypeMetadata* metadata) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry* entry = RequireLocked(index);
    if (entry->metadata != nullptr) {
      TVM_FFI_THROW(RuntimeError) << "Overriding " << entry->key_data
                                  << ": the type's metadata is already registered (two "
                                     "ObjectDef<T>() calls, or two types with the same key)";
    }
    entry->metadata_data = *metadata;
    entry->metadata_data.doc = Keep(metadata->doc);
    entry->metadata = &entry->metadata_data;
  }

  void RegisterAttr(int32_t index, const TVMFFIByteArray* name, const TVMFFIAny* value) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string key(name->data, name->size);
    std::unique_ptr<Column>& column = columns_[key];
    if (column == nullptr) column = std::make_unique<Column>();
    if (index == TypeIndex::kTVMFFINone) {
      column->Sync();  // only make sure the column exists
      return;
    }
    if (index < 0) TVM_FFI_THROW(ValueError) << "invalid type index " << index;
    if (static_cast<size_t>(index) >= column->values.size()) column->values.resize(index + 1);
    Any& slot = column->values[index];
    if (slot.type_index() != TypeIndex::kTVMFFINone) {
      TVM_FFI_THROW(RuntimeError) << "TypeAttr `" << key
                                  << "` is already registered for type index " << index;
    }
    slot = Any(AnyView::CopyFromTVMFFIAny(*value));
    column->Sync();
  }

  const TVMFFITypeAttrColumn* GetAttrColumn(const TVMFFIByteArray* name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = columns_.find(std::string(name->data, name->size));
    return it == columns_.end() ? nullptr : it->second.get();
  }

 private:
  static constexpr int kChunkBits = 10;
  static constexpr int32_t kChunkSize = 1 << kChunkBits;
  static constexpr int32_t kMaxTypes = kChunkSize * 1024;

  struct Column : public TVMFFITypeAttrColumn {
    std::vector<Any> values;
    Column() {
      data = nullptr;
      size = 0;
      begin_index = 0;
    }
    void Sync() {
      data = reinterpret_cast<const TVMFFIAny*>(values.data());
      size = static_cast<int32_t>(values.size());
      begin_index = 0;
    }
  };

  TypeTable() {
    for (auto& c : chunks_) c.store(nullptr, std::memory_order_relaxed);
    auto pod = [this](const char* key, int32_t index) { GetOrAlloc(key, index, 0, 0, false, -1); };
    pod(StaticTypeKey::kTVMFFINone, TypeIndex::kTVMFFINone);
    pod(StaticTypeKey::kTVMFFIInt, TypeIndex::kTVMFFIInt);
    pod(StaticTypeKey::kTVMFFIBool, TypeIndex::kTVMFFIBool);
    pod(StaticTypeKey::kTVMFFIFloat, TypeIndex::kTVMFFIFloat);
    pod(StaticTypeKey::kTVMFFIOpaquePtr, TypeIndex::kTVMFFIOpaquePtr);
    pod(StaticTypeKey::kTVMFFIDataType, TypeIndex::kTVMFFIDataType);
    pod(StaticTypeKey::kTVMFFIDevice, TypeIndex::kTVMFFIDevice);
    pod(StaticTypeKey::kTVMFFIDLTensorPtr, TypeIndex::kTVMFFIDLTensorPtr);
    pod(StaticTypeKey::kTVMFFIRawStr, TypeIndex::kTVMFFIRawStr);
    pod(StaticTypeKey::kTVMFFIByteArrayPtr, TypeIndex::kTVMFFIByteArrayPtr);
    pod(StaticTypeKey::kTVMFFIObjectRValueRef, TypeIndex::kTVMFFIObjectRValueRef);
    pod(StaticTypeKey::kTVMFFISmallStr, TypeIndex::kTVMFFISmallStr);
    pod(StaticTypeKey::kTVMFFISmallBytes, TypeIndex::kTVMFFISmallBytes);
    // The root: no reserved child block, subclasses overflow into the dynamic range.
    GetOrAlloc(StaticTypeKey::kTVMFFIObject, TypeIndex::kTVMFFIObject, 0, 0, true, -1);
    static TVMFFITypeMetadata object_meta{{nullptr, 0}, nullptr, 24, kTVMFFISEqHashKindUnsupported};
    RegisterMetadata(TypeIndex::kTVMFFIObject, &object_meta);
    auto builtin = [this](const char* key, int32_t index) {
      GetOrAlloc(key, index, 1, 0, false, TypeIndex::kTVMFFIObject);
    };
    builtin(StaticTypeKey::kTVMFFIStr, TypeIndex::kTVMFFIStr);
    builtin(StaticTypeKey::kTVMFFIBytes, TypeIndex::kTVMFFIBytes);
    builtin(StaticTypeKey::kTVMFFIError, TypeIndex::kTVMFFIError);
    builtin(StaticTypeKey::kTVMFFIFunction, TypeIndex::kTVMFFIFunction);
    builtin(StaticTypeKey::kTVMFFIShape, TypeIndex::kTVMFFIShape);
    builtin(StaticTypeKey::kTVMFFITensor, TypeIndex::kTVMFFITensor);
    builtin(StaticTypeKey::kTVMFFIArray, TypeIndex::kTVMFFIArray);
    builtin(StaticTypeKey::kTVMFFIMap, TypeIndex::kTVMFFIMap);
    builtin(StaticTypeKey::kTVMFFIModule, TypeIndex::kTVMFFIModule);
    builtin(StaticTypeKey::kTVMFFIOpaquePyObject, TypeIndex::kTVMFFIOpaquePyObject);
    builtin(StaticTypeKey::kTVMFFIList, TypeIndex::kTVMFFIList);
    builtin(StaticTypeKey::kTVMFFIDict, TypeIndex::kTVMFFIDict);
    builtin(StaticTypeKey::kTVMFFIVisitInterrupt, TypeIndex::kTVMFFIVisitInterrupt);
  }

  Entry* GetLocked(int32_t index) const { return const_cast<Entry*>(Get(index)); }
  Entry* RequireLocked(int32_t index) const {
    Entry* e = GetLocked(index);
    if (e == nullptr) TVM_FFI_THROW(KeyError) << "Cannot find type info for type_index=" << index;
    return e;
  }
  void Publish(int32_t index, Entry* entry) {
    TVM_FFI_ICHECK(index >= 0 && index < kMaxTypes) << "type index " << index << " out of range";
    std::atomic<Entry*>* chunk = chunks_[index >> kChunkBits].load(std::memory_order_acquire);
    if (chunk == nullptr) {
      chunk = new std::atomic<Entry*>[kChunkSize];
      for (int32_t i = 0; i < kChunkSize; ++i) chunk[i].store(nullptr, std::memory_order_relaxed);
      chunks_[index >> kChunkBits].store(chunk, std::memory_order_release);
    }
    chunk[index & (kChunkSize - 1)].store(entry, std::memory_order_release);
  }
  // Copies a string into storage that lives as long as the table.
  TVMFFIByteArray Keep(TVMFFIByteArray s) {
    if (s.size == 0) return TVMFFIByteArray{nullptr, 0};
    strings_.emplace_back(s.data, s.size);
    return TVMFFIByteArray{strings_.back().data(), strings_.back().size()};
  }
  TVMFFIAny KeepAny(TVMFFIAny v) {
    values_.emplace_back(AnyView::CopyFromTVMFFIAny(v));
    return AnyView(values_.back()).CopyToTVMFFIAny();
  }

  std::mutex mutex_;
  std::atomic<std::atomic<Entry*>*> chunks_[1024];
  int32_t next_dynamic_index_{TypeIndex::kTVMFFIDynObjectBegin};
  std::unordered_map<std::string, int32_t> key_to_index_;
  std::deque<std::string> strings_;  // deque: elements never move
  std::deque<Any> values_;
  std::unordered_map<std::string, std::unique_ptr<Column>> columns_;
};

}  // namespace
}  // namespace ffi
}  // namespace tvm

using tvm::ffi::TypeTable;

int TVMFFITypeKeyToIndex(const TVMFFIByteArray* type_key, int32_t* out_tindex) {
  TVM_FFI_SAFE_CALL_BEGIN();
  *out_tindex = TypeTable::Global()->KeyToIndex(std::string(type_key->data, type_key->size));
  TVM_FFI_SAFE_CALL_END();
}

int32_t TVMFFITypeGetOrAllocIndex(const TVMFFIByteArray* type_key, int32_t static_type_index,
                                  int32_t type_depth, int32_t num_child_slots,
                                  int32_t child_slots_can_overflow, int32_t parent_type_index) {
  TVMFFI_BACKEND_NOEXCEPT_BEGIN();
  return TypeTable::Global()->GetOrAlloc(std::string(type_key->data, type_key->size),
                                         static_type_index, type_depth, num_child_slots,
                                         child_slots_can_overflow != 0, parent_type_index);
  TVMFFI_BACKEND_NOEXCEPT_END(TVMFFITypeGetOrAllocIndex);
}

namespace tvm {
namespace ffi {
namespace internal {
const TVMFFITypeInfo* FindTypeInfo(int32_t type_index) {
  return TypeTable::Global()->Get(type_index);
}
}  // namespace internal
}  // namespace ffi
}  // namespace tvm

const TVMFFITypeInfo* TVMFFIGetTypeInfo(int32_t type_index) {
  const TVMFFITypeInfo* info = TypeTable::Global()->Get(type_index);
  if (info == nullptr) {
    // Upstream's contract: an unknown index is a fatal backend error, never a NULL result.
    std::fprintf(stderr, "TVMFFIGetTypeInfo: Cannot find type info for type_index=%d\n",
                 type_index);
    std::exit(-1);
  }
  return info;
}

int TVMFFITypeRegisterField(int32_t type_index, const TVMFFIFieldInfo* info) {
  TVM_FFI_SAFE_CALL_BEGIN();
  TypeTable::Global()->RegisterField(type_index, info);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITypeRegisterMethod(int32_t type_index, const TVMFFIMethodInfo* info) {
  TVM_FFI_SAFE_CALL_BEGIN();
  TypeTable::Global()->RegisterMethod(type_index, info);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITypeRegisterMetadata(int32_t type_index, const TVMFFITypeMetadata* metadata) {
  TVM_FFI_SAFE_CALL_BEGIN();
  TypeTable::Global()->RegisterMetadata(type_index, metadata);
  TVM_FFI_SAFE_CALL_END();
}

int TVMFFITypeRegisterAttr(int32_t type_index, const TVMFFIByteArray* attr_name,
                           const TVMFFIAny* attr_value) {
  TVM_FFI_SAFE_CALL_BEGIN();
  TypeTable::Global()->RegisterAttr(type_index, attr_name, attr_value);
  TVM_FFI_SAFE_CALL_END();
}

const TVMFFITypeAttrColumn* TVMFFIGetTypeAttrColumn(const TVMFFIByteArray* attr_name) {
  TVMFFI_BACKEND_NOEXCEPT_BEGIN();
  return TypeTable::Global()->GetAttrColumn(attr_name);
  TVMFFI_BACKEND_NOEXCEPT_END(TVMFFIGetTypeAttrColumn);
}

namespace tvm {
namespace ffi {
namespace internal {
std::vector<std::string> RegisteredTypeKeys() { return TypeTable::Global()->Keys(); }
}  // namespace internal
}  // namespace ffi
}  // namespace tvm
