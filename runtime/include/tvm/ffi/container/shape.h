/*
 * tvmffi-rpc runtime: Shape, an immutable list of int64 dimensions. ShapeObj is header +
 * TVMFFIShapeCell with the dimensions stored inline after the object.
 */
#ifndef TVM_FFI_CONTAINER_SHAPE_H_
#define TVM_FFI_CONTAINER_SHAPE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <ostream>
#include <vector>

namespace tvm {
namespace ffi {

class ShapeObj : public Object, public TVMFFIShapeCell {
 public:
  ShapeObj() {
    data = nullptr;
    size = 0;
  }
  /*! \brief A shape holding a copy of dims[0, n). */
  static ObjectPtr<ShapeObj> Create(const int64_t* dims, size_t n) {
    ObjectPtr<ShapeObj> p = make_inplace_array_object<ShapeObj, int64_t>(n);
    int64_t* dest = reinterpret_cast<int64_t*>(reinterpret_cast<char*>(p.get()) + sizeof(ShapeObj));
    if (n != 0) std::memcpy(dest, dims, n * sizeof(int64_t));
    p->data = dest;
    p->size = n;
    return p;
  }
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIShape;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIShape, ShapeObj, Object);
};

/*! \brief Immutable tensor shape. Never null (default: zero dimensions). */
class Shape : public ObjectRef {
 public:
  using index_type = int64_t;
  Shape() : ObjectRef(ShapeObj::Create(nullptr, 0)) {}
  Shape(std::initializer_list<int64_t> dims)
      : ObjectRef(ShapeObj::Create(dims.begin(), dims.size())) {}
  Shape(const std::vector<int64_t>& dims)  // NOLINT(*)
      : ObjectRef(ShapeObj::Create(dims.data(), dims.size())) {}
  Shape(const int64_t* dims, size_t n) : ObjectRef(ShapeObj::Create(dims, n)) {}
  explicit Shape(ObjectPtr<ShapeObj> p) : ObjectRef(std::move(p)) {}
  explicit Shape(UnsafeInit tag) : ObjectRef(tag) {}

  const int64_t* data() const { return get()->data; }
  size_t size() const { return get()->size; }
  bool empty() const { return size() == 0; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t at(size_t i) const {
    if (i >= size()) TVM_FFI_THROW(IndexError) << "Shape index " << i << " out of range";
    return data()[i];
  }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size(); }
  /*! \brief Number of elements (1 for a 0-d shape). */
  int64_t Product() const {
    int64_t n = 1;
    for (int64_t d : *this) n *= d;
    return n;
  }
  const ShapeObj* get() const { return static_cast<const ShapeObj*>(data_.get()); }
  const ShapeObj* operator->() const { return get(); }

  using ContainerType = ShapeObj;
  static constexpr bool _type_is_nullable = false;
};

inline std::ostream& operator<<(std::ostream& os, const Shape& shape) {
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  return os << ']';
}

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_SHAPE_H_
