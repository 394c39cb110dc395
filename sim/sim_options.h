// What one simulated run is asked to do, and what it reports back.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "common/sync_limits.h"
#include "sim/clerks.h"
#include "sim/fault_profile.h"
#include "sim/invariants.h"
#include "sim/topology.h"

namespace casesync::sim {

struct SimOptions {
  std::uint64_t seed = 1;
  Topology topology;
  std::uint64_t fault_phase_ms = 60'000;  // virtual time with faults and clerks at work
  std::uint64_t heal_bound_ms = 120'000;  // after healing, convergence must come within this
  FaultMask faults = all_faults();
  bool reopen = true;           // the district reopens closed cases now and then
  bool rush = true;             // now and then every holder of a case acts at once
  std::ostream* log = nullptr;  // when set, the run's timeline is written here
};

struct RunResult {
  std::uint64_t seed = 0;
  std::uint64_t trace_hash = 0;
  bool converged = false;
  std::uint64_t convergence_ms = 0;  // virtual, from the heal to the first all-invariants-hold
  std::uint64_t end_ms = 0;          // virtual time the run ended
  FaultCounts faults{};
  FaultProfile profile;
  SyncLimits limits;
  std::vector<Violation> violations;
  ClerkStats clerks;
  std::uint64_t events_total = 0;  // distinct events at the district at the end
  std::uint64_t cases_total = 0;
  std::uint64_t conflicts = 0;  // conflict records the fold made, over the district's cases
  std::map<std::string, std::uint64_t> conflicts_by_rule;  // the same by rule (sync/case_fold.h)
  std::uint64_t frames_delivered = 0;
  std::uint64_t frames_lost = 0;  // to a dead node or over a partitioned link
  std::uint64_t restarts = 0;
  std::map<std::string, std::uint64_t> rejects;  // summed over nodes, by reason
  std::map<std::string, std::uint64_t> alerts;   // summed over nodes, by kind

  bool ok() const { return violations.empty(); }
};

}  // namespace casesync::sim
