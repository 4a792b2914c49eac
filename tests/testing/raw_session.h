// A raw Session stream for tests: the frames a hostile or broken client sends, byte for byte,
// without the client library in between.
#ifndef TVMFFI_TESTS_TESTING_RAW_SESSION_H_
#define TVMFFI_TESTS_TESTING_RAW_SESSION_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tvmffi/rpc/v1/ffi.grpc.pb.h"

namespace tvmffi::rpc::testing {

// Says Hello on a fresh Session stream (insecure channel), then sends what it is given.
class RawSession {
 public:
  explicit RawSession(const std::string& address, const std::string& shm_host = "",
                      bool cuda_ipc = false)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(v1::FFI::NewStub(channel_)),
        stream_(OpenStream(&context_, *stub_)) {
    v1::Frame hello;
    hello.mutable_hello()->set_protocol_version(1);
    hello.mutable_hello()->set_peer_name("raw");
    hello.mutable_hello()->set_shm_host(shm_host);
    hello.mutable_hello()->set_cuda_ipc(cuda_ipc);
    EXPECT_TRUE(stream_->Write(hello));
    v1::Frame theirs;
    EXPECT_TRUE(stream_->Read(&theirs));
    EXPECT_TRUE(theirs.has_hello());
  }
  ~RawSession() {
    context_.TryCancel();
    (void)stream_->Finish();
  }
  // Reads until the stream ends (false: a frame came instead; a minute at most in all).
  bool Ended() {
    v1::Frame frame;
    return !stream_->Read(&frame);
  }
  // Sends frame; returns the next frame that is not a Release (false: the stream ended).
  bool Exchange(const v1::Frame& frame, v1::Frame* reply) {
    if (!stream_->Write(frame)) return false;
    do {
      if (!stream_->Read(reply)) return false;
    } while (reply->has_release());
    return true;
  }
  v1::FFI::Stub& stub() { return *stub_; }

 private:
  static std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> OpenStream(
      grpc::ClientContext* context, v1::FFI::Stub& stub) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub.Session(context);
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FFI::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream_;
};

// A Call frame of the global `name`.
inline v1::Frame CallFrame(uint64_t id, const std::string& name, std::vector<v1::Value> args) {
  v1::Frame frame;
  frame.mutable_call()->set_id(id);
  frame.mutable_call()->set_global_name(name);
  for (v1::Value& v : args) *frame.mutable_call()->add_args() = std::move(v);
  return frame;
}

}  // namespace tvmffi::rpc::testing

#endif  // TVMFFI_TESTS_TESTING_RAW_SESSION_H_
