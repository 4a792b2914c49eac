/*
 * tvmffi-rpc runtime: Tuple<Types...>, a fixed-size typed sequence stored as an Array (upstream's
 * <tvm/ffi/container/tuple.h>: same storage, so a Tuple crosses the ABI as an ffi.Array). The
 * part implemented so far: construction, get<I>(), size.
 */
#ifndef TVM_FFI_CONTAINER_TUPLE_H_
#define TVM_FFI_CONTAINER_TUPLE_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/object.h>

#include <cstddef>
#include <tuple>
#include <utility>

namespace tvm {
namespace ffi {

template <typename... Types>
class Tuple : public ObjectRef {
 public:
  using ContainerType = ArrayObj;
  static constexpr bool _type_is_nullable = false;

  Tuple(Types... values) : ObjectRef(Make(std::move(values)...)) {}  // NOLINT(*)
  explicit Tuple(ObjectPtr<ArrayObj> p) : ObjectRef(std::move(p)) {}
  explicit Tuple(UnsafeInit tag) : ObjectRef(tag) {}

  static constexpr size_t size() { return sizeof...(Types); }
  /*! \brief Element I, as its declared type. */
  template <size_t I>
  std::tuple_element_t<I, std::tuple<Types...>> get() const {
    using T = std::tuple_element_t<I, std::tuple<Types...>>;
    const Any& item = (*static_cast<const ArrayObj*>(data_.get()))[static_cast<int64_t>(I)];
    if constexpr (std::is_same_v<T, Any>) {
      return item;
    } else {
      return item.template cast<T>();
    }
  }

 private:
  static ObjectPtr<ArrayObj> Make(Types... values) {
    ObjectPtr<ArrayObj> p = ArrayObj::Empty(sizeof...(Types));
    (p->EmplaceBackUnchecked(Any(std::move(values))), ...);
    return p;
  }
};

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_CONTAINER_TUPLE_H_
