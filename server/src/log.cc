#include "log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <tvm/ffi/extra/json.h>
#include <tvm/ffi/string.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tvmffi::rpc::internal::log {
namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<int> level{static_cast<int>(Level::kInfo)};
  std::atomic<bool> json{false};
};

State& Get() {
  static State* state = [] {  // never destroyed: threads may log during exit
    auto* s = new State();
    s->logger = std::make_shared<spdlog::logger>("tvmffi-server",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
    s->logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
    s->logger->set_level(spdlog::level::trace);  // our own levels decide
    s->logger->flush_on(spdlog::level::trace);   // a line is out before the next thing happens
    return s;
  }();
  return *state;
}

const char* Name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Quoted(std::string_view s) {
  return std::string(tvm::ffi::json::Stringify(tvm::ffi::String(std::string(s))));
}

// Text values: bare when they are one plain word, else quoted as JSON strings.
std::string TextValue(const Value& v) {
  if (v.number) return v.text;
  bool plain = !v.text.empty();
  for (char c : v.text) {
    plain = plain && c > ' ' && c != '"' && c != '=' && c != '\\' && c < 0x7f;
  }
  return plain ? v.text : Quoted(v.text);
}

}  // namespace

std::string Value::Number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

void Init(const std::string& level, const std::string& format) {
  State& s = Get();
  Level l = level == "debug"     ? Level::kDebug
            : level == "warning" ? Level::kWarning
            : level == "error"   ? Level::kError
                                 : Level::kInfo;
  s.level.store(static_cast<int>(l));
  s.json.store(format == "json");
  s.logger->set_pattern(format == "json" ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%e%z\",%v}"
                                         : "%Y-%m-%dT%H:%M:%S.%e%z %v");
}

bool Enabled(Level level) { return static_cast<int>(level) >= Get().level.load(); }

void Event(Level level, std::string_view event, Fields fields) {
  if (!Enabled(level)) return;
  State& s = Get();
  std::string line;
  if (s.json.load()) {
    line = absl::StrCat("\"level\":\"", Name(level), "\",\"event\":", Quoted(event));
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, ",", Quoted(key), ":", value.number ? value.text : Quoted(value.text));
    }
  } else {
    line = absl::StrCat(Name(level), " ", Sv(event));
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, " ", Sv(key), "=", TextValue(value));
    }
  }
  s.logger->log(spdlog::level::info, line);
}

bool Throttle(std::string_view key, int64_t* suppressed, absl::Duration every) {
  static std::mutex* mutex = new std::mutex;
  static auto* last = new std::map<std::string, std::pair<absl::Time, int64_t>, std::less<>>;
  std::lock_guard<std::mutex> lock(*mutex);
  absl::Time now = absl::Now();
  auto it = last->find(key);
  if (it == last->end()) {
    if (last->size() >= 1024) last->clear();  // keys are ours, but stay bounded anyway
    last->emplace(std::string(key), std::make_pair(now, int64_t{0}));
    *suppressed = 0;
    return true;
  }
  if (now - it->second.first < every) {
    ++it->second.second;
    return false;
  }
  *suppressed = it->second.second;
  it->second = {now, 0};
  return true;
}

}  // namespace tvmffi::rpc::internal::log
