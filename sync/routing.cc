#include "sync/routing.h"

#include <algorithm>

namespace casesync {

std::vector<std::string> audience_additions(const Event& event) {
  std::vector<std::string> out{event.origin};
  if (event.kind == kForwardKind) {
    std::string to = event.field("to");
    if (!to.empty() && to != event.origin) out.push_back(to);
  }
  return out;
}

namespace {
bool reaches(const Roster& roster, const std::vector<std::string>& members,
             const std::string& child, const std::vector<std::string>& excluded) {
  return std::any_of(members.begin(), members.end(), [&](const std::string& m) {
    return roster.in_subtree(m, child) &&
           std::find(excluded.begin(), excluded.end(), m) == excluded.end();
  });
}
}  // namespace

RouteDecision decide_route(const RouteInput& in, const Event& event,
                           const std::vector<std::string>& audience,
                           const std::vector<std::string>& newly_added) {
  const Roster& roster = *in.roster;
  RouteDecision d;
  d.to_parent = !in.parent.empty() && in.from_peer != in.parent &&
                roster.in_subtree(event.origin, in.self);
  static const std::vector<std::string> kNone;
  // Whether the case was here before this event.
  const bool known_before = audience.size() > newly_added.size();
  for (const auto& child : in.children) {
    if (!reaches(roster, audience, child, kNone)) continue;
    const bool reached_before = reaches(roster, audience, child, newly_added);
    // Only the child the event came from and its author are known to hold it. A child above the
    // author normally relayed it to us, and then it is from_peer; when the event reached us by
    // another way (up a fallback link, at this node or below another child: seeds 20261206058,
    // 476292693678) that child was skipped and gets it from us. A copy it did relay after all
    // is dropped on arrival as a duplicate.
    if (child == in.from_peer || child == event.origin) {
      // That subtree wrote or relayed the event, so it holds it and, the event's author having
      // held the case, the case before it — except when the event is a create of a case made
      // elsewhere too (a department system's reference created at two stations,
      // sync/external_ref.h): then the case had not reached that subtree, which lacks the rest.
      // It gets the whole case; the event itself comes back as a duplicate and is dropped.
      if (known_before && !reached_before) d.children_backfill.push_back(child);
      continue;
    }
    if (reached_before) {
      d.children.push_back(child);
    } else {
      d.children_backfill.push_back(child);
    }
  }
  return d;
}

}  // namespace casesync
