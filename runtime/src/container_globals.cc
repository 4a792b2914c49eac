// Container globals that language bindings call by name to build, read and change Array, List,
// Map, Dict and Shape (upstream's names and behaviour).
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace tvm {
namespace ffi {
namespace internal {
std::vector<std::string> RegisteredTypeKeys();  // type_table.cc
}  // namespace internal
namespace {

// The sentinel MapGetItemOrMissing returns for an absent key.
ObjectRef MissingObject() {
  static ObjectRef* missing = new ObjectRef(make_object<Object>());
  return *missing;
}

int64_t CheckIndex(int64_t i, size_t size, const char* what) {
  if (i < 0 || i >= static_cast<int64_t>(size)) {
    TVM_FFI_THROW(IndexError) << what << " index " << i << " out of range [0, " << size << ")";
  }
  return i;
}

bool SeqContains(const SeqBaseObj* seq, const Any& value) {
  AnyEqual eq;
  return std::any_of(seq->begin(), seq->end(), [&](const Any& x) { return eq(x, value); });
}

// f(0): the current key, f(1): its value, f(2): moves on (false at the end).
Function MapForwardIter(ObjectRef owner, const MapBaseObj* map) {
  auto pos = std::make_shared<MapBaseObj::iterator>(map->begin());
  return Function::FromTyped([owner, map, pos](int64_t op) -> Any {
    if (op == 2) {
      if (*pos != map->end()) ++*pos;
      return *pos != map->end();
    }
    if (*pos == map->end()) TVM_FFI_THROW(IndexError) << "map iterator at end";
    return op == 0 ? (*pos)->first : (*pos)->second;
  });
}

template <typename MapRef>
void BuildMapping(PackedArgs args, Any* rv, const char* name) {
  if (args.size() % 2 != 0) TVM_FFI_THROW(ValueError) << name << " takes key, value pairs";
  MapRef out;
  for (int i = 0; i < args.size(); i += 2) out.Set(Any(args[i]), Any(args[i + 1]));
  *rv = out;
}

Any GetOrMissing(const MapBaseObj* map, const Any& key) {
  auto it = map->find(key);
  return it != map->end() ? it->second : Any(MissingObject());
}

// The device of the first tensor not on the CPU inside a container (values of a mapping).
bool FirstNonCPUDevice(const Any& value, DLDevice* out) {
  switch (value.type_index()) {
    case TypeIndex::kTVMFFITensor: {
      DLDevice dev = value.as<TensorObj>()->device;
      if (dev.device_type == kDLCPU) return false;
      *out = dev;
      return true;
    }
    case TypeIndex::kTVMFFIArray:
    case TypeIndex::kTVMFFIList:
      for (const Any& x : *static_cast<const SeqBaseObj*>(value.as<Object>())) {
        if (FirstNonCPUDevice(x, out)) return true;
      }
      return false;
    case TypeIndex::kTVMFFIMap:
    case TypeIndex::kTVMFFIDict:
      for (const auto& kv : *static_cast<const MapBaseObj*>(value.as<Object>())) {
        if (FirstNonCPUDevice(kv.second, out)) return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

namespace internal {
ObjectRef MissingObjectSingleton() { return MissingObject(); }
}  // namespace internal
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  using ffi::Any;
  using ffi::Array;
  using ffi::Dict;
  using ffi::DictObj;
  using ffi::List;
  using ffi::ListObj;
  using ffi::Map;
  using ffi::MapObj;
  using ffi::PackedArgs;
  ffi::reflection::GlobalDef()
      .def_packed("ffi.Array",
                  [](PackedArgs args, Any* rv) {
                    *rv = Array<Any>(args.data(), args.data() + args.size());
                  })
      .def("ffi.ArrayGetItem",
           [](const Array<Any>& a, int64_t i) -> Any {
             return a[ffi::CheckIndex(i, a.size(), "Array")];
           })
      .def("ffi.ArraySize", [](const Array<Any>& a) { return static_cast<int64_t>(a.size()); })
      .def("ffi.ArrayContains",
           [](const Array<Any>& a, const Any& v) { return ffi::SeqContains(a.get(), v); })
      .def_packed(
          "ffi.List",
          [](PackedArgs args, Any* rv) { *rv = List<Any>(args.data(), args.data() + args.size()); })
      .def("ffi.ListGetItem", [](const ListObj* l, int64_t i) -> Any { return l->at(i); })
      .def("ffi.ListSetItem", [](List<Any> l, int64_t i, Any v) { l.Set(i, std::move(v)); })
      .def("ffi.ListSize", [](const ListObj* l) { return static_cast<int64_t>(l->size()); })
      .def("ffi.ListContains",
           [](const ListObj* l, const Any& v) { return ffi::SeqContains(l, v); })
      .def("ffi.ListAppend", [](List<Any> l, const Any& v) { l.push_back(v); })
      .def("ffi.ListInsert",
           [](List<Any> l, int64_t i, const Any& v) {
             if (i < 0 || i > static_cast<int64_t>(l.size())) {
               TVM_FFI_THROW(IndexError)
                   << "List insert index " << i << " out of range [0, " << l.size() << "]";
             }
             l.insert(l.begin() + i, v);
           })
      .def("ffi.ListPop",
           [](List<Any> l, int64_t i) -> Any {
             Any v = l.GetListObj()->at(i);
             l.GetListObj()->erase(i);
             return v;
           })
      .def("ffi.ListErase", [](List<Any> l, int64_t i) { l.GetListObj()->erase(i); })
      .def("ffi.ListEraseRange",
           [](List<Any> l, int64_t start, int64_t stop) { l.GetListObj()->erase(start, stop); })
      .def("ffi.ListReplaceSlice",
           [](List<Any> l, int64_t start, int64_t stop, const List<Any>& replacement) {
             // copied first: the replacement may be the list itself
             std::vector<Any> items(replacement.begin(), replacement.end());
             l.GetListObj()->erase(start, stop);
             l.insert(l.begin() + start, items.begin(), items.end());
           })
      .def("ffi.ListReverse", [](List<Any> l) { l.GetListObj()->Reverse(); })
      .def("ffi.ListClear", [](List<Any> l) { l.clear(); })
      .def_packed("ffi.Map", [](PackedArgs args,
                                Any* rv) { ffi::BuildMapping<Map<Any, Any>>(args, rv, "ffi.Map"); })
      .def("ffi.MapSize", [](const MapObj* m) { return static_cast<int64_t>(m->size()); })
      .def("ffi.MapGetItem", [](const MapObj* m, const Any& k) -> Any { return m->at(k); })
      .def("ffi.MapCount",
           [](const MapObj* m, const Any& k) { return static_cast<int64_t>(m->count(k)); })
      .def("ffi.MapGetItemOrMissing",
           [](const MapObj* m, const Any& k) { return ffi::GetOrMissing(m, k); })
      .def("ffi.MapForwardIterFunctor",
           [](const Map<Any, Any>& m) { return ffi::MapForwardIter(m, m.get()); })
      .def_packed(
          "ffi.Dict",
          [](PackedArgs args, Any* rv) { ffi::BuildMapping<Dict<Any, Any>>(args, rv, "ffi.Dict"); })
      .def("ffi.DictSize", [](const DictObj* d) { return static_cast<int64_t>(d->size()); })
      .def("ffi.DictGetItem", [](const DictObj* d, const Any& k) -> Any { return d->at(k); })
      .def("ffi.DictSetItem", [](Dict<Any, Any> d, const Any& k, const Any& v) { d.Set(k, v); })
      .def("ffi.DictCount",
           [](const DictObj* d, const Any& k) { return static_cast<int64_t>(d->count(k)); })
      .def("ffi.DictErase", [](Dict<Any, Any> d, const Any& k) { d.erase(k); })
      .def("ffi.DictClear", [](Dict<Any, Any> d) { d.clear(); })
      .def("ffi.DictGetItemOrMissing",
           [](const DictObj* d, const Any& k) { return ffi::GetOrMissing(d, k); })
      .def("ffi.DictForwardIterFunctor",
           [](const Dict<Any, Any>& d) { return ffi::MapForwardIter(d, d.get()); })
      .def("ffi.GetInvalidObject", []() { return ffi::MissingObject(); })
      .def("ffi.ContainerFindFirstNonCPUDevice",
           [](const Any& container) {
             DLDevice dev{kDLCPU, 0};
             ffi::FirstNonCPUDevice(container, &dev);
             return dev;
           })
      .def_packed("ffi.Shape",
                  [](PackedArgs args, Any* rv) {
                    std::vector<int64_t> dims;
                    for (int i = 0; i < args.size(); ++i) dims.push_back(args[i].cast<int64_t>());
                    *rv = ffi::Shape(dims);
                  })
      .def("ffi.GetRegisteredTypeKeys", []() {
        Array<ffi::String> keys;
        for (const std::string& k : ffi::internal::RegisteredTypeKeys()) keys.push_back(k);
        return keys;
      });
}
