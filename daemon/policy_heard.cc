#include "daemon/policy_heard.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "daemon/private_files.h"

namespace casesync {

PolicyHeard PolicyHeard::load(std::string path) {
  PolicyHeard h;
  h.path_ = std::move(path);
  std::ifstream in(h.path_);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::uint64_t version = 0, ms = 0;
    if (!(fields >> version >> ms) || version == 0) continue;
    h.first_ms_[version] = ms;
  }
  while (h.first_ms_.size() > kVersionsMax) h.first_ms_.erase(h.first_ms_.begin());
  return h;
}

Status PolicyHeard::note(std::uint64_t version, std::uint64_t now_ms) {
  if (version == 0 || first_ms_.count(version) != 0) return Status::ok();
  first_ms_[version] = now_ms;
  while (first_ms_.size() > kVersionsMax) first_ms_.erase(first_ms_.begin());
  return save();
}

std::uint64_t PolicyHeard::newer_known_since_ms(std::uint64_t version) const {
  std::uint64_t since = 0;
  for (auto it = first_ms_.upper_bound(version); it != first_ms_.end(); ++it) {
    since = since == 0 ? it->second : std::min(since, it->second);
  }
  return since;
}

Status PolicyHeard::save() const {
  std::string text;
  for (const auto& [version, ms] : first_ms_) {
    text += std::to_string(version) + " " + std::to_string(ms) + "\n";
  }
  return write_private_file(path_, text);
}

}  // namespace casesync
