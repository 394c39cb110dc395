// A stall_seen event (sync/case_kinds.h): its body read into a StallSighting, and the rule for
// who may record one. Only the two ends of a hop see it from their own clock — the sender, which
// forwarded it, and the receiver, which signed its receipt — and for the whole case the node that
// received it at its window. Any other node's word about a hop would compare clocks it does not
// own. A sighting is a fact, like a delivery receipt: it stands whatever the case's state.
#pragma once

#include <optional>
#include <string>

#include "sync/case_rules.h"
#include "sync/case_state.h"
#include "sync/event.h"

namespace casesync {

// Steps of a sighting: the warning, the deadline, then the two escalations (stall_detector.h).
inline constexpr std::uint32_t kStepWarning = 0;
inline constexpr std::uint32_t kStepOverdue = 1;
inline constexpr std::uint32_t kStepEscalatedTwice = 3;

// The sighting a stall_seen event records, or nullopt when its body is malformed.
std::optional<StallSighting> read_sighting(const Event& e);

// Whether `e` (a stall_seen) may stand on `s`: body well formed, the hop known and the author
// one of its ends (the case's receiving node for the whole-case stage).
Verdict check_stall_seen(const Event& e, const CaseState& s);

// The body of a stall_seen recording `x` (x.event and x.reporter come from the signed event).
std::map<std::string, std::string> sighting_body(const StallSighting& x);

}  // namespace casesync
