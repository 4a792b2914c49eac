/*
 * tvmffi-rpc runtime: errors. ErrorObj (header + TVMFFIErrorCell), the Error exception, the
 * TVM_FFI_THROW / TVM_FFI_CHECK macros, and the safe-call guards that turn a C++ exception into
 * the C ABI's "-1 and the error in TLS".
 */
#ifndef TVM_FFI_ERROR_H_
#define TVM_FFI_ERROR_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/base_details.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/memory.h>
#include <tvm/ffi/object.h>

#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tvm {
namespace ffi {

/*!
 * \brief Thrown when the frontend (e.g. Python) already holds an error; a safe call turns it
 *        into return code -2.
 */
struct EnvErrorAlreadySet : public std::exception {
  const char* what() const noexcept override { return "EnvErrorAlreadySet"; }
};

/*! \brief The error object: header + TVMFFIErrorCell. */
class ErrorObj : public Object, public TVMFFIErrorCell {
 public:
  static constexpr int32_t _type_index = TypeIndex::kTVMFFIError;
  TVM_FFI_DECLARE_OBJECT_INFO_STATIC(StaticTypeKey::kTVMFFIError, ErrorObj, Object);
};

namespace details {
/*! \brief An ErrorObj whose strings are owned std::strings. */
class ErrorObjFromStd : public ErrorObj {
 public:
  ErrorObjFromStd(std::string kind, std::string message, std::string backtrace,
                  TVMFFIObjectHandle cause_chain = nullptr,
                  TVMFFIObjectHandle extra_context = nullptr)
      : kind_data_(std::move(kind)),
        message_data_(std::move(message)),
        backtrace_data_(std::move(backtrace)) {
    this->kind = TVMFFIByteArray{kind_data_.data(), kind_data_.size()};
    this->message = TVMFFIByteArray{message_data_.data(), message_data_.size()};
    SyncBacktrace();
    this->update_backtrace = UpdateBacktrace;
    // The cell owns one reference to each.
    ObjectUnsafe::IncRefObjectHandle(cause_chain);
    ObjectUnsafe::IncRefObjectHandle(extra_context);
    this->cause_chain = cause_chain;
    this->extra_context = extra_context;
  }
  ~ErrorObjFromStd() {
    ObjectUnsafe::DecRefObjectHandle(this->cause_chain);
    ObjectUnsafe::DecRefObjectHandle(this->extra_context);
  }

 private:
  void SyncBacktrace() {
    this->backtrace = TVMFFIByteArray{backtrace_data_.data(), backtrace_data_.size()};
  }
  static void UpdateBacktrace(TVMFFIObjectHandle self, const TVMFFIByteArray* text,
                              int32_t update_mode) {
    auto* obj = static_cast<ErrorObjFromStd*>(static_cast<Object*>(self));
    if (update_mode == kTVMFFIBacktraceUpdateModeReplace) {
      obj->backtrace_data_.assign(text->data, text->size);
    } else {
      obj->backtrace_data_.append(text->data, text->size);
    }
    obj->SyncBacktrace();
  }
  std::string kind_data_;
  std::string message_data_;
  std::string backtrace_data_;
};
}  // namespace details

/*!
 * \brief The exception every FFI failure is: kind ("ValueError", ...), message, backtrace (most
 *        recent call first), optional cause and extra context. what() is the message.
 */
// Error's type_info and vtable are exported from libtvm_ffi.so, as upstream's are: one
// definition, whichever module throws or catches.
#if defined(__GNUC__) && !defined(_WIN32)
#define TVM_FFI_ERROR_TYPE_VISIBILITY __attribute__((visibility("default")))
#else
#define TVM_FFI_ERROR_TYPE_VISIBILITY
#endif
class TVM_FFI_ERROR_TYPE_VISIBILITY Error : public ObjectRef, public std::exception {
 public:
  Error(std::string kind, std::string message, std::string backtrace)
      : ObjectRef(make_object<details::ErrorObjFromStd>(std::move(kind), std::move(message),
                                                        std::move(backtrace))) {}
  Error(std::string kind, std::string message, const TVMFFIByteArray* backtrace)
      : Error(std::move(kind), std::move(message), std::string(backtrace->data, backtrace->size)) {}
  Error(std::string kind, std::string message, std::string backtrace,
        std::optional<Error> cause_chain, std::optional<ObjectRef> extra_context)
      : ObjectRef(make_object<details::ErrorObjFromStd>(
            std::move(kind), std::move(message), std::move(backtrace),
            cause_chain ? details::ObjectUnsafe::RawObjectPtrFromObjectRef(*cause_chain) : nullptr,
            extra_context ? details::ObjectUnsafe::RawObjectPtrFromObjectRef(*extra_context)
                          : nullptr)) {}

