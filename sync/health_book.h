// HealthBook: the latest health report of every node in this node's subtree (and its own), as
// relayed up the tree. It answers the question stall attribution needs — "when was this node
// last known to be in step?" — without trusting any single relay: every report is signed by the
// node it describes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/roster.h"
#include "sync/health_report.h"

namespace casesync {

struct HealthEntry {
  HealthReport report;
  std::uint64_t received_ms = 0;  // our clock when it arrived
};

class HealthBook {
 public:
  // Keeps the report if it is newer than the one held. Returns true when kept.
  bool record(HealthReport report, std::uint64_t received_ms);
  const HealthEntry* find(const std::string& node) const;
  const std::map<std::string, HealthEntry>& entries() const { return entries_; }

  // The latest time (our clock: when its report arrived) at which `node` reported that
  // everything it held had been acknowledged upstream, confirmed hop by hop up to `self` by
  // reports that arrived no earlier.
  // nullopt when no such chain is known: the node may have been cut off.
  std::optional<std::uint64_t> in_step_at(const std::string& node, const std::string& self,
                                          const Roster& roster) const;

 private:
  std::map<std::string, HealthEntry> entries_;
};

}  // namespace casesync
