// A module written as code for upstream apache/tvm-ffi is written, using only upstream's public
// API: an ObjectDef type with fields, methods and refl::init, an enum, JSON, Dict and List, and
// maps large enough to take the dense form. CMake builds it against our headers (the e2e test
// rich_test.cc); scripts/conformance also builds it against upstream's headers and runs the same
// test on that build, so a module compiled by upstream's headers answers through our server.
// Each function is exported as a module symbol (__tvm_ffi_<name>).
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/object.h>
#include <tvm/ffi/reflection/accessor.h>
#include <tvm/ffi/reflection/enum_def.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace ffi = tvm::ffi;
namespace refl = tvm::ffi::reflection;

namespace rich {

class PointObj : public ffi::Object {
 public:
  int64_t x = 0;
  double y = 0;
  ffi::String label;
  PointObj(int64_t x, double y, ffi::String label) : x(x), y(y), label(std::move(label)) {}
  double Norm1() const { return std::fabs(static_cast<double>(x)) + std::fabs(y); }
  static constexpr bool _type_mutable = true;
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("rich.Point", PointObj, ffi::Object);
};

class Point : public ffi::ObjectRef {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Point, ffi::ObjectRef, PointObj);
};

class LevelObj : public ffi::IntEnumObj {
 public:
  TVM_FFI_DECLARE_OBJECT_INFO_FINAL("rich.Level", LevelObj, ffi::IntEnumObj);
};
class Level : public ffi::IntEnum {
 public:
  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NULLABLE(Level, ffi::IntEnum, LevelObj);
};

// --- objects: made through the type's __ffi_init__, read through fields and methods ---------

Point MakePoint(int64_t x, double y, ffi::String label) {
  static ffi::Function init =
      refl::TypeAttrColumn(refl::type_attr::kInit)[PointObj::RuntimeTypeIndex()]
          .cast<ffi::Function>();
  return init(x, y, label).cast<Point>();
}

ffi::Map<ffi::String, ffi::Any> PointFields(const Point& p) {
  ffi::Map<ffi::String, ffi::Any> out;
  for (const char* name : {"x", "y", "label"}) {
    refl::FieldGetter get(refl::GetFieldInfo("rich.Point", name));
    out.Set(name, get(p.get()));
  }
  return out;
}

ffi::Any CallMethod(const Point& p, const ffi::String& name, ffi::Array<ffi::Any> args) {
  ffi::Function method = refl::GetMethod("rich.Point", name.c_str());
  if (args.empty()) return method(p);
  return method(p, args[0]);
}

Point MovePoint(Point p, int64_t dx) {
  refl::FieldSetter set_x(refl::GetFieldInfo("rich.Point", "x"));
  set_x(p.get(), p->x + dx);
  return p;
}

// --- enums: members by name and by value --------------------------------------------------

ffi::Any LevelByName(const ffi::String& name) {
  return ffi::EnumObj::_GetByStrIndex<LevelObj>(name);
}
int64_t LevelValue(const Level& level) { return level->_int_index; }
ffi::String LevelName(const Level& level) { return level->_str_index; }

// --- JSON ---------------------------------------------------------------------------------

ffi::String JsonNormalize(const ffi::String& text) {
  return ffi::json::Stringify(ffi::json::Parse(text));
}
int64_t JsonCount(const ffi::String& text) {
  ffi::json::Value v = ffi::json::Parse(text);
  if (auto arr = v.as<ffi::json::Array>()) return static_cast<int64_t>(arr.value().size());
  if (auto obj = v.as<ffi::json::Object>()) return static_cast<int64_t>(obj.value().size());
  return 1;
}

// --- Dict, List and dense Maps --------------------------------------------------------------

ffi::Dict<ffi::String, int64_t> WordCounts(const ffi::String& text) {
  ffi::Dict<ffi::String, int64_t> counts;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    ffi::String key(word);
    counts.Set(key, counts.count(key) ? counts[key] + 1 : 1);
    word.clear();
  };
  for (char c : std::string(text)) {
    if (c == ' ') {
      flush();
    } else {
      word.push_back(c);
    }
  }
  flush();
  return counts;
}

ffi::List<int64_t> Squares(int64_t n) {
  ffi::List<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(i * i);
  return out;
}

int64_t ListSum(const ffi::List<int64_t>& values) {
  int64_t s = 0;
  for (int64_t v : values) s += v;
  return s;
}

// n entries "k<i>" -> i*i: more than 4 takes the hashed (dense) form.
ffi::Map<ffi::String, int64_t> SquareMap(int64_t n) {
  ffi::Map<ffi::String, int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.Set("k" + std::to_string(i), i * i);
  return out;
}

// The value at key in a map the caller built (small or dense), or -1.
int64_t MapGet(const ffi::Map<ffi::String, int64_t>& m, const ffi::String& key) {
  auto it = m.find(key);
  return it == m.end() ? -1 : (*it).second;
}

ffi::Map<ffi::String, int64_t> MapWithout(ffi::Map<ffi::String, int64_t> m,
                                          const ffi::String& key) {
  m.erase(key);
  return m;
}

}  // namespace rich

TVM_FFI_STATIC_INIT_BLOCK() {
  refl::ObjectDef<rich::PointObj>()
      .def(refl::init<int64_t, double, ffi::String>())
      .def_rw("x", &rich::PointObj::x)
      .def_rw("y", &rich::PointObj::y)
      .def_ro("label", &rich::PointObj::label)
      .def("norm1", &rich::PointObj::Norm1)
      .def("scaled", [](const rich::PointObj* self, double k) { return self->y * k; });
  refl::ObjectDef<rich::LevelObj>(refl::init(false));
  refl::EnumDef<rich::LevelObj>("Low", 1);
  refl::EnumDef<rich::LevelObj>("High", 10);
}

TVM_FFI_DLL_EXPORT_TYPED_FUNC(make_point, rich::MakePoint);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(point_fields, rich::PointFields);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(call_method, rich::CallMethod);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(move_point, rich::MovePoint);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(level_by_name, rich::LevelByName);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(level_value, rich::LevelValue);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(level_name, rich::LevelName);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(json_normalize, rich::JsonNormalize);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(json_count, rich::JsonCount);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(word_counts, rich::WordCounts);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(squares, rich::Squares);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(list_sum, rich::ListSum);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(square_map, rich::SquareMap);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(map_get, rich::MapGet);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(map_without, rich::MapWithout);
