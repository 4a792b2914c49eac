// TVMFFIBacktrace: the call stack as Python-style "File/line/in" lines, most recent call first.
// Frames come from GCC's libbacktrace (shipped with the compiler, reads DWARF for file:line);
// without it, glibc's backtrace() and dladdr() give symbol names only.
#include <tvm/ffi/c_api.h>

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#if TVMFFI_HAVE_LIBBACKTRACE
#include <backtrace.h>
#else
#include <execinfo.h>
#endif

namespace tvm {
namespace ffi {
namespace {

constexpr int kMaxFrames = 256;

std::string Demangle(const char* name) {
  if (name == nullptr) return "<unknown>";
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = (status == 0 && out != nullptr) ? std::string(out) : std::string(name);
  std::free(out);
  return result;
}

// The walk stops at these: language-binding frames mark the FFI boundary.
bool IsBoundary(const std::string& symbol) {
  return symbol.rfind("TVMFFIFunctionCall", 0) == 0 || symbol.rfind("_PyEval", 0) == 0 ||
         symbol.rfind("PyObject_Call", 0) == 0 || symbol.rfind("__pyx_", 0) == 0;
}

// Frames that only add noise: the C runtime's entry, unknown frames, and the call machinery
// of the FFI headers (Function::operator(), argument unpacking, ...).
bool IsNoise(const char* file, const std::string& symbol) {
  if (symbol == "_start" || symbol.rfind("__libc_start", 0) == 0) return true;
  if (file == nullptr) return symbol == "<unknown>";
  std::string_view path(file);
  return path.find("/tvm/ffi/") != std::string_view::npos && path.size() > 2 &&
         path.substr(path.size() - 2) == ".h";
}

// True for addresses inside this library: the frames that produce the backtrace itself.
bool InThisLibrary(uintptr_t pc) {
  static const void* self_base = [] {
    Dl_info info;
    return dladdr(reinterpret_cast<void*>(&TVMFFIBacktrace), &info) != 0 ? info.dli_fbase : nullptr;
  }();
  Dl_info info;
  return self_base != nullptr && dladdr(reinterpret_cast<void*>(pc), &info) != 0 &&
         info.dli_fbase == self_base;
}

struct Frame {
  const char* file;
  int line;
  std::string symbol;
};

struct Collector {
  std::string text;
  int frames = 0;
  bool stop_at_boundary = true;
  bool done = false;
  bool leading = true;  // still inside this library's own frames at the top of the stack
  // When the caller named its own frame, the walk's first physical frame (with the frames
  // inlined into it) is held back so that frame is not listed twice.
  std::string explicit_func;
  bool grouping = false;
  uintptr_t group_pc = 0;
  std::vector<Frame> group;
  std::string dropped_symbol;
  const char* dropped_file = nullptr;

  void Add(uintptr_t pc, const char* file, int line, const std::string& symbol) {
    if (done) return;
    if (leading) {
      if (InThisLibrary(pc)) return;
      leading = false;
      if (!explicit_func.empty()) {
        grouping = true;
        group_pc = pc;
      }
    }
    if (grouping) {
      if (pc == group_pc) {
        group.push_back(Frame{file, line, symbol});
        return;
      }
      FlushGroup();
      // GCC may split the named function over two physical frames (e.g. a cold part called
      // from the hot one): a directly following frame of the same function is the same one.
      if (dropped_symbol == symbol && SameFile(dropped_file, file)) return;
    }
    Emit(file, line, symbol);
  }

  static bool SameFile(const char* a, const char* b) {
    return a != nullptr && b != nullptr && std::strcmp(a, b) == 0;
  }

  // "ns::Func" from "ret ns::Func(args) const" or "ns::Func(args)": compares a pretty
  // function signature with a demangled symbol.
  static std::string_view BaseName(std::string_view sig) {
    sig = sig.substr(0, sig.find('('));
    size_t space = sig.rfind(' ');
    return space == std::string_view::npos ? sig : sig.substr(space + 1);
  }
  bool NamesExplicitFrame(const std::string& sym) const {
    return explicit_func.find(sym) != std::string::npos ||
           (!BaseName(sym).empty() && BaseName(sym) == BaseName(explicit_func));
  }

