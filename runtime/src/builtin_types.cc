// Reflection of the library's own types, registered at load as upstream's library does: the
// `__ffi_convert__` attribute of every built-in object type (a binding converts a value to that
// type through it), and the enum types (enum.h) with their fields.
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/dict.h>
#include <tvm/ffi/container/list.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/enum.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/reflection/registry.h>
#include <tvm/ffi/string.h>

TVM_FFI_STATIC_INIT_BLOCK() {
  namespace ffi = ::tvm::ffi;
  namespace refl = ::tvm::ffi::reflection;
  using ffi::Any;
  refl::TypeAttrDef<ffi::Object>().def_convert<ffi::ObjectRef>();
  refl::TypeAttrDef<ffi::details::StringObj>().def_convert<ffi::String>();
  refl::TypeAttrDef<ffi::details::BytesObj>().def_convert<ffi::Bytes>();
  refl::TypeAttrDef<ffi::ErrorObj>().def_convert<ffi::Error>();
  refl::TypeAttrDef<ffi::FunctionObj>().def_convert<ffi::Function>();
  refl::TypeAttrDef<ffi::ShapeObj>().def_convert<ffi::Shape>();
  refl::TypeAttrDef<ffi::TensorObj>().def_convert<ffi::Tensor>();
  refl::TypeAttrDef<ffi::ArrayObj>().def_convert<ffi::Array<Any>>();
  refl::TypeAttrDef<ffi::MapObj>().def_convert<ffi::Map<Any, Any>>();
  refl::TypeAttrDef<ffi::ListObj>().def_convert<ffi::List<Any>>();
  refl::TypeAttrDef<ffi::DictObj>().def_convert<ffi::Dict<Any, Any>>();

  refl::ObjectDef<ffi::EnumStateObj>()
      .def(refl::init<>())
      .def_ro("entries", &ffi::EnumStateObj::entries, "The members in registration order.",
              refl::init(false))
      .def_ro("indexes", &ffi::EnumStateObj::indexes,
              "Each member under its integer and its string index.", refl::init(false))
      .def_ro("attrs", &ffi::EnumStateObj::attrs, "attribute name -> (member -> value).",
              refl::init(false));
  refl::ObjectDef<ffi::EnumObj>(refl::init(false))
      .def_ro("_int_index", &ffi::EnumObj::_int_index, "The member's integer index.",
              refl::AttachFieldFlag::SEqHashIgnore())
      .def_ro("_str_index", &ffi::EnumObj::_str_index, "The member's string index.");
  refl::ObjectDef<ffi::IntEnumObj>(refl::init(false))
      .def_ro("value", &ffi::EnumObj::_int_index, "The member's integer value.", refl::init(false),
              refl::AttachFieldFlag::SEqHashIgnore())
      .def_convert<ffi::IntEnum>();
  refl::ObjectDef<ffi::StrEnumObj>(refl::init(false))
      .def_ro("value", &ffi::EnumObj::_str_index, "The member's string value.", refl::init(false),
              refl::AttachFieldFlag::SEqHashIgnore())
      .def_convert<ffi::StrEnum>();
}
