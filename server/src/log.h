// The server's log: one line per event on stderr, through spdlog. Text ("2026-12-01T10:00:00.123
// info session.open peer=ipv4:10.0.0.7:51234 sessions=3") or JSON lines ({"time": ...,
// "level": "info", "event": "session.open", "peer": ..., "sessions": 3}), --log-format;
// --log-level drops what is below it. Events a peer can cause at will (refused tokens,
// malformed frames) are throttled, so a hostile client cannot flood the log.
#ifndef TVMFFI_SERVER_SRC_LOG_H_
#define TVMFFI_SERVER_SRC_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tvmffi::rpc::internal::log {

enum class Level { kDebug, kInfo, kWarning, kError };

// level: error, warning, info or debug; format: text or json. Before any event (the default
// is info, text).
void Init(const std::string& level, const std::string& format);
bool Enabled(Level level);

// A field's value: numbers and booleans stay numbers in JSON; text is quoted and escaped.
struct Value {
  Value(std::string_view s) : text(s) {}                       // NOLINT: implicit on purpose
  Value(const char* s) : text(s) {}                            // NOLINT
  Value(const std::string& s) : text(s) {}                     // NOLINT
  Value(absl::string_view s) : text(s.data(), s.size()) {}     // NOLINT
  Value(bool b) : text(b ? "true" : "false"), number(true) {}  // NOLINT
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  Value(T v) : text(std::to_string(v)), number(true) {}  // NOLINT: exactly, whatever its size
  Value(double v) : text(Number(v)), number(true) {}     // NOLINT
  Value(absl::Duration d) : Value(absl::ToDoubleSeconds(d)) {}  // NOLINT: in seconds
  std::string text;
  bool number = false;

 private:
  static std::string Number(double v);
};

using Fields = std::initializer_list<std::pair<std::string_view, Value>>;

// One event with its fields.
void Event(Level level, std::string_view event, Fields fields = {});

// Whether an event of this key may be logged now: at most one per `every` per key; the next one
// that may carries how many were held back (suppressed=N) in *suppressed.
bool Throttle(std::string_view key, int64_t* suppressed, absl::Duration every = absl::Seconds(1));

}  // namespace tvmffi::rpc::internal::log

#endif  // TVMFFI_SERVER_SRC_LOG_H_
