#include "daemon/security_clears.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "daemon/api_json.h"

namespace casesync {

Status SecurityClears::clear(const SecurityClear& c) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : c.findings) {
    findings.push_back({{"reject_reason", f.reject_reason}, {"count", f.count}, {"here", f.counted_here}});
  }
  const std::string line = nlohmann::json{{"event", "security_alert_cleared"},
                                          {"node", c.node},
                                          {"reason", c.reason},
                                          {"by", c.by},
                                          {"time", format_time_ms(c.at_ms)},
                                          {"findings", findings}}
                               .dump() +
                           "\n";
  const int fd = ::open(journal_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::error(Code::kIoError, journal_path_ + ": cannot record the clear: " +
                                             std::strerror(errno) + " (check the data folder)");
  }
  const ssize_t wrote = ::write(fd, line.data(), line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (wrote != static_cast<ssize_t>(line.size()) || !synced) {
    return Status::error(Code::kIoError, journal_path_ + ": cannot record the clear (disk full?)");
  }
  baseline_[c.node] = c.findings;
  return Status::ok();
}

const std::vector<SecurityFinding>* SecurityClears::cleared(const std::string& node) const {
  auto it = baseline_.find(node);
  return it == baseline_.end() ? nullptr : &it->second;
}

std::vector<SecurityFinding> SecurityClears::take(const std::string& node) {
  auto it = baseline_.find(node);
  if (it == baseline_.end()) return {};
  std::vector<SecurityFinding> out = std::move(it->second);
  baseline_.erase(it);
  return out;
}

void SecurityClears::put(const std::string& node, std::vector<SecurityFinding> findings) {
  if (!findings.empty()) baseline_[node] = std::move(findings);
}

}  // namespace casesync
