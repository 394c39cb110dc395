#include "daemon/log.h"

#include <cstdio>
#include <mutex>

namespace casesync {
namespace {
std::mutex g_mu;
std::string g_node = "-";
LogLevel g_threshold = LogLevel::kInfo;
}  // namespace

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

Result<LogLevel> log_level_from_name(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return Status::error(Code::kInvalidArgument,
                       "log level " + name + " (allowed: debug, info, warning, error)");
}

void log_init(std::string node_id, LogLevel threshold) {
  std::lock_guard lock(g_mu);
  g_node = std::move(node_id);
  g_threshold = threshold;
}

void log_set_threshold(LogLevel threshold) {
  std::lock_guard lock(g_mu);
  g_threshold = threshold;
}

std::string log_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() &&
                    static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f || c1) {
      const auto code = c1 ? static_cast<unsigned char>(text[++i]) : c;
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", code);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

void log_line(LogLevel level, std::string_view message) {
  std::lock_guard lock(g_mu);
  if (static_cast<int>(level) > static_cast<int>(g_threshold)) return;
  const std::string text = log_escape(message);
  std::fprintf(stderr, "<%d>node=%s %s\n", static_cast<int>(level), g_node.c_str(),
               text.c_str());
  std::fflush(stderr);
}

}  // namespace casesync
