// --isolate: a module that lives in a worker process. The front publishes an IsolatedModule
// whose functions forward each call to the current worker; a worker that crashes or hangs
// fails its calls with RemoteCrashError and is replaced by a fresh one on the next call.
#ifndef TVMFFI_SERVER_SRC_ISOLATED_MODULE_H_
#define TVMFFI_SERVER_SRC_ISOLATED_MODULE_H_

#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tvmffi/session/endpoint.h"
#include "worker_process.h"

namespace tvmffi::rpc::internal {

class IsolatedWorker : public std::enable_shared_from_this<IsolatedWorker> {
 public:
  // timeout: longest one call may run before the worker is killed (Infinite: no limit).
  // shared_memory: shared tensors cross to the worker by reference.
  IsolatedWorker(WorkerSpec spec, absl::Duration timeout, bool shared_memory)
      : spec_(std::move(spec)), timeout_(timeout), shared_memory_(shared_memory) {}
  ~IsolatedWorker();
  // Starts the first worker and learns the globals the module registers; fails when the
  // module does not load.
  absl::Status Start();
  // Runs the module's function `name` (or "@global") in the worker.
  absl::StatusOr<tvm::ffi::Any> Call(const std::string& name, const tvm::ffi::AnyView* args,
                                     int32_t num_args);
  // A local function that forwards to Call(name).
  tvm::ffi::Function Forwarder(const std::string& name);
  absl::StatusOr<bool> HasFunction(const std::string& name);
  // The globals the module registered when it loaded.
  const std::vector<std::string>& globals() const { return globals_; }

 private:
  struct Live {
    std::shared_ptr<Endpoint> endpoint;
    std::shared_ptr<WorkerProcess> process;
  };
  absl::StatusOr<Live> Current();

  const WorkerSpec spec_;
  int64_t starts_ = 0;  // under mutex_: workers started for this module (1 + restarts)
  const absl::Duration timeout_;
  const bool shared_memory_;
  std::vector<std::string> globals_;
  std::mutex mutex_;
  Live live_;
  std::map<std::string, bool> has_function_;
};

// The module clients see; kind "isolated".
tvm::ffi::Module MakeIsolatedModule(std::shared_ptr<IsolatedWorker> worker);

}  // namespace tvmffi::rpc::internal

#endif  // TVMFFI_SERVER_SRC_ISOLATED_MODULE_H_
