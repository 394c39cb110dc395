#include "daemon/health_state.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "common/duration.h"

namespace casesync {

namespace {

constexpr std::string_view kSecurityRejects[] = {
    "bad_signature", "unauthorized", "equivocation", "chain_break", "origin_mismatch",
    "identity_mismatch", "bad_health_report",
    // A child speaking for nodes outside its subtree, a roster not signed by the root.
    "health_outside_subtree", "bad_roster"};

// Whole seconds are precise enough for people and keep reasons short ("1m30s", not "1m30s412ms").
Text seconds_text(std::uint64_t ms) { return format_duration_ms(ms / 1000 * 1000); }

std::string offset_seconds(std::int64_t ms) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(std::llabs(ms)) / 1000.0);
  return buf;
}

Text parent_name(const HealthReport* r) {
  const LinkHealth* p = r ? r->parent_link() : nullptr;
  return p ? ui_text("its parent %s", p->peer) : ui_text("its parent");
}

std::optional<Condition> offline(const NodeObservation& o, const HealthConfig& t,
                                 std::uint64_t now_ms) {
  if (o.is_self) return std::nullopt;
  if (!o.report) return Condition{NodeState::kOffline, ui_text("never reported"), 0};
  const std::uint64_t ago = now_ms - std::min(now_ms, o.received_ms);
  if (ago <= t.offline_after_ms) return std::nullopt;
  return Condition{NodeState::kOffline,
                   ui_text("no health report for %s (offline after %s)", seconds_text(ago),
                           seconds_text(t.offline_after_ms)),
                   o.received_ms + t.offline_after_ms};
}

std::optional<std::int64_t> clock_offset(const NodeObservation& o) {
  if (o.measured_offset_ms) return o.measured_offset_ms;
  const LinkHealth* p = o.report ? o.report->parent_link() : nullptr;
  if (!p || p->last_heard_ago_ms == UINT64_MAX) return std::nullopt;  // never heard its parent
  return -p->clock_offset_ms;  // the link records the parent's clock minus the node's
}

std::optional<Condition> skewed(const NodeObservation& o, std::optional<std::int64_t> offset,
                                const HealthConfig& t) {
  if (!offset || static_cast<std::uint64_t>(std::llabs(*offset)) <= t.clock_skew_ms) {
    return std::nullopt;
  }
  const std::string by = offset_seconds(*offset);
  const Text parent = parent_name(o.report), allowed = seconds_text(t.clock_skew_ms);
  return Condition{NodeState::kClockSkewed,
                   *offset >= 0 ? ui_text("clock %s ahead of %s (clock_skew %s)", by, parent,
                                          allowed)
                                : ui_text("clock %s behind %s (clock_skew %s)", by, parent, allowed),
                   0};
}

// Upward backlog and the age now of its oldest event, from the report (the node's own clock).
void measure_backlog(const NodeObservation& o, std::uint64_t now_ms, NodeHealth* h) {
  const LinkHealth* p = o.report ? o.report->parent_link() : nullptr;
  if (!p) return;
  h->backlog_events = p->backlog;
  if (p->backlog == 0 || p->backlog_oldest_ms == 0) return;
  const std::uint64_t at_report =
      o.report->generated_ms - std::min(o.report->generated_ms, p->backlog_oldest_ms);
  h->backlog_oldest_age_ms = at_report + (now_ms - std::min(now_ms, o.received_ms));
}