  std::string kind() const { return ToString(cell()->kind); }
  std::string message() const { return ToString(cell()->message); }
  std::string backtrace() const { return ToString(cell()->backtrace); }
  /*! \brief The error that caused this one, if any. */
  std::optional<Error> cause_chain() const {
    if (cell()->cause_chain == nullptr) return std::nullopt;
    return details::ObjectUnsafe::ObjectRefFromUnowned<Error>(
        static_cast<Object*>(cell()->cause_chain));
  }
  /*! \brief Extra payload attached by the raiser, if any. */
  std::optional<ObjectRef> extra_context() const {
    if (cell()->extra_context == nullptr) return std::nullopt;
    return details::ObjectUnsafe::ObjectRefFromUnowned<ObjectRef>(
        static_cast<Object*>(cell()->extra_context));
  }
  /*! \brief The backtrace reversed to Python's order (most recent call last). */
  std::string TracebackMostRecentCallLast() const {
    std::string_view text(cell()->backtrace.data, cell()->backtrace.size);
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    std::string out;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      out.append(it->data(), it->size());
      out.push_back('\n');
    }
    return out;
  }
  /*! \brief Python-style report: traceback (most recent call last), then "Kind: message". */
  std::string FullMessage() const {
    return "Traceback (most recent call last):\n" + TracebackMostRecentCallLast() + kind() + ": " +
           message() + '\n';
  }
  /*! \brief Replaces or appends to the backtrace through the cell's own hook. */
  void UpdateBacktrace(const TVMFFIByteArray* text, int32_t update_mode) {
    ErrorObj* obj = const_cast<ErrorObj*>(get());
    obj->update_backtrace(obj, text, update_mode);
  }
  const char* what() const noexcept override { return cell()->message.data; }

  TVM_FFI_DEFINE_OBJECT_REF_METHODS_NOTNULLABLE(Error, ObjectRef, ErrorObj);

 private:
  const TVMFFIErrorCell* cell() const { return static_cast<const ErrorObj*>(data_.get()); }
  static std::string ToString(const TVMFFIByteArray& arr) {
    return std::string(arr.data, arr.size);
  }
};

namespace details {
// Collects a message with << and throws it as an Error when the statement ends.
class ErrorBuilder {
 public:
  ErrorBuilder(std::string kind, const TVMFFIByteArray* backtrace, bool log_before_throw)
      : kind_(std::move(kind)),
        backtrace_(backtrace->data, backtrace->size),
        log_(log_before_throw) {}
  ErrorBuilder(std::string kind, std::string backtrace, bool log_before_throw)
      : kind_(std::move(kind)), backtrace_(std::move(backtrace)), log_(log_before_throw) {}
  /*! \brief An error that also carries a cause and an extra context object. */
  ErrorBuilder(std::string kind, const TVMFFIByteArray* backtrace, bool log_before_throw,
               std::optional<Error> cause_chain, std::optional<ObjectRef> extra_context)
      : ErrorBuilder(std::move(kind), backtrace, log_before_throw) {
    cause_chain_ = std::move(cause_chain);
    extra_context_ = std::move(extra_context);
  }
#ifdef _MSC_VER
#pragma warning(push)
#pragma warning(disable : 4722)
#endif
  [[noreturn]] ~ErrorBuilder() noexcept(false) {
    Error error(std::move(kind_), stream_.str(), std::move(backtrace_), std::move(cause_chain_),
                std::move(extra_context_));
    if (log_) std::cerr << error.FullMessage();
    throw error;
  }
#ifdef _MSC_VER
#pragma warning(pop)
#endif
  std::ostringstream& stream() { return stream_; }

