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
    // An event that came up a fallback link skipped the child above its author: that child gets
    // it from us too (seed 20261206058: a community revoked while on its fallback parent never
    // re-sent its street the events the district held). Its author's own copy, if it ever comes,
    // is dropped as a duplicate.
    const bool skipped_child = in.from_fallback_child && child != in.from_peer;
    if (child == in.from_peer || (roster.in_subtree(event.origin, child) && !skipped_child)) {
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
