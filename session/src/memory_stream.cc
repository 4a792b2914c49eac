// An in-memory FrameStream pair: each side's writes land in the other side's queue.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "tvmffi/session/frame_stream.h"

namespace tvmffi::rpc {
namespace {

// One direction: a queue that closes.
class Pipe {
 public:
  absl::Status Push(const v1::Frame& frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return absl::UnavailableError("in-memory stream closed");
    queue_.push_back(frame);
    cv_.notify_one();
    return absl::OkStatus();
  }
  absl::Status Pop(v1::Frame* frame) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return absl::OutOfRangeError("in-memory stream ended");
    *frame = std::move(queue_.front());
    queue_.pop_front();
    return absl::OkStatus();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<v1::Frame> queue_;
  bool closed_ = false;
};

class MemoryStream : public FrameStream {
 public:
  MemoryStream(std::shared_ptr<Pipe> in, std::shared_ptr<Pipe> out)
      : in_(std::move(in)), out_(std::move(out)) {}
  ~MemoryStream() override { Close(); }
  absl::Status Write(const v1::Frame& frame) override { return out_->Push(frame); }
  absl::Status Read(v1::Frame* frame) override { return in_->Pop(frame); }
  void Close() override {
    in_->Close();
    out_->Close();
  }

 private:
  std::shared_ptr<Pipe> in_;
  std::shared_ptr<Pipe> out_;
};

}  // namespace

std::pair<std::unique_ptr<FrameStream>, std::unique_ptr<FrameStream>> MakeMemoryStreamPair() {
  auto a_to_b = std::make_shared<Pipe>();
  auto b_to_a = std::make_shared<Pipe>();
  return {std::make_unique<MemoryStream>(b_to_a, a_to_b),
          std::make_unique<MemoryStream>(a_to_b, b_to_a)};
}

}  // namespace tvmffi::rpc
