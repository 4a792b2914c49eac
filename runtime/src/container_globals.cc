// Container globals that language bindings call by name to build and read Array, Map and Shape.
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>

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

}  // namespace

namespace internal {
ObjectRef MissingObjectSingleton() { return MissingObject(); }
}  // namespace internal
}  // namespace ffi
}  // namespace tvm

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = tvm::ffi;
  using ffi::Any;
  using ffi::AnyView;
  using ffi::Array;
  using ffi::Map;
  using ffi::PackedArgs;
  ffi::reflection::GlobalDef()
      .def_packed("ffi.Array",
                  [](PackedArgs args, Any* rv) {
                    Array<Any> out;
                    out.reserve(args.size());
                    for (int i = 0; i < args.size(); ++i) out.push_back(Any(args[i]));
                    *rv = out;
                  })
      .def("ffi.ArrayGetItem",
           [](const Array<Any>& a, int64_t i) -> Any {
             return a[ffi::CheckIndex(i, a.size(), "Array")];
           })
      .def("ffi.ArraySize", [](const Array<Any>& a) { return static_cast<int64_t>(a.size()); })
      .def("ffi.ArrayContains",
           [](const Array<Any>& a, const Any& v) {
             for (const Any& x : a) {
               if (ffi::details::AnyKeyEqual(x, v)) return true;
             }
             return false;
           })
      .def_packed("ffi.Map",
                  [](PackedArgs args, Any* rv) {
                    if (args.size() % 2 != 0) {
                      TVM_FFI_THROW(ValueError) << "ffi.Map takes key, value pairs";
                    }
                    Map<Any, Any> out;
                    for (int i = 0; i < args.size(); i += 2)
                      out.Set(Any(args[i]), Any(args[i + 1]));
                    *rv = out;
                  })
      .def("ffi.MapSize", [](const Map<Any, Any>& m) { return static_cast<int64_t>(m.size()); })
      .def("ffi.MapGetItem", [](const Map<Any, Any>& m, const Any& k) { return m.at(k); })
      .def("ffi.MapCount",
           [](const Map<Any, Any>& m, const Any& k) { return static_cast<int64_t>(m.count(k)); })
      .def("ffi.MapGetItemOrMissing",
           [](const Map<Any, Any>& m, const Any& k) -> Any {
             auto v = m.Get(k);
             return v.has_value() ? v.value() : Any(ffi::MissingObject());
           })
      .def("ffi.GetInvalidObject", []() { return ffi::MissingObject(); })
      .def("ffi.MapForwardIterFunctor",
           [](const Map<Any, Any>& m) {
             // f(0): current key, f(1): current value, f(2): advance (false at the end).
             auto pos = std::make_shared<ffi::MapObj::const_iterator>(m.get()->begin());
             return ffi::Function::FromTyped([m, pos](int64_t op) -> Any {
               const ffi::MapObj* obj = m.get();
               if (op == 2) {
                 if (*pos != obj->end()) ++*pos;
                 return *pos != obj->end();
               }
               if (*pos == obj->end()) TVM_FFI_THROW(IndexError) << "map iterator at end";
               return op == 0 ? (*pos)->first : (*pos)->second;
             });
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
