// A session's own stream on each CUDA device its calls use. While the session serves a call,
// that stream is what a module's function finds with TVMFFIEnvGetStream (and what the device
// layer's copies are ordered on), so the kernels one session launches run in its order and
// apart from other sessions'; copies to the host wait for them. Devices whose memory the host
// reads (the CPU) have no streams.
#ifndef TVMFFI_SESSION_SRC_SESSION_STREAMS_H_
#define TVMFFI_SESSION_SRC_SESSION_STREAMS_H_

#include <tvm/ffi/any.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "tvmffi/device/device_api.h"

namespace tvmffi::rpc::internal {

class SessionStreams {
 public:
  SessionStreams() = default;
  ~SessionStreams();  // the streams go (the driver frees each once its queued work is done)
  SessionStreams(const SessionStreams&) = delete;
  SessionStreams& operator=(const SessionStreams&) = delete;

  // For one call on this thread: the env stream of every device this session has a stream on,
  // and of every CUDA device among args' tensors (its stream made now), is the session's; the
  // thread's previous streams come back when the scope ends.
  class Scope {
   public:
    Scope(Scope&& other) noexcept : saved_(std::move(other.saved_)) { other.saved_.clear(); }
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Scope& operator=(Scope&&) = delete;

   private:
    friend class SessionStreams;
    Scope() = default;
    std::vector<std::pair<DLDevice, void*>> saved_;
  };
  Scope Enter(const std::vector<tvm::ffi::Any>& args);

  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<int32_t, int32_t>, device::StreamHandle> streams_;
  std::atomic<bool> any_{false};  // streams_ is not empty (read without the lock)
};

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SESSION_SRC_SESSION_STREAMS_H_
