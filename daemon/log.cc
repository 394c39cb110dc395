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

void log_line(LogLevel level, std::string_view message) {
  std::lock_guard lock(g_mu);
  if (static_cast<int>(level) > static_cast<int>(g_threshold)) return;
  std::fprintf(stderr, "<%d>node=%s %.*s\n", static_cast<int>(level), g_node.c_str(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace casesync