 private:
  std::string kind_;
  std::string backtrace_;
  bool log_;
  std::optional<Error> cause_chain_;
  std::optional<ObjectRef> extra_context_;
  std::ostringstream stream_;
};

[[noreturn]] inline void ThrowCannotConvertFrom(const std::string& source,
                                                const std::string& target) {
  throw Error("TypeError", "Cannot convert from type `" + source + "` to `" + target + "`",
              TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0));
}

[[noreturn]] inline void ThrowCannotConvert(const TVMFFIAny* src, const std::string& target) {
  throw Error("TypeError", "Cannot convert from type `" + AnyTypeStr(src) + "` to `" + target + "`",
              TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0));
}

[[noreturn]] inline void ThrowCannotTreatAs(const TVMFFIAny* src, const std::string& target) {
  throw Error("TypeError", "Cannot treat type `" + AnyTypeStr(src) + "` as type `" + target + "`",
              TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0));
}

[[noreturn]] inline void ThrowIntOverflow(uint64_t value) {
  throw Error("OverflowError",
              "Integer value " + std::to_string(value) +
                  " is too large to fit in int64_t (the FFI's int). Cast to int64_t first if "
                  "wrapping is intended.",
              TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0));
}

/*! \brief Takes the error raised in TLS as an Error (an InternalError if none is there). */
inline Error MoveFromSafeCallRaised() {
  TVMFFIObjectHandle handle = nullptr;
  TVMFFIErrorMoveFromRaised(&handle);
  if (handle == nullptr) {
    return Error("InternalError", "a safe call failed without raising an error", "");
  }
  return ObjectUnsafe::ObjectRefFromObjectPtr<Error>(
      ObjectUnsafe::ObjectPtrFromOwned<Object>(static_cast<Object*>(handle)));
}

inline Any CallAnyHook(const TVMFFIAny& hook, const TVMFFIAny* args, int32_t num_args) {
  TVMFFIAny result;
  result.type_index = TypeIndex::kTVMFFINone;
  result.zero_padding = 0;
  result.v_int64 = 0;
  TVMFFIFunctionCell* cell = TVMFFIFunctionGetCellPtr(hook.v_obj);
  if (cell->safe_call(hook.v_obj, args, num_args, &result) != 0) throw MoveFromSafeCallRaised();
  return AnyUnsafe::MoveTVMFFIAnyToAny(&result);
}

/*! \brief Raises err into TLS (the slot takes its own reference). */
inline void SetSafeCallRaised(const Error& err) {
  TVMFFIErrorSetRaised(ObjectUnsafe::RawObjectPtrFromObjectRef(err));
}

template <typename X, typename Y>
std::unique_ptr<std::string> CheckOpFormat(const X& x, const Y& y) {
  std::ostringstream os;
  os << " (" << x << " vs. " << y << ") ";
  return std::make_unique<std::string>(os.str());
}

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#define TVM_FFI_DEFINE_CHECK_OP_(Name, Op)                                    \
  template <typename X, typename Y>                                           \
  inline std::unique_ptr<std::string> CheckOp##Name(const X& x, const Y& y) { \
    if (x Op y) return nullptr;                                               \
    return CheckOpFormat(x, y);                                               \
  }
TVM_FFI_DEFINE_CHECK_OP_(LT, <)
TVM_FFI_DEFINE_CHECK_OP_(GT, >)
TVM_FFI_DEFINE_CHECK_OP_(LE, <=)
TVM_FFI_DEFINE_CHECK_OP_(GE, >=)
TVM_FFI_DEFINE_CHECK_OP_(EQ, ==)
TVM_FFI_DEFINE_CHECK_OP_(NE, !=)
#undef TVM_FFI_DEFINE_CHECK_OP_
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
}  // namespace details

}  // namespace ffi
}  // namespace tvm

