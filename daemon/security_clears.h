// The record of `casesyncctl security-alert clear`: an admin saw a node's security_alert,
// understood it and cleared it. Health counts only refusals above what was cleared; the clear
// itself is an audit record (who, when, why, which counts) appended to
// DATA_DIR/security_clears.jsonl (0600, one JSON object per line) and logged as
// alert=security_alert_cleared.
//
// The baseline lives in memory only: the counts it is subtracted from are the running nodes'
// own, which begin again at a restart (health_state.cc counts a shrunken count in full).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/health_state.h"

namespace casesync {

struct SecurityClear {
  std::string node;
  std::string reason;
  std::string by;  // the clerk who cleared it
  std::uint64_t at_ms = 0;
  std::vector<SecurityFinding> findings;  // the counts cleared
};

class SecurityClears {
 public:
  explicit SecurityClears(std::string journal_path) : journal_path_(std::move(journal_path)) {}

  // Appends the audit record first; the baseline moves only once it is on disk.
  Status clear(const SecurityClear& c);
  const std::vector<SecurityFinding>* cleared(const std::string& node) const;
  // The node's baseline, removed (to read its raw counts), and put back.
  std::vector<SecurityFinding> take(const std::string& node);
  void put(const std::string& node, std::vector<SecurityFinding> findings);

 private:
  std::string journal_path_;
  std::map<std::string, std::vector<SecurityFinding>> baseline_;
};

}  // namespace casesync
