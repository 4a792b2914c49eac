/*
 * tvmffi-rpc runtime: JSON text to and from ffi values (upstream's <tvm/ffi/extra/json.h>).
 *
 * A JSON value is an Any: null is None, true/false are bool, numbers without a fraction or
 * exponent that fit int64 are int, other numbers are float (NaN, Infinity and -Infinity are
 * accepted and written, as JavaScript spells them), strings are String, arrays are Array<Any>
 * and objects are Map<Any, Any> with String keys, in the order the text has them.
 */
#ifndef TVM_FFI_EXTRA_JSON_H_
#define TVM_FFI_EXTRA_JSON_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/extra/base.h>
#include <tvm/ffi/optional.h>
#include <tvm/ffi/string.h>

namespace tvm {
namespace ffi {
namespace json {

/*! \brief A JSON value. */
using Value = Any;
/*! \brief A JSON object (keys are String; checked when read, not when converted). */
using Object = ffi::Map<Any, Any>;
/*! \brief A JSON array. */
using Array = ffi::Array<Any>;

/*!
 * \brief Parses JSON text. On malformed text: with error_msg, writes a message in the style of
 *        Python's json module ("Expecting value: line 1 column 1 (char 0)") there and returns
 *        None; without, throws ValueError with that message.
 */
TVM_FFI_EXTRA_CXX_API json::Value Parse(const String& json_str, String* error_msg = nullptr);

/*!
 * \brief Writes value as JSON text: compact without indent; with it, one item a line indented
 *        by that many spaces a level. A value of another kind, or a key that is not a string,
 *        is a TypeError.
 */
TVM_FFI_EXTRA_CXX_API String Stringify(const json::Value& value,
                                       const Optional<int>& indent = std::nullopt);

}  // namespace json
}  // namespace ffi
}  // namespace tvm

#endif  // TVM_FFI_EXTRA_JSON_H_
