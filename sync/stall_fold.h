// The stall view of a case as a fold of its signed events: every node that holds the same events
// prints the same stalls, byte for byte, whoever asks and whenever. No clock, no local liveness
// view: only the hops' receipts and the stall_seen sightings (sync/stall_sighting.h), each of
// which carries its reporter's own clock and is never compared with another node's.
//
// For each open stage (a hop waiting for delivery, acceptance or an answer, or the whole case)
// with at least one sighting of THAT stage (older stages' sightings are history):
//   level        overdue when any sighting reached the deadline, else warning
//   figures      due, overdue_by, seen_by, seen_at of the leading sighting: the highest step;
//                on a tie the receiver's (it holds the case), then the later in canonical order
//   attribution  (overdue only)
//     silent        the receiver's own daemon signed that it held the case past the deadline:
//                   it was running and in step, and nobody there acted (people, not network)
//     not_accepted  accept stage, only the sender saw it late: the receiver's delivery receipt
//                   proves it had the case; nothing since shows whether it ignores it or is down
//     unreachable   only the sender saw it late and nothing shows the receiver holding it:
//                   undelivered (receiver stopped or network broken) or answer stage
//   The whole case's stage takes the current hop's attribution when that hop is overdue, and is
//   silent otherwise (the holder has the case; the case is simply late).
//   escalated_to  the sender, then the sender's parent, up to the root — step overdue, escalated,
//                 escalated twice take the first, second and last of that chain — never the
//                 receiver itself: the node that is not answering is not the one to tell.
#pragma once

#include <vector>

#include "common/roster.h"
#include "sync/case_state.h"
#include "sync/stall_detector.h"

namespace casesync {

std::vector<Stall> fold_stalls(const CaseState& state, const Roster& roster);

// The chain an alert climbs for a stage sent by `sender` to `receiver` (see above).
std::vector<std::string> escalation_chain(const std::string& sender, const std::string& receiver,
                                          const Roster& roster);

}  // namespace casesync
