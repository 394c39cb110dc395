// The matters catalogue (事项目录): code, name, legal time limit in working days and required
// materials for every matter a node may receive. A data file (data/matters.toml ships a sample)
// so the district updates it without a new release.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace casesync {

struct Matter {
  std::string code;
  std::string name;
  std::uint32_t limit_working_days = 0;
  std::vector<std::string> materials;
  // Removed from the district's catalogue by a newer policy bundle: open cases keep this limit,
  // new cases of it are refused (daemon/policy_keeper.h).
  bool retired = false;
};

class MattersCatalogue {
 public:
  const Matter* find(const std::string& code) const {
    auto it = matters_.find(code);
    return it == matters_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, Matter>& all() const { return matters_; }
  void add(Matter m) { matters_[m.code] = std::move(m); }

 private:
  std::map<std::string, Matter> matters_;
};

// Validates: unique codes, non-empty names, limits 1..365, materials a list of strings.
// Errors read "FILE:LINE: matter[2].limit_working_days: 0 is out of range (1..365)".
Result<MattersCatalogue> load_matters(const std::string& path);
Result<MattersCatalogue> parse_matters(const std::string& text, const std::string& source_name);

}  // namespace casesync
