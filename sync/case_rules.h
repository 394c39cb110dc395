// The authorization and validity rules of case events: who may author what, given the case as
// its author could see it. One function serves three callers, so they can never disagree:
//  - a clerk's action at the local API (checked against the node's current view: clear refusal);
//  - an event arriving from a peer (checked against its causal past: refused and counted);
//  - the fold (checked at the event's canonical position: a refusal caused by a concurrent event
//    is a conflict, resolved by the rules in sync/case_fold.h).
//
// Every event first passes the content check of sync/event_content.h (UTF-8, length limits).
//
// | kind                  | who may author it                                   |
// |-----------------------|-----------------------------------------------------|
// | case_created          | any rostered node; case id "<origin>-..." without   |
// |                       | ':', or derived from external_source and            |
// |                       | external_ref (sync/external_ref.h)                  |
// | prereviewed           | the current holder                                  |
// | forwarded             | the current holder; target a rostered node ≠ itself |
// |                       | (not revoked: checked by the author only)           |
// | delivered, accepted,  | only the hop's receiver (body "hop" names the hop)  |
// | replied, returned,    |                                                     |
// | supplement_requested  |                                                     |
// | supplement_provided   | a node on the case's path                           |
// | notified, withdrawn   | a node on the case's path                           |
// | edited, note          | a node on the case's path                           |
// | completed (办结)      | the receiving office (the node that created the     |
// |                       | case) while it holds the case, i.e. no hop it sent  |
// |                       | is still open; or a district node with body         |
// |                       | "authority": "district_admin", whoever holds it     |
// |                       | (recorded as such in the case)                      |
// | reopened              | a district node, on a completed or withdrawn case   |
// | viewed_full           | a node on the case's path (an audit record of a     |
// |                       | clerk seeing the unmasked case; changes nothing)    |
//
// Every event that names a clerk (sync/actor.h) must name a well-formed one whose role may author
// it: a district admin's completion or a reopen needs a clerk with role admin at the district.
// Events without a clerk (written before clerks existed) are judged by the node alone.
//
// A refusal says what kind of "no" it is (Refusal): the input is malformed, names something that
// does not exist, comes from a node that may never do this, or meets a case whose state forbids
// it now. The local API answers 400, 404, 403 and 409 from it.
//
// The reason is a Text (common/text.h): the API shows it in the clerk's language; the fold, the
// counters and the state hash only ever use its English (Text::english()), so what a node stores
// or hashes never depends on who looked at it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/roster.h"
#include "common/text.h"
#include "sync/case_state.h"
#include "sync/event.h"

namespace casesync {

// What stood in the way of a refused event, so the fold can tell a conflict (the blocker was
// concurrent with the event) from an event that was never allowed.
enum class Blocker { kNone, kHolder, kTerminal, kHopAccepted, kHopAnswered, kReopened, kCreated };

enum class Refusal {
  kMalformed,   // a missing, ill-typed or oversized value
  kNotFound,    // an unknown kind, hop, node or case
  kPermission,  // this author may never do this (not the receiver, not on the path, ...)
  kState,       // the case's state forbids it now (closed, held elsewhere, hop answered, ...)
};

struct Verdict {
  bool ok = true;
  Text reason;  // e.g. "unauthorized: s02 is not the receiver of hop d:4 (s01 is)"
  Blocker blocker = Blocker::kNone;
  Refusal refusal = Refusal::kMalformed;
  std::string field;  // the body key (or "kind", "case_id") at fault, when one is

  static Verdict allow() { return {}; }
  static Verdict malformed(Text why, std::string field = "") {
    return {false, std::move(why), Blocker::kNone, Refusal::kMalformed, std::move(field)};
  }
  static Verdict not_found(Text why, std::string field = "") {
    return {false, std::move(why), Blocker::kNone, Refusal::kNotFound, std::move(field)};
  }
  static Verdict forbidden(Text why) {
    return {false, std::move(why), Blocker::kNone, Refusal::kPermission, ""};
  }
  // `b` names the part of the state in the way, so the fold can find a concurrent cause.
  static Verdict blocked(Text why, Blocker b = Blocker::kNone) {
    return {false, std::move(why), b, Refusal::kState, ""};
  }
};

// REQUIRES: event.case_id == state.id when state.exists.
Verdict check_event(const Event& event, const CaseState& state, const Roster& roster);

// A non-negative decimal that fits 64 bits, or nullopt (body values are text from peers).
std::optional<std::uint64_t> parse_u64(const std::string& text);

// True when the kind is one this version understands.
bool known_kind(const std::string& kind);

}  // namespace casesync
