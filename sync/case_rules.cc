#include "sync/case_rules.h"

#include <array>

#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/stall_sighting.h"
#include "sync/event_content.h"
#include "sync/external_ref.h"
#include "sync/limits.h"

namespace casesync {

namespace {

using namespace kinds;

constexpr std::uint64_t kDueWorkingDaysMax = 3650;

std::string key(std::string_view k) { return std::string(k); }

// Fields a clerk may not rewrite with `edited`: they identify the case, the applicant and who
// acted.
bool protected_field(const std::string& f) {
  return f == kMatter || f == kApplicant || f == kIdNumber || f == kMaterials ||
         f == kExternalRef || f == kExternalSource || is_actor_key(f);
}

Verdict need_holder(const Event& e, const CaseState& s, const char* what) {
  if (e.origin == s.holder) return Verdict::allow();
  return Verdict::blocked(std::string("unauthorized: only the holder may ") + what + " case " +
                              s.id + " (holder is " + s.holder + ", not " + e.origin + ")",
                          Blocker::kHolder);
}

Verdict need_path(const Event& e, const CaseState& s, const char* what) {
  if (s.on_path(e.origin)) return Verdict::allow();
  return Verdict::forbidden(std::string("unauthorized: ") + e.origin +
                            " is not on the path of case " + s.id + " and may not " + what + " it");
}

Verdict need_not_terminal(const CaseState& s, const Event& e) {
  if (!is_terminal(s.status)) return Verdict::allow();
  return Verdict::blocked("case " + s.id + " is " + case_status_name(s.status) + "; " + e.kind +
                              " needs a reopen by the district first",
                          Blocker::kTerminal);
}

Verdict need_outcome(const Event& e, const char* what) {
  const std::string outcome = e.field(key(kOutcome));
  if (outcome == "approved" || outcome == "denied") return Verdict::allow();
  return Verdict::malformed(std::string(what) + " needs outcome approved or denied, not \"" +
                                outcome + "\"",
                            key(kOutcome));
}

// The state checks of an answer or acceptance, once the receiver is known to be the author.
Verdict check_hop_open(const Event& e, const CaseState& s, const Hop& hop) {
  if (hop.superseded) {
    return Verdict::blocked("hop " + hop.id + " lost a conflict to a concurrent forward; " +
                                e.kind + " on it changes nothing",
                            Blocker::kHolder);
  }
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  if (hop.stage == HopStage::kAnswered || hop.stage == HopStage::kReturned) {
    return Verdict::blocked("hop " + hop.id + " was already answered", Blocker::kHopAnswered);
  }
  if (e.kind == kAccepted && hop.stage >= HopStage::kAccepted) {
    return Verdict::blocked("hop " + hop.id + " was already accepted", Blocker::kHopAccepted);
  }
  return Verdict::allow();
}

Verdict check_receipt(const Event& e, const CaseState& s) {
  const std::string hop_id = e.field(key(kHop));
  const Hop* hop = s.find_hop(hop_id);
  if (!hop) {
    return Verdict::not_found("case " + s.id + " has no hop \"" + hop_id + "\" for " + e.kind,
                              key(kHop));
  }
  if (e.origin != hop->to) {
    return Verdict::forbidden("unauthorized: only the receiver of hop " + hop_id + " (" +
                              hop->to + ") may record " + e.kind + ", not " + e.origin);
  }
  if (e.kind == kDelivered) {
    const std::string at = e.field(key(kReceivedAt));
    if (!at.empty() && !parse_u64(at)) {
      return Verdict::malformed("received_at must be milliseconds", key(kReceivedAt));
    }
    return Verdict::allow();  // a receipt is a fact, whatever the state
  }
  if (auto open = check_hop_open(e, s, *hop); !open.ok) return open;
  if (e.kind == kReplied) return need_outcome(e, "a reply");
  if (e.kind == kReturned && e.field(key(kReason)).empty()) {
    return Verdict::malformed("a return needs a reason (退回原因)", key(kReason));
  }
  return Verdict::allow();
}

Verdict check_forward(const Event& e, const CaseState& s, const Roster& r) {
  const std::string due = e.field(key(kDueWorkingDays));
  if (!due.empty() && (!parse_u64(due) || *parse_u64(due) > kDueWorkingDaysMax)) {
    return Verdict::malformed("due_working_days must be a number of days (0..3650), not \"" +
                                  due + "\"",
                              key(kDueWorkingDays));
  }
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  if (auto h = need_holder(e, s, "forward"); !h.ok) return h;
  const std::string to = e.field(key(kTo));
  if (to.empty()) return Verdict::malformed("a forward needs \"to\": a node of the roster", key(kTo));
  if (to == e.origin) return Verdict::malformed("a node cannot forward a case to itself", key(kTo));
  const RosterNode* target = r.find(to);
  if (!target) {
    return Verdict::not_found("forward target \"" + to + "\" is not in the roster", key(kTo));
  }
  // Whether the target is revoked is the author's local policy (SyncNode::seal_local), not a
  // rule: a rule must judge an event the same under every roster version (sync/roster_rules.h).
  return Verdict::allow();
}

// A case's id: derived from its department system's reference (sync/external_ref.h), else the
// creator's own ("<origin>-..."), without the ':' that only derived ids have.
Verdict check_case_id(const Event& e) {
  const std::string ref = e.field(key(kExternalRef));
  const std::string source = e.field(key(kExternalSource));
  if (ref.empty() && source.empty()) {
    if (e.case_id.rfind(e.origin + "-", 0) == 0 && e.case_id.find(':') == std::string::npos) {
      return Verdict::allow();
    }
    return Verdict::malformed("case id " + e.case_id + " must start with its creator's id " +
                                  e.origin + "- and have no ':'",
                              "case_id");
  }
  if (auto p = external_source_problem(source)) return Verdict::malformed(*p, key(kExternalSource));
  if (auto p = external_ref_problem(ref)) return Verdict::malformed(*p, key(kExternalRef));
  const std::string want = external_case_id(source, ref);
  if (e.case_id == want) return Verdict::allow();
  return Verdict::malformed("case id " + e.case_id + " must be " + want + ", the id of " + source +
                                "'s reference " + ref,
                            "case_id");
}

Verdict check_created(const Event& e, const CaseState& s, const Roster& r) {
  if (s.exists) return Verdict::blocked("case " + s.id + " already exists", Blocker::kCreated);
  if (!r.find(e.origin)) {
    return Verdict::forbidden("unauthorized: " + e.origin + " is not in the roster");
  }
  if (Verdict id = check_case_id(e); !id.ok) return id;
  if (e.field(key(kMatter)).empty()) {
    return Verdict::malformed("a new case needs a matter and an applicant", key(kMatter));
  }
  if (e.field(key(kApplicant)).empty()) {
    return Verdict::malformed("a new case needs a matter and an applicant", key(kApplicant));
  }
  return Verdict::allow();
}

Verdict check_edit(const Event& e, const CaseState& s) {
  if (auto p = need_path(e, s, "edit"); !p.ok) return p;
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  const std::string f = e.field(key(kField));
  if (f.empty()) return Verdict::malformed("an edit needs a field", key(kField));
  if (protected_field(f)) return Verdict::malformed("field " + f + " cannot be edited", key(kField));
  return Verdict::allow();
}

// 办结 belongs to the office that received the case, once the case is back with it; a district
// admin may complete any case (recorded in the event's "authority"). Who may is checked before
// whether the case is open, so an unauthorized completion never reaches a terminal race.
Verdict check_completed(const Event& e, const CaseState& s, const Roster& r) {
  if (auto o = need_outcome(e, "completion"); !o.ok) return o;
  const std::string authority = e.field(key(kAuthority));
  if (authority == kDistrictAdmin) {
    const RosterNode* n = r.find(e.origin);
    if (!n || n->role != Role::kDistrict) {
      return Verdict::forbidden("unauthorized: only a district node may complete case " + s.id +
                                " as district admin, not " + e.origin);
    }
    return need_not_terminal(s, e);
  }
  if (!authority.empty()) {
    return Verdict::malformed("authority must be district_admin or absent, not \"" + authority +
                                  "\"",
                              key(kAuthority));
  }
  if (e.origin != s.receiving_node) {
    return Verdict::forbidden("unauthorized: only the receiving office " + s.receiving_node +
                              " may complete case " + s.id + " (办结), or a district admin; not " +
                              e.origin);
  }
  if (e.origin != s.holder) {
    return Verdict::blocked("case " + s.id + " is with " + s.holder + " (holder is " + s.holder +
                                ", not " + e.origin +
                                "): complete it once the answer is back with the receiving office",
                            Blocker::kHolder);
  }
  return need_not_terminal(s, e);
}

Verdict check_reopen(const Event& e, const CaseState& s, const Roster& r) {
  const RosterNode* n = r.find(e.origin);
  if (!n || n->role != Role::kDistrict) {
    return Verdict::forbidden("unauthorized: only the district may reopen a case, not " + e.origin);
  }
  if (!is_terminal(s.status)) {
    return Verdict::blocked("case " + s.id + " is not closed; nothing to reopen", Blocker::kReopened);
  }
  return Verdict::allow();
}

bool is_hop_receipt(const Event& e) {
  return e.kind == kDelivered || e.kind == kAccepted || e.kind == kReplied ||
         e.kind == kReturned || e.kind == kSupplementRequested;
}

}  // namespace

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  std::uint64_t v = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

bool known_kind(const std::string& kind) {
  for (auto k : kAllKinds) {
    if (k == kind) return true;
  }
  return false;
}

Verdict check_event(const Event& e, const CaseState& s, const Roster& r) {
  if (Verdict c = check_event_content(e); !c.ok) return c;
  if (!known_kind(e.kind)) return Verdict::not_found("unknown event kind \"" + e.kind + "\"", "kind");
  if (Verdict a = check_actor(e); !a.ok) return a;
  if (e.kind == kCreated) return check_created(e, s, r);
  if (!s.exists) {
    return Verdict::not_found("case " + e.case_id + " is not held here (no case_created)", "case_id");
  }
  if (s.timeline.size() >= limits::kCaseEventsMax) {
    return Verdict::full("case " + e.case_id + " already holds " + std::to_string(s.timeline.size()) +
                         " events, the most one case may hold (limits::kCaseEventsMax); open a "
                         "new case for further work");
  }
  if (e.kind == kForwarded) return check_forward(e, s, r);
  if (e.kind == kSupplementRequested && e.field(key(kHop)).empty()) {
    // At the window where the case was received, before any forward: the holder asks.
    if (auto t = need_not_terminal(s, e); !t.ok) return t;
    return need_holder(e, s, "request supplementary materials for");
  }
  if (is_hop_receipt(e)) return check_receipt(e, s);
  if (e.kind == kCompleted) return check_completed(e, s, r);
  if (e.kind == kPrereviewed) {
    if (auto h = need_holder(e, s, "pre-review"); !h.ok) return h;
    return need_not_terminal(s, e);
  }
  if (e.kind == kReopened) return check_reopen(e, s, r);
  if (e.kind == kEdited) return check_edit(e, s);
  if (e.kind == kWithdrawn) {
    if (auto p = need_path(e, s, "withdraw"); !p.ok) return p;
    return need_not_terminal(s, e);
  }
  if (e.kind == kNotified) return need_path(e, s, "record a notification for");
  if (e.kind == kViewedFull) return need_path(e, s, "view");
  if (e.kind == kStallSeen) return check_stall_seen(e, s);
  return need_path(e, s, "annotate");  // supplement_provided, note
}

}  // namespace casesync
