/*
 * tvmffi-rpc runtime: values to and from a JSON object graph (upstream's
 * <tvm/ffi/extra/serialization.h>): {"root_index": i, "nodes": [...], "metadata"?: ...}, one node
 * per distinct value, objects of reflected types by their fields. See
 * runtime/src/extra/serialization.cc for the node forms.
 */
#ifndef TVM_FFI_EXTRA_SERIALIZATION_H_
#define TVM_FFI_EXTRA_SERIALIZATION_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/extra/base.h>
#include <tvm/ffi/extra/json.h>

namespace tvm {
namespace ffi {

/*!
 * \brief The value as a JSON object graph; metadata, when not None, is stored beside it.
 *        A value of a type that cannot be made again (no creator) is a TypeError.
 */
TVM_FFI_EXTRA_CXX_API json::Value ToJSONGraph(const Any& value, const Any& metadata = Any(nullptr));

/*! \brief The value a JSON object graph describes; a malformed graph is a ValueError. */
TVM_FFI_EXTRA_CXX_API Any FromJSONGraph(const json::Value& value);

}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_SERIALIZATION_H_
