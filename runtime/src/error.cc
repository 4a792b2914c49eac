// The thread-local error slot of the safe-call convention, and error creation.
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/error.h>

#include <cstring>
#include <new>
#include <string>

namespace tvm {
namespace ffi {
namespace {

// One raised error per thread; its reference is released when the thread exits.
class RaisedSlot {
 public:
  ~RaisedSlot() { details::ObjectUnsafe::DecRefObjectHandle(error_); }
  void Set(TVMFFIObjectHandle error) {
    TVMFFIObjectHandle old = error_;
    error_ = error;
    details::ObjectUnsafe::DecRefObjectHandle(old);
  }
  TVMFFIObjectHandle Take() {
    TVMFFIObjectHandle out = error_;
    error_ = nullptr;
    return out;
  }
  static RaisedSlot* ThreadLocal() {
    thread_local RaisedSlot slot;
    return &slot;
  }

 private:
  TVMFFIObjectHandle error_{nullptr};
};

TVMFFIObjectHandle NewError(std::string kind, std::string message, const TVMFFIByteArray* trace) {
  Error err(std::move(kind), std::move(message), std::string(trace->data, trace->size));
  return details::ObjectUnsafe::MoveObjectRefToTVMFFIObjectPtr(std::move(err));
}

}  // namespace
}  // namespace ffi
}  // namespace tvm

using tvm::ffi::RaisedSlot;

void TVMFFIErrorMoveFromRaised(TVMFFIObjectHandle* result) {
  *result = RaisedSlot::ThreadLocal()->Take();
}

void TVMFFIErrorSetRaised(TVMFFIObjectHandle error) {
  tvm::ffi::details::ObjectUnsafe::IncRefObjectHandle(error);
  RaisedSlot::ThreadLocal()->Set(error);
}

void TVMFFIErrorSetRaisedFromCStr(const char* kind, const char* message) {
  // The backtrace is taken here so the raiser is its first frame.
  const TVMFFIByteArray* trace = TVMFFIBacktrace(nullptr, 0, nullptr, 0);
  RaisedSlot::ThreadLocal()->Set(
      tvm::ffi::NewError(kind != nullptr ? kind : "", message != nullptr ? message : "", trace));
}

void TVMFFIErrorSetRaisedFromCStrParts(const char* kind, const char** message_parts,
                                       int32_t num_parts) {
  const TVMFFIByteArray* trace = TVMFFIBacktrace(nullptr, 0, nullptr, 0);
  std::string message;
  for (int32_t i = 0; i < num_parts; ++i) {
    if (message_parts[i] != nullptr) message.append(message_parts[i]);
  }
  RaisedSlot::ThreadLocal()->Set(
      tvm::ffi::NewError(kind != nullptr ? kind : "", std::move(message), trace));
}

int TVMFFIErrorCreate(const TVMFFIByteArray* kind, const TVMFFIByteArray* message,
                      const TVMFFIByteArray* backtrace, TVMFFIObjectHandle* out) {
  return TVMFFIErrorCreateWithCauseAndExtraContext(kind, message, backtrace, nullptr, nullptr, out);
}

int TVMFFIErrorCreateWithCauseAndExtraContext(
    const TVMFFIByteArray* kind, const TVMFFIByteArray* message, const TVMFFIByteArray* backtrace,
    TVMFFIObjectHandle cause_chain, TVMFFIObjectHandle extra_context, TVMFFIObjectHandle* out) {
  // Touches no TLS: the only failure is running out of memory.
  try {
    auto obj = tvm::ffi::make_object<tvm::ffi::details::ErrorObjFromStd>(
        std::string(kind->data, kind->size), std::string(message->data, message->size),
        std::string(backtrace->data, backtrace->size), cause_chain, extra_context);
    *out = tvm::ffi::details::ObjectUnsafe::MoveObjectPtrToTVMFFIObjectPtr(std::move(obj));
    return 0;
  } catch (const std::bad_alloc&) {
    return -1;
  }
}