#ifndef TVM_FFI_ALWAYS_LOG_BEFORE_THROW
#define TVM_FFI_ALWAYS_LOG_BEFORE_THROW 0
#endif

/*! \brief `TVM_FFI_THROW(ValueError) << "x must be non-negative, got " << x;` */
#define TVM_FFI_THROW(ErrorKind)                                                              \
  ::tvm::ffi::details::ErrorBuilder(#ErrorKind,                                               \
                                    TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0), \
                                    TVM_FFI_ALWAYS_LOG_BEFORE_THROW)                          \
      .stream()

/*! \brief Like TVM_FFI_THROW, also printing the error to stderr first. */
#define TVM_FFI_LOG_AND_THROW(ErrorKind)                                          \
  ::tvm::ffi::details::ErrorBuilder(                                              \
      #ErrorKind, TVMFFIBacktrace(__FILE__, __LINE__, TVM_FFI_FUNC_SIG, 0), true) \
      .stream()

#define TVM_FFI_CHECK(cond, ErrorKind) \
  if (!(cond)) TVM_FFI_THROW(ErrorKind) << "Check failed: (" #cond << ") is false: "

#define TVM_FFI_CHECK_BINARY_OP_(Name, Op, x, y, ErrorKind)                \
  if (auto __tvm_ffi_check_msg = ::tvm::ffi::details::CheckOp##Name(x, y)) \
  TVM_FFI_THROW(ErrorKind) << "Check failed: " #x " " #Op " " #y << *__tvm_ffi_check_msg << ": "

#define TVM_FFI_CHECK_LT(x, y, ErrorKind) TVM_FFI_CHECK_BINARY_OP_(LT, <, x, y, ErrorKind)
#define TVM_FFI_CHECK_GT(x, y, ErrorKind) TVM_FFI_CHECK_BINARY_OP_(GT, >, x, y, ErrorKind)
#define TVM_FFI_CHECK_LE(x, y, ErrorKind) TVM_FFI_CHECK_BINARY_OP_(LE, <=, x, y, ErrorKind)
#define TVM_FFI_CHECK_GE(x, y, ErrorKind) TVM_FFI_CHECK_BINARY_OP_(GE, >=, x, y, ErrorKind)
#define TVM_FFI_CHECK_EQ(x, y, ErrorKind) TVM_FFI_CHECK_BINARY_OP_(EQ, ==, x, y, ErrorKind)
#define TVM_FFI_CHECK_NE(x, y, ErrorKind) TVM_FFI_CHECK_BINARY_OP_(NE, !=, x, y, ErrorKind)
#define TVM_FFI_CHECK_NOTNULL(x, ErrorKind) \
  ((x) == nullptr ? (TVM_FFI_THROW(ErrorKind) << "Check not null: " #x << ' ', (x)) : (x))

// Internal invariants: InternalError.
#define TVM_FFI_ICHECK(x) TVM_FFI_CHECK(x, InternalError)
#define TVM_FFI_ICHECK_LT(x, y) TVM_FFI_CHECK_LT(x, y, InternalError)
#define TVM_FFI_ICHECK_GT(x, y) TVM_FFI_CHECK_GT(x, y, InternalError)
#define TVM_FFI_ICHECK_LE(x, y) TVM_FFI_CHECK_LE(x, y, InternalError)
#define TVM_FFI_ICHECK_GE(x, y) TVM_FFI_CHECK_GE(x, y, InternalError)
#define TVM_FFI_ICHECK_EQ(x, y) TVM_FFI_CHECK_EQ(x, y, InternalError)
#define TVM_FFI_ICHECK_NE(x, y) TVM_FFI_CHECK_NE(x, y, InternalError)
#define TVM_FFI_ICHECK_NOTNULL(x) TVM_FFI_CHECK_NOTNULL(x, InternalError)

// Debug-only checks.
#ifdef NDEBUG
#define TVM_FFI_DCHECK(x) \
  while (false) TVM_FFI_ICHECK(x)
#define TVM_FFI_DCHECK_LT(x, y) \
  while (false) TVM_FFI_ICHECK_LT(x, y)
#define TVM_FFI_DCHECK_GT(x, y) \
  while (false) TVM_FFI_ICHECK_GT(x, y)
#define TVM_FFI_DCHECK_LE(x, y) \
  while (false) TVM_FFI_ICHECK_LE(x, y)
#define TVM_FFI_DCHECK_GE(x, y) \
  while (false) TVM_FFI_ICHECK_GE(x, y)
#define TVM_FFI_DCHECK_EQ(x, y) \
  while (false) TVM_FFI_ICHECK_EQ(x, y)
#define TVM_FFI_DCHECK_NE(x, y) \
  while (false) TVM_FFI_ICHECK_NE(x, y)
#define TVM_FFI_DCHECK_NOTNULL(x) (x)
#else
#define TVM_FFI_DCHECK(x) TVM_FFI_ICHECK(x)
#define TVM_FFI_DCHECK_LT(x, y) TVM_FFI_ICHECK_LT(x, y)
#define TVM_FFI_DCHECK_GT(x, y) TVM_FFI_ICHECK_GT(x, y)
#define TVM_FFI_DCHECK_LE(x, y) TVM_FFI_ICHECK_LE(x, y)
#define TVM_FFI_DCHECK_GE(x, y) TVM_FFI_ICHECK_GE(x, y)
#define TVM_FFI_DCHECK_EQ(x, y) TVM_FFI_ICHECK_EQ(x, y)
#define TVM_FFI_DCHECK_NE(x, y) TVM_FFI_ICHECK_NE(x, y)
#define TVM_FFI_DCHECK_NOTNULL(x) TVM_FFI_ICHECK_NOTNULL(x)
#endif

/*! \brief Opens a C ABI function body whose C++ exceptions become a return code. */
#define TVM_FFI_SAFE_CALL_BEGIN() \
  try {                           \
  (void)0

/*! \brief Closes TVM_FFI_SAFE_CALL_BEGIN: 0 on success, -1 with the error in TLS, -2 when the
 *         frontend holds the error. Nothing thrown crosses the C ABI, whatever its type. */
#define TVM_FFI_SAFE_CALL_END()                                                      \
  return 0;                                                                          \
  }                                                                                  \
  catch (const ::tvm::ffi::Error& err) {                                             \
    ::tvm::ffi::details::SetSafeCallRaised(err);                                     \
    return -1;                                                                       \
  }                                                                                  \
  catch (const ::tvm::ffi::EnvErrorAlreadySet&) {                                    \
    return -2;                                                                       \
  }                                                                                  \
  catch (const std::exception& ex) {                                                 \
    TVMFFIErrorSetRaisedFromCStr("InternalError", ex.what());                        \
    return -1;                                                                       \
  }                                                                                  \
  catch (...) {                                                                      \
    TVMFFIErrorSetRaisedFromCStr("InternalError",                                    \
                                 "a C++ exception not derived from std::exception"); \
    return -1;                                                                       \
  }                                                                                  \
  TVM_FFI_UNREACHABLE()

/*! \brief Evaluates a C ABI call and rethrows its error as a C++ exception. */
#define TVM_FFI_CHECK_SAFE_CALL(func)                                  \
  {                                                                    \
    int __tvm_ffi_ret = (func);                                        \
    if (__tvm_ffi_ret != 0) {                                          \
      if (__tvm_ffi_ret == -2) throw ::tvm::ffi::EnvErrorAlreadySet(); \
      throw ::tvm::ffi::details::MoveFromSafeCallRaised();             \
    }                                                                  \
  }

#endif  // TVM_FFI_ERROR_H_
