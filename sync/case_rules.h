// The authorization and validity rules of case events: who may author what, given the case as
// its author could see it. One function serves three callers, so they can never disagree:
//  - a clerk's action at the local API (checked against the node's current view: clear refusal);
//  - an event arriving from a peer (checked against its causal past: refused and counted);
//  - the fold (checked at the event's canonical position: a refusal caused by a concurrent event
//    is a conflict, resolved by the rules in sync/case_fold.h).
//
// | kind                  | who may author it                                   |
// |-----------------------|-----------------------------------------------------|
// | case_created          | any rostered node; case id must start "<origin>-"   |
// | prereviewed           | the current holder                                  |
// | forwarded             | the current holder; target a rostered node ≠ itself |
// |                       | (not revoked: checked by the author only)           |
// | delivered, accepted,  | only the hop's receiver (body "hop" names the hop)  |
// | replied, returned,    |                                                     |
// | supplement_requested  |                                                     |
// | supplement_provided   | a node on the case's path                           |
// | notified, withdrawn   | a node on the case's path                           |
// | edited, note          | a node on the case's path                           |
// | completed             | the current holder                                  |
// | reopened              | a district node, on a completed or withdrawn case   |
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/roster.h"
#include "sync/case_state.h"
#include "sync/event.h"

namespace casesync {

// What stood in the way of a refused event, so the fold can tell a conflict (the blocker was
// concurrent with the event) from an event that was never allowed.
enum class Blocker { kNone, kHolder, kTerminal, kHopAccepted, kHopAnswered, kReopened };

struct Verdict {
  bool ok = true;
  std::string reason;  // e.g. "unauthorized: s02 is not the receiver of hop d:4 (s01 is)"
  Blocker blocker = Blocker::kNone;
  static Verdict allow() { return {}; }
  static Verdict refuse(std::string why, Blocker b = Blocker::kNone) { return {false, std::move(why), b}; }
};

// REQUIRES: event.case_id == state.id when state.exists.
Verdict check_event(const Event& event, const CaseState& state, const Roster& roster);

// A non-negative decimal that fits 64 bits, or nullopt (body values are text from peers).
std::optional<std::uint64_t> parse_u64(const std::string& text);

// True when the kind is one this version understands.
bool known_kind(const std::string& kind);

}  // namespace casesync
