// The invariants a healed district must satisfy. Each check reads a World and appends what it
// finds; check_world runs them all. A new property (stall attribution, receipts and traces
// complete) is one more function in the list in invariants.cc — the extension point.
//
//  acked_event_lost       every acknowledged write is held, same hash, at every expected holder
//  phantom_event          every stored event is held by its origin with the same bytes
//  equivocation           no (origin, seq) with two hashes anywhere; counters and alerts stay 0
//  missing_events         every expected holder of a case holds all of its events
//  unexpected_case        a node holds no event of a case it should not hold
//  digest_mismatch        canonical order + events_digest and the fold's state hash agree
//  cache_fold_mismatch    the core's incrementally folded view equals a full re-fold
//  seq_gap                the district holds every origin's seqs 1..N without a gap
//  hlc_not_monotonic      each origin's HLC strictly increases with seq (clock steps included)
//  duplicate_disagreement a department system's reference names one case; where stations
//                         created it concurrently, every holder keeps the same create and marks
//                         the same others duplicate_of it
//  hostile_stored         no node stores an event forged with a stolen key (FaultKind::kHostile)
//  unauthorized_honest    a node refuses as `unauthorized` only forgeries: no honest event
//  hostile_unnamed        a node sent forgeries names their origin in a security alert
//  limit (observed)       frames <= kFrameBytesMax, in-flight batches <= window
//  rules_vs_view (obs.)   an action the node's own folded view allows is not refused by the rules
//  author_error (obs.)    a local write fails only on a full disk or by the rules
//
// Expected holders of a case: its audience (every origin and every `forwarded` target, from all
// events anyone holds) and all their ancestors.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/world.h"

namespace casesync::sim {

struct Violation {
  std::string invariant;
  std::string node;     // empty when not about one node
  std::string case_id;  // empty when not about one case
  std::string detail;
};
std::string to_string(const Violation& v);

// Each check reports at most this many violations: the first ones are the useful ones.
inline constexpr std::size_t kViolationsPerCheckMax = 8;

std::vector<Violation> check_world(const World& world);

}  // namespace casesync::sim