std::optional<Condition> lagging(const NodeObservation& o, const NodeHealth& h,
                                 const HealthConfig& t) {
  if (!o.report) return std::nullopt;
  std::vector<Text> why;
  const LinkHealth* p = o.report->parent_link();
  if (p && h.backlog_events > t.lag_events) {
    why.push_back(ui_text("%s events not acknowledged by %s (lag_events %s)", h.backlog_events,
                          p->peer, t.lag_events));
  }
  if (p && h.backlog_oldest_age_ms > t.lag_age_ms) {
    why.push_back(ui_text("oldest unacknowledged event %s old (lag_age %s)",
                          seconds_text(h.backlog_oldest_age_ms), seconds_text(t.lag_age_ms)));
  }
  // Only live children: a backlog toward a child that is down is that child's offline state.
  for (const auto& l : o.report->links) {
    if (!l.is_parent && l.up && l.backlog > t.lag_events) {
      why.push_back(ui_text("%s events waiting for its child %s (lag_events %s)", l.backlog,
                            l.peer, t.lag_events));
    }
  }
  // Short of what its neighbours hold for it: never in step, whatever its backlog says.
  if (!o.report->restoring.empty()) {
    why.push_back(ui_text("restoring from a backup: %s", o.report->restoring));
  }
  if (o.report->events_behind > 0) {
    why.push_back(ui_text("%s events of its subtree that %s holds are missing here (they are "
                          "being re-sent)",
                          o.report->events_behind, parent_name(o.report)));
  }
  std::uint64_t held = 0;
  std::string held_by;
  for (const auto& [reason, n] : o.report->held) {
    held += n;
    held_by += (held_by.empty() ? "" : ", ") + reason + " " + std::to_string(n);
  }
  if (held > 0) {
    why.push_back(ui_text("%s events held back until what they need arrives (%s)", held,
                          held_by));
  }
  if (o.policy_behind_ms > t.policy_lag_alert_ms) {
    why.push_back(ui_text("policy version %s, the district has %s (behind %s, policy.lag_alert "
                          "%s)",
                          o.report->policy_version, o.district_policy_version,
                          seconds_text(o.policy_behind_ms), seconds_text(t.policy_lag_alert_ms)));
  }
  if (why.empty()) return std::nullopt;
  return Condition{NodeState::kLagging, Text::join(why, "; "), 0};
}

void add_findings(const std::map<std::string, std::uint64_t>& rejects, bool here,
                  std::vector<SecurityFinding>* out) {
  for (const auto& [reason, count] : rejects) {
    if (count > 0 && is_security_reject(reason)) out->push_back({reason, count, here});
  }
}

// Reject reasons stay as the counters name them (bad_signature, ...): they are codes an admin
// looks up in the logs and in /metrics, in either language.
Text findings_text(const std::vector<SecurityFinding>& fs, bool here) {
  std::string list;
  for (const auto& f : fs) {
    if (f.counted_here != here) continue;
    list += (list.empty() ? "" : ", ") + f.reject_reason + " (" + std::to_string(f.count) + ")";
  }
  if (list.empty()) return Text();
  return here ? ui_text("refused here from it: %s", list) : ui_text("it refused: %s", list);
}

// A warning "security_alert: REASON: N ..." a node raised about something the core does not see
// (its local API's wrong-token bursts: daemon/api_counters.h), as a finding of N.
void add_warning_findings(const std::vector<std::string>& warnings,
                          std::vector<SecurityFinding>* out) {
  for (const auto& w : warnings) {
    if (w.rfind(kSecurityWarningPrefix, 0) != 0) continue;
    const std::string rest = w.substr(kSecurityWarningPrefix.size());
    const std::size_t colon = rest.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    std::uint64_t count = 0;
    std::size_t i = colon + 1;
    while (i < rest.size() && rest[i] == ' ') ++i;
    for (; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])) && count < 1000000000000000ULL; ++i) {
      count = count * 10 + static_cast<std::uint64_t>(rest[i] - '0');
    }
    out->push_back({rest.substr(0, colon), std::max<std::uint64_t>(count, 1), false});
  }
}

// Counts only grow while the nodes run: what was cleared is subtracted, and a finding that has
// not grown since is gone. A count below its baseline (the node restarted) counts in full.
void subtract_cleared(const std::vector<SecurityFinding>& cleared, std::vector<SecurityFinding>* fs) {
  std::vector<SecurityFinding> kept;
  for (SecurityFinding f : *fs) {
    for (const auto& c : cleared) {
      if (c.reject_reason != f.reject_reason || c.counted_here != f.counted_here) continue;
      f.count = f.count >= c.count ? f.count - c.count : f.count;
    }
    if (f.count > 0) kept.push_back(std::move(f));
  }
  *fs = std::move(kept);
}

