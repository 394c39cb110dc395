// PolicyHeard: when this node first learned that each district policy version exists — installed
// here, or only heard of in a peer's Hello, heartbeat or gossip. Health measures how long a node
// has been behind from that moment (not from our own install time, which a restart resets), so a
// node that hears of version 3 but cannot fetch it turns `lagging` on time, and a restart of the
// observer does not restart the clock. Persisted in the data folder (one "version ms" line each).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"

namespace casesync {

class PolicyHeard {
 public:
  // Versions remembered; older ones are forgotten (a node that far behind has long been lagging
  // and its row keeps the oldest remembered time, which only understates the lag).
  static constexpr std::size_t kVersionsMax = 32;

  // Reads `path`; a missing file is empty, damaged lines are skipped.
  static PolicyHeard load(std::string path);

  // Records that `version` exists as of now_ms unless it is already known (0 is the built-in
  // default and never recorded). Saves on change; a failed save is returned (kept in memory).
  Status note(std::uint64_t version, std::uint64_t now_ms);

  // The newest version known to exist (0: none).
  std::uint64_t newest() const { return first_ms_.empty() ? 0 : first_ms_.rbegin()->first; }
  // When a version newer than `version` was first known here (0: none is known).
  std::uint64_t newer_known_since_ms(std::uint64_t version) const;

 private:
  Status save() const;

  std::string path_;
  std::map<std::uint64_t, std::uint64_t> first_ms_;  // version -> first known (our clock)
};

}  // namespace casesync
