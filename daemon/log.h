// Logging for a journald world: one line per event on stderr with an sd-daemon priority prefix
// ("<4>" = warning), so journald files it at the right level without a syslog socket.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace casesync {

enum class LogLevel { kDebug = 7, kInfo = 6, kWarning = 4, kError = 3 };
const char* log_level_name(LogLevel level);
Result<LogLevel> log_level_from_name(const std::string& name);

// Every line carries node=<id> so lines from many nodes (a testbed, a journal export) can be told
// apart. Thread-safe. Control characters in the message are escaped (log_escape), so text a peer
// chose — a case id, an event kind, a routing id — can never end the line or start another with
// a priority prefix of its own.
void log_init(std::string node_id, LogLevel threshold);
void log_set_threshold(LogLevel threshold);
void log_line(LogLevel level, std::string_view message);

// C0 control characters, DEL and the C1 controls (U+0080..U+009F as UTF-8) become \xNN, and a
// backslash becomes \\, so the escaped text reads back unambiguously. Everything else, UTF-8
// text included, passes unchanged.
std::string log_escape(std::string_view text);

inline void log_debug(std::string_view m) { log_line(LogLevel::kDebug, m); }
inline void log_info(std::string_view m) { log_line(LogLevel::kInfo, m); }
inline void log_warning(std::string_view m) { log_line(LogLevel::kWarning, m); }
inline void log_error(std::string_view m) { log_line(LogLevel::kError, m); }

}  // namespace casesync