  // Drops the held frames up to the one the caller already named, emits the rest.
  void FlushGroup() {
    if (!grouping) return;
    grouping = false;
    size_t first = 0;
    for (size_t i = 0; i < group.size(); ++i) {
      const std::string& sym = group[i].symbol;
      if (sym != "<unknown>" && NamesExplicitFrame(sym)) {
        first = i + 1;
        dropped_symbol = sym;
        dropped_file = group[i].file;
      }
    }
    for (size_t i = first; i < group.size(); ++i) {
      Emit(group[i].file, group[i].line, group[i].symbol);
    }
    group.clear();
  }

  void Emit(const char* file, int line, const std::string& symbol) {
    if (done) return;
    if (stop_at_boundary && IsBoundary(symbol)) {
      done = true;
      return;
    }
    if (IsNoise(file, symbol)) return;
    if (++frames > kMaxFrames) {
      done = true;
      return;
    }
    text += "  File \"";
    text += file != nullptr ? file : "<unknown>";
    text += "\", line ";
    text += std::to_string(line);
    text += ", in ";
    text += symbol;
    text += '\n';
  }
};

#if TVMFFI_HAVE_LIBBACKTRACE
backtrace_state* State() {
  static backtrace_state* state = backtrace_create_state(
      nullptr, /*threaded=*/1, [](void*, const char*, int) {}, nullptr);
  return state;
}

void SymbolFromSyminfo(void* data, uintptr_t, const char* symname, uintptr_t, uintptr_t) {
  if (symname != nullptr) *static_cast<std::string*>(data) = Demangle(symname);
}

int OnFrame(void* data, uintptr_t pc, const char* file, int line, const char* function) {
  auto* collector = static_cast<Collector*>(data);
  std::string symbol;
  if (function != nullptr) {
    symbol = Demangle(function);
  } else {
    symbol = "<unknown>";
    backtrace_syminfo(
        State(), pc, SymbolFromSyminfo, [](void*, const char*, int) {}, &symbol);
  }
  collector->Add(pc, file, line, symbol);
  return collector->done ? 1 : 0;
}

__attribute__((noinline)) void Walk(Collector* collector) {
  // libbacktrace's DWARF cache is not safe to fill from many threads at once.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (State() != nullptr) {
    backtrace_full(
        State(), 0, OnFrame, [](void*, const char*, int) {}, collector);
  }
}
#else
__attribute__((noinline)) void Walk(Collector* collector) {
  void* pcs[kMaxFrames];
  int n = ::backtrace(pcs, kMaxFrames);
  for (int i = 0; i < n && !collector->done; ++i) {
    Dl_info info;
    std::string symbol = "<unknown>";
    const char* file = nullptr;
    if (dladdr(pcs[i], &info) != 0) {
      if (info.dli_sname != nullptr) symbol = Demangle(info.dli_sname);
      file = info.dli_fname;
    }
    collector->Add(reinterpret_cast<uintptr_t>(pcs[i]), file, 0, symbol);
  }
}
#endif

}  // namespace
}  // namespace ffi
}  // namespace tvm

const TVMFFIByteArray* TVMFFIBacktrace(const char* filename, int lineno, const char* func,
                                       int cross_ffi_boundary) {
  thread_local std::string storage;
  thread_local TVMFFIByteArray result;
  tvm::ffi::Collector collector;
  collector.stop_at_boundary = cross_ffi_boundary == 0;
  if (filename != nullptr && func != nullptr) {
    // The caller named its own frame; drop it from the walk so it is not listed twice.
    collector.text = std::string("  File \"") + filename + "\", line " + std::to_string(lineno) +
                     ", in " + func + "\n";
    collector.frames = 1;
    collector.explicit_func = func;
  }
  tvm::ffi::Walk(&collector);
  collector.FlushGroup();
  storage = std::move(collector.text);
  result.data = storage.data();
  result.size = storage.size();
  return &result;
}