std::optional<Condition> security(const NodeObservation& o, NodeHealth* h) {
  if (o.report) {
    add_findings(o.report->rejects, false, &h->security);
    add_warning_findings(o.report->warnings, &h->security);
    auto eq = o.report->counters.find("equivocations");
    auto counted = o.report->rejects.find("equivocation");
    // Every equivocation is also a reject; the counter matters for reports that lack the reject.
    if (eq != o.report->counters.end() && eq->second > 0 &&
        (counted == o.report->rejects.end() || counted->second == 0)) {
      h->security.push_back({"equivocation", eq->second, false});
    }
  }
  // The origin at fault, by name, not only the node that caught it (issue 22); cleared like any
  // finding once understood.
  std::string signers;
  if (o.report && !o.report->equivocating_origins.empty()) {
    for (const auto& origin : o.report->equivocating_origins) {
      signers += (signers.empty() ? "" : ", ") + origin;
    }
    h->security.push_back({"equivocation_evidence", o.report->equivocating_origins.size(), false});
  }
  if (o.rejects_here) add_findings(*o.rejects_here, true, &h->security);
  if (o.cleared) subtract_cleared(*o.cleared, &h->security);
  const bool evidence_open = std::any_of(h->security.begin(), h->security.end(), [](const auto& f) {
    return f.reject_reason == "equivocation_evidence";
  });
  if (!evidence_open) signers.clear();
  if (h->security.empty()) return std::nullopt;
  std::vector<Text> found;
  for (Text t : {findings_text(h->security, false), findings_text(h->security, true)}) {
    if (!t.empty()) found.push_back(std::move(t));
  }
  if (!signers.empty()) {
    // Right after what the node itself refused, as before the texts became Texts.
    found.insert(found.begin() + (findings_text(h->security, false).empty() ? 0 : 1),
                 ui_text("it holds proof that %s signed two different events under one sequence "
                         "number (a key in two places: replace that node's key and revoke the old "
                         "one)",
                         signers));
  }
  // Say where the refused events are named and how the alert ends, not only the counts.
  return Condition{NodeState::kSecurityAlert,
                   ui_text("%s. The refusing node's log names each event and case "
                           "(alert=bad_input); once understood: casesyncctl security-alert clear "
                           "%s --reason TEXT",
                           Text::join(found, "; "), o.node),
                   0};
}

}  // namespace

const char* node_state_name(NodeState state) {
  switch (state) {
    case NodeState::kInStep:
      return "in_step";
    case NodeState::kLagging:
      return "lagging";
    case NodeState::kClockSkewed:
      return "clock_skewed";
    case NodeState::kOffline:
      return "offline";
    case NodeState::kDiskTrouble:
      return "disk_trouble";
    case NodeState::kSecurityAlert:
      return "security_alert";
  }
  return "unknown";
}

int precedence(NodeState state) { return static_cast<int>(state); }

bool is_security_reject(std::string_view reason) {
  return std::find(std::begin(kSecurityRejects), std::end(kSecurityRejects), reason) !=
         std::end(kSecurityRejects);
}

NodeHealth derive_health(const NodeObservation& o, const HealthConfig& t, std::uint64_t now_ms) {
  NodeHealth h;
  if (o.report) h.last_seen_ago_ms = now_ms - std::min(now_ms, o.received_ms);
  h.clock_offset_ms = clock_offset(o);
  measure_backlog(o, now_ms, &h);
  if (auto c = security(o, &h)) h.conditions.push_back(std::move(*c));
  if (o.report && o.report->disk_trouble) {
    h.conditions.push_back({NodeState::kDiskTrouble,
                            ui_text("its last commit failed (disk full or I/O error); see its log"),
                            0});
  }
  if (auto c = offline(o, t, now_ms)) h.conditions.push_back(std::move(*c));
  if (auto c = skewed(o, h.clock_offset_ms, t)) h.conditions.push_back(std::move(*c));
  if (auto c = lagging(o, h, t)) h.conditions.push_back(std::move(*c));
  std::stable_sort(h.conditions.begin(), h.conditions.end(),
                   [](const Condition& a, const Condition& b) {
                     return precedence(a.state) > precedence(b.state);
                   });
  if (!h.conditions.empty()) {
    h.state = h.conditions.front().state;
    h.reason = h.conditions.front().reason;
  }
  return h;
}

std::uint64_t StateHistory::note(const std::string& node, NodeState state,
                                 std::uint64_t since_hint_ms, std::uint64_t now_ms) {
  auto it = seen_.find(node);
  if (it != seen_.end() && it->second.state == state) return it->second.since_ms;
  std::uint64_t since = since_hint_ms != 0 && since_hint_ms <= now_ms ? since_hint_ms : now_ms;
  // A new state cannot have begun before the one we saw last.
  if (it != seen_.end()) since = std::max(since, it->second.since_ms);
  seen_[node] = {state, since};
  return since;
}

void StateHistory::retain(const std::set<std::string>& nodes) {
  std::erase_if(seen_, [&](const auto& kv) { return !nodes.count(kv.first); });
}

}  // namespace casesync
