// Derived health states: what the district's admins see for each node, judged from the node's
// latest signed health report (sync/health_report.h) and from what this node itself observed on
// its link to that node. Pure: no clock, no I/O — the caller passes now_ms and the inputs, so the
// rules are tested without daemons.
//
// States, highest precedence first (a node shows the first that applies, the others become
// warnings):
//   security_alert  a forged, unauthorized or rewritten input was refused — by the node itself
//                   (rejects in its report, equivocations, a warning "security_alert: REASON: N
//                   ..." such as a burst of wrong API tokens) or by us from it (our peer
//                   counters).
//                   Counters live until the daemon restarts, so the alert stays until then.
//   disk_trouble    its last commit failed (disk full, I/O error)
//   offline         no report for offline_after, on OUR clock (HealthEntry.received_ms);
//                   a node that never reported is offline with the reason "never reported"
//   clock_skewed    its wall clock is more than clock_skew away from its parent's
//   lagging         its upward backlog is above lag_events, or the oldest unacknowledged event
//                   is older than lag_age; or a link to a live child holds more than lag_events;
//                   or it has computed deadlines with an older policy than the district's for
//                   longer than policy.lag_alert
//   in_step         none of the above
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "config/node_config.h"
#include "sync/health_report.h"

namespace casesync {

// Declared lowest precedence first; precedence() orders them.
enum class NodeState { kInStep, kLagging, kClockSkewed, kOffline, kDiskTrouble, kSecurityAlert };
inline constexpr NodeState kNodeStates[] = {NodeState::kInStep,      NodeState::kLagging,
                                            NodeState::kClockSkewed, NodeState::kOffline,
                                            NodeState::kDiskTrouble, NodeState::kSecurityAlert};

const char* node_state_name(NodeState state);
// Higher wins when several states apply.
int precedence(NodeState state);

// A health report warning that starts so is a security finding (REASON: N ...).
inline constexpr std::string_view kSecurityWarningPrefix = "security_alert: ";

// Reject reasons (sync/counters.h) that mean someone forged, impersonated or rewrote something,
// as opposed to ordinary trouble (a full buffer, an unknown peer during a roster change).
bool is_security_reject(std::string_view reason);

// One refused input that raised security_alert.
struct SecurityFinding {
  std::string reject_reason;  // e.g. "bad_signature", "equivocation"
  std::uint64_t count = 0;
  bool counted_here = false;  // by us against this node; else by the node itself
};

// Everything known about one node. Pointers must remain live during derive_health().
struct NodeObservation {
  std::string node;
  const HealthReport* report = nullptr;  // latest report; nullptr: never reported
  std::uint64_t received_ms = 0;         // our clock when `report` arrived (now for ourselves)
  bool is_self = false;                  // our own fresh report: never offline
  // Node's clock minus its parent's, as WE measured it on our link to the node (set for our
  // direct children). When unset, the report's own parent link is used.
  std::optional<std::int64_t> measured_offset_ms;
  // What we refused from this node on our link to it (our direct peers), reason -> count.
  const std::map<std::string, std::uint64_t>* rejects_here = nullptr;
  // What an admin cleared (`casesyncctl security-alert clear`): only counts above these raise
  // security_alert again. nullptr: nothing cleared.
  const std::vector<SecurityFinding>* cleared = nullptr;
  // The district's policy version and how long this node's report has shown an older one (the
  // caller tracks it: daemon/policy_lag.h). 0: not behind.
  std::uint64_t district_policy_version = 0;
  std::uint64_t policy_behind_ms = 0;
};

struct Condition {
  NodeState state = NodeState::kInStep;
  // Words for people: what was seen and against which threshold. A Text (common/text.h), shown
  // in the reader's language by the API; the state itself is the code above.
  Text reason;
  std::uint64_t since_hint_ms = 0;  // when it began, when the inputs tell (0: unknown)
};

struct NodeHealth {
  NodeState state = NodeState::kInStep;
  Text reason;
  std::vector<Condition> conditions;  // every state that applies, highest precedence first
  std::vector<SecurityFinding> security;
  std::uint64_t backlog_events = 0;               // not yet acknowledged by its parent
  std::uint64_t backlog_oldest_age_ms = 0;        // age now of the oldest of them
  std::optional<std::int64_t> clock_offset_ms;    // its clock minus its parent's; unset: unknown
  std::optional<std::uint64_t> last_seen_ago_ms;  // since its report arrived; unset: never
};

NodeHealth derive_health(const NodeObservation& observation, const HealthConfig& thresholds,
                         std::uint64_t now_ms);

// When each node entered the state it is in now. In memory only, one entry per node; the caller
// drops nodes that left the roster with retain(). Not thread-safe: the daemon uses it on the
// loop thread only.
class StateHistory {
 public:
  // Records the state seen at now_ms and returns since when the node has been in it. A change of
  // state starts at `since_hint_ms` when that is known and not in the future, else at now_ms.
  std::uint64_t note(const std::string& node, NodeState state, std::uint64_t since_hint_ms,
                     std::uint64_t now_ms);
  void retain(const std::set<std::string>& nodes);
  std::size_t size() const { return seen_.size(); }

 private:
  struct Seen {
    NodeState state;
    std::uint64_t since_ms;
  };
  std::map<std::string, Seen> seen_;
};

}  // namespace casesync
