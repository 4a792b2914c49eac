// What the front and an isolated worker agree on beyond the session protocol: the worker's
// command line, the names of the two questions the front asks it, and how calls name globals
// and system-library functions.
#ifndef TVMFFI_SERVER_SRC_WORKER_PROTOCOL_H_
#define TVMFFI_SERVER_SRC_WORKER_PROTOCOL_H_

namespace tvmffi::rpc::worker {

// argv: <program> --isolate-worker <socket fd> <report fd> <module path> <module name>
//       <front pid>
constexpr char kFlag[] = "--isolate-worker";
// "$globals"() -> Array<String>: the globals the module registered when it loaded.
constexpr char kGlobals[] = "$globals";
// "$has_function"(name) -> bool: whether the module (or its imports) has `name`.
constexpr char kHasFunction[] = "$has_function";
// A call of "@" + name runs the global `name` (one of $globals); other names are the module's.
constexpr char kGlobalPrefix = '@';
// A call of "#" + prefix + "|" + name runs `name` of the worker's system library for prefix
// (the symbols the module registered with TVMFFIEnvModRegisterSystemLibSymbol).
constexpr char kSystemLibPrefix = '#';
constexpr char kSystemLibSeparator = '|';
// A worker that cannot load its module exits with this status after writing
// kLoadError + kind + "\n" + message to its report descriptor.
constexpr int kLoadFailedStatus = 3;
constexpr char kLoadError[] = "load-error ";

}  // namespace tvmffi::rpc::worker

#endif  // TVMFFI_SERVER_SRC_WORKER_PROTOCOL_H_
