// Time at each node: how long each node that held a case had it, as a fold of its events, the
// same at every node. A node's time is counted on its own clock only, from the first event of its
// own that shows it had the case — its delivery receipt, or what it did first with a case that
// came back to it or that it received at its window — to the last event of its own while it held
// it (the forward or answer that sent the case on, or, for the holder now, its latest event,
// stall sightings included). Time in transit, and time a receiver was down before its receipt,
// is charged to nobody: the sender's clock never meets the receiver's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sync/case_state.h"

namespace casesync {

struct Dwell {
  std::string node;
  std::uint64_t ms = 0;
};

// One entry per node that held the case, in first-holding order.
std::vector<Dwell> dwell_of(const CaseState& state);

}  // namespace casesync
