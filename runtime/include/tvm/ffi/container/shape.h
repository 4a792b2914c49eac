/*
 * tvmffi-rpc runtime: Shape, an immutable list of int64 dimensions. ShapeObj is header +
 * TVMFFIShapeCell with the dimensions stored inline after the object.
 */
#ifndef TVM_FFI_CONTAINER_SHAPE_H_
#define TVM_FFI_CONTAINER_SHAPE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/array.h>
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

namespace details {
// A ShapeObj-like object with length dims stored inline after it.
template <typename ShapeType>
inline ObjectPtr<ShapeType> MakeEmptyShapeImpl(size_t length, int64_t** mutable_data) {
  ObjectPtr<ShapeType> p = make_inplace_array_object<ShapeType, int64_t>(length);
  static_assert(sizeof(ShapeType) % alignof(int64_t) == 0, "dims follow the object aligned");
  int64_t* dims = reinterpret_cast<int64_t*>(reinterpret_cast<char*>(p.get()) + sizeof(ShapeType));
  p->data = dims;
  p->size = length;
  if (mutable_data != nullptr) *mutable_data = dims;
  return p;
}
}  // namespace details

/*! \brief A borrowed list of dimensions (a shape or strides); valid while its owner lives. */
class ShapeView {
 public:
  ShapeView() : cell_{nullptr, 0} {}
  ShapeView(const int64_t* data, size_t size) : cell_{data, size} {}
  /*! \brief A view of a braced list (valid for the full expression it appears in). */
  ShapeView(const std::initializer_list<int64_t>& dims)  // NOLINT(*)
      : cell_{dims.begin(), dims.size()} {}
  const int64_t* data() const { return cell_.data; }
  size_t size() const { return cell_.size; }
  bool empty() const { return size() == 0; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t at(size_t i) const {
    if (i >= size()) {
      TVM_FFI_THROW(IndexError) << "indexing " << i << " on a shape of size " << size();
    }
    return data()[i];
  }
  int64_t front() const { return at(0); }
  int64_t back() const { return at(size() - 1); }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size(); }
  /*! \brief Number of elements (1 for a 0-d shape). */
  int64_t Product() const {
    int64_t n = 1;
    for (int64_t d : *this) n *= d;
    return n;
  }

 private:
  TVMFFIShapeCell cell_;
};

class ShapeObj : public Object, public TVMFFIShapeCell {
 public:
  ShapeObj() {
    data = nullptr;
    size = 0;
  }
  /*! \brief Number of elements (1 for a 0-d shape). */
  int64_t Product() const { return ShapeView(data, size).Product(); }
  /*! \brief A shape holding a copy of dims[0, n). */
  static ObjectPtr<ShapeObj> Create(const int64_t* dims, size_t n) {
    int64_t* dest = nullptr;
    ObjectPtr<ShapeObj> p = details::MakeEmptyShapeImpl<ShapeObj>(n, &dest);
    if (n != 0) std::memcpy(dest, dims, n * sizeof(int64_t));
    return p;
  }
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIShape;
  static constexpr bool _type_final = true;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIShape, ShapeObj, Object);
};

namespace details {
/*! \brief A shape of length dims, stored inline; *mutable_data (if asked) points at them. */
inline ObjectPtr<ShapeObj> MakeEmptyShape(size_t length, int64_t** mutable_data) {
  return MakeEmptyShapeImpl<ShapeObj>(length, mutable_data);
}
/*! \brief A shape holding [begin, end). */
template <typename IterType>
inline ObjectPtr<ShapeObj> MakeInplaceShape(IterType begin, IterType end) {
  int64_t* dest = nullptr;
  ObjectPtr<ShapeObj> p = MakeEmptyShape(static_cast<size_t>(std::distance(begin, end)), &dest);
  for (; begin != end; ++begin) *dest++ = static_cast<int64_t>(*begin);
  return p;
}
/*! \brief Compact row-major strides of shape into out_strides. */
inline void FillStridesFromShape(ShapeView shape, int64_t* out_strides) {
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    out_strides[i] = stride;
    stride *= shape[i];
  }
}
/*! \brief Compact row-major strides of shape, as a shape object. */
inline ObjectPtr<ShapeObj> MakeStridesFromShape(ShapeView shape) {
  int64_t* dest = nullptr;
  ObjectPtr<ShapeObj> p = MakeEmptyShape(shape.size(), &dest);
  FillStridesFromShape(shape, dest);
  return p;
}
}  // namespace details

/*! \brief Immutable tensor shape. Never null (default: zero dimensions). */
class Shape : public ObjectRef {
 public:
  using index_type = int64_t;
  Shape() : ObjectRef(details::MakeEmptyShape(0, nullptr)) {}
  template <typename IterType>
  Shape(IterType begin, IterType end) : ObjectRef(details::MakeInplaceShape(begin, end)) {}
  Shape(std::initializer_list<int64_t> dims) : Shape(dims.begin(), dims.end()) {}
  Shape(const std::vector<int64_t>& dims) : Shape(dims.begin(), dims.end()) {}  // NOLINT(*)
  Shape(Array<int64_t> dims) : Shape(dims.begin(), dims.end()) {}               // NOLINT(*)
  Shape(ShapeView dims) : Shape(dims.begin(), dims.end()) {}                    // NOLINT(*)
  explicit Shape(ObjectPtr<ShapeObj> p) : ObjectRef(std::move(p)) {}
  explicit Shape(UnsafeInit tag) : ObjectRef(tag) {}
  /*! \brief Compact row-major strides of shape. */
  static Shape StridesFromShape(ShapeView shape) {
    return Shape(details::MakeStridesFromShape(shape));
  }

  operator ShapeView() const { return ShapeView(data(), size()); }  // NOLINT(*)
  const int64_t* data() const { return get()->data; }
  size_t size() const { return get()->size; }
  bool empty() const { return size() == 0; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t at(size_t i) const { return ShapeView(*this).at(i); }
  int64_t front() const { return at(0); }
  int64_t back() const { return at(size() - 1); }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size(); }
  /*! \brief Number of elements (1 for a 0-d shape). */
  int64_t Product() const { return get()->Product(); }
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

template <>
inline constexpr bool use_default_type_traits_v<Shape> = false;

/*! \brief A Shape in an Any; an Array of ints converts to one (not the other way). */
template <>
struct TypeTraits<Shape> : ObjectRefWithFallbackTraitsBase<Shape, Array<int64_t>> {
  static constexpr int32_t field_static_type_index = TypeIndex::kTVMFFIShape;
  static Shape ConvertFallbackValue(Array<int64_t> dims) { return Shape(std::move(dims)); }
};

}  // namespace ffi
}  // namespace tvm
#endif  // TVM_FFI_CONTAINER_SHAPE_H_
