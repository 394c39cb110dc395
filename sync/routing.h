// Routing: which links an event travels on. Pure functions of the roster, the event and the
// case's audience, so every node makes the same decision and tests need no network.
//
// Rules (docs/DESIGN.md, Replication):
//  - Upward: every event whose origin lies in this node's subtree goes to the parent.
//  - Downward: a case's events go to child C when the case's audience (its origins and every
//    node it was forwarded to) reaches into C's subtree. When an event first brings the audience
//    into C's subtree, C gets the whole case so far (backfill), not just that event.
//  - Never back to where it came from, never down to the subtree that authored it — unless the
//    case had not reached that subtree before this event (a second create of one department
//    system's reference, sync/external_ref.h): then that subtree gets the whole case.
#pragma once

#include <string>
#include <vector>

#include "common/roster.h"
#include "sync/event.h"

namespace casesync {

// The event kind that sends a case to another node; body["to"] names the node.
inline constexpr const char* kForwardKind = "forwarded";

// Nodes an event adds to its case's audience: its origin, and a forward's target.
std::vector<std::string> audience_additions(const Event& event);

struct RouteDecision {
  bool to_parent = false;
  std::vector<std::string> children;           // send this event
  std::vector<std::string> children_backfill;  // send the whole case (this event included)
};

struct RouteInput {
  const Roster* roster = nullptr;
  std::string self;
  std::string parent;  // empty at the district
  std::vector<std::string> children;
  std::string from_peer;  // empty for a locally authored event
  // from_peer dialled us as its fallback parent: the nodes between it and us (its own parent)
  // have not seen the event, and may never get it from it (revoked or lost while on fallback).
  bool from_fallback_child = false;
};

// `audience` is the case's audience after this event; `newly_added` the members it added.
RouteDecision decide_route(const RouteInput& in, const Event& event,
                           const std::vector<std::string>& audience,
                           const std::vector<std::string>& newly_added);

}  // namespace casesync
