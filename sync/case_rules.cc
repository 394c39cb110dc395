#include "sync/case_rules.h"

#include <array>

#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/stall_sighting.h"
#include "sync/event_content.h"
#include "sync/external_ref.h"

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

// `what` is the action as a verb phrase ("forward", "edit"): a Text, so it is translated too.
Verdict need_holder(const Event& e, const CaseState& s, const Text& what) {
  if (e.origin == s.holder) return Verdict::allow();
  return Verdict::blocked(ui_text("unauthorized: only the holder may %s case %s (holder is %s, "
                                  "not %s)",
                                  what, s.id, s.holder, e.origin),
                          Blocker::kHolder);
}

Verdict need_path(const Event& e, const CaseState& s, const Text& what) {
  if (s.on_path(e.origin)) return Verdict::allow();
  return Verdict::forbidden(ui_text("unauthorized: %s is not on the path of case %s and may not "
                                    "%s it",
                                    e.origin, s.id, what));
}

Verdict need_not_terminal(const CaseState& s, const Event& e) {
  if (!is_terminal(s.status)) return Verdict::allow();
  return Verdict::blocked(ui_text("case %s is %s; %s needs a reopen by the district first", s.id,
                                  case_status_name(s.status), e.kind),
                          Blocker::kTerminal);
}

Verdict need_outcome(const Event& e, const Text& what) {
  const std::string outcome = e.field(key(kOutcome));
  if (outcome == "approved" || outcome == "denied") return Verdict::allow();
  return Verdict::malformed(ui_text("%s needs outcome approved or denied, not \"%s\"", what,
                                    outcome),
                            key(kOutcome));
}

// The state checks of an answer or acceptance, once the receiver is known to be the author.
Verdict check_hop_open(const Event& e, const CaseState& s, const Hop& hop) {
  if (hop.superseded) {
    return Verdict::blocked(ui_text("hop %s lost a conflict to a concurrent forward; %s on it "
                                    "changes nothing",
                                    hop.id, e.kind),
                            Blocker::kHolder);
  }
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  if (hop.stage == HopStage::kAnswered || hop.stage == HopStage::kReturned) {
    return Verdict::blocked(ui_text("hop %s was already answered", hop.id), Blocker::kHopAnswered);
  }
  if (e.kind == kAccepted && hop.stage >= HopStage::kAccepted) {
    return Verdict::blocked(ui_text("hop %s was already accepted", hop.id), Blocker::kHopAccepted);
  }
  return Verdict::allow();
}

Verdict check_receipt(const Event& e, const CaseState& s) {
  const std::string hop_id = e.field(key(kHop));
  const Hop* hop = s.find_hop(hop_id);
  if (!hop) {
    return Verdict::not_found(ui_text("case %s has no hop \"%s\" for %s", s.id, hop_id, e.kind),
                              key(kHop));
  }
  if (e.origin != hop->to) {
    return Verdict::forbidden(ui_text("unauthorized: only the receiver of hop %s (%s) may record "
                                      "%s, not %s",
                                      hop_id, hop->to, e.kind, e.origin));
  }
  if (e.kind == kDelivered) {
    const std::string at = e.field(key(kReceivedAt));
    if (!at.empty() && !parse_u64(at)) {
      return Verdict::malformed(ui_text("received_at must be milliseconds"), key(kReceivedAt));
    }
    return Verdict::allow();  // a receipt is a fact, whatever the state
  }
  if (auto open = check_hop_open(e, s, *hop); !open.ok) return open;
  if (e.kind == kReplied) return need_outcome(e, ui_text("a reply"));
  if (e.kind == kReturned && e.field(key(kReason)).empty()) {
    return Verdict::malformed(ui_text("a return needs a reason (退回原因)"), key(kReason));
  }
  return Verdict::allow();
}

Verdict check_forward(const Event& e, const CaseState& s, const Roster& r) {
  const std::string due = e.field(key(kDueWorkingDays));
  if (!due.empty() && (!parse_u64(due) || *parse_u64(due) > kDueWorkingDaysMax)) {
    return Verdict::malformed(ui_text("due_working_days must be a number of days (0..%s), not "
                                      "\"%s\"",
                                      kDueWorkingDaysMax, due),
                              key(kDueWorkingDays));
  }
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  if (auto h = need_holder(e, s, ui_text("forward")); !h.ok) return h;
  const std::string to = e.field(key(kTo));
  if (to.empty()) return Verdict::malformed(ui_text("a forward needs \"to\": a node of the roster"), key(kTo));
  if (to == e.origin) return Verdict::malformed(ui_text("a node cannot forward a case to itself"), key(kTo));
  const RosterNode* target = r.find(to);
  if (!target) {
    return Verdict::not_found(ui_text("forward target \"%s\" is not in the roster", to), key(kTo));
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
    return Verdict::malformed(ui_text("case id %s must start with its creator's id %s- and have "
                                      "no ':'",
                                      e.case_id, e.origin),
                              "case_id");
  }
  if (auto p = external_source_problem(source)) return Verdict::malformed(*p, key(kExternalSource));
  if (auto p = external_ref_problem(ref)) return Verdict::malformed(*p, key(kExternalRef));
  const std::string want = external_case_id(source, ref);
  if (e.case_id == want) return Verdict::allow();
  return Verdict::malformed(ui_text("case id %s must be %s, the id of %s's reference %s",
                                    e.case_id, want, source, ref),
                            "case_id");
}

Verdict check_created(const Event& e, const CaseState& s, const Roster& r) {
  if (s.exists) return Verdict::blocked(ui_text("case %s already exists", s.id), Blocker::kCreated);
  if (!r.find(e.origin)) {
    return Verdict::forbidden(ui_text("unauthorized: %s is not in the roster", e.origin));
  }
  if (Verdict id = check_case_id(e); !id.ok) return id;
  if (e.field(key(kMatter)).empty()) {
    return Verdict::malformed(ui_text("a new case needs a matter and an applicant"), key(kMatter));
  }
  if (e.field(key(kApplicant)).empty()) {
    return Verdict::malformed(ui_text("a new case needs a matter and an applicant"),
                              key(kApplicant));
  }
  return Verdict::allow();
}

Verdict check_edit(const Event& e, const CaseState& s) {
  if (auto p = need_path(e, s, ui_text("edit")); !p.ok) return p;
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  const std::string f = e.field(key(kField));
  if (f.empty()) return Verdict::malformed(ui_text("an edit needs a field"), key(kField));
  if (protected_field(f)) return Verdict::malformed(ui_text("field %s cannot be edited", f), key(kField));
  return Verdict::allow();
}

// 办结 belongs to the office that received the case, once the case is back with it; a district
// admin may complete any case (recorded in the event's "authority"). Who may is checked before
// whether the case is open, so an unauthorized completion never reaches a terminal race.
Verdict check_completed(const Event& e, const CaseState& s, const Roster& r) {
  if (auto o = need_outcome(e, ui_text("completion")); !o.ok) return o;
  const std::string authority = e.field(key(kAuthority));
  if (authority == kDistrictAdmin) {
    const RosterNode* n = r.find(e.origin);
    if (!n || n->role != Role::kDistrict) {
      return Verdict::forbidden(ui_text("unauthorized: only a district node may complete case %s "
                                        "as district admin, not %s",
                                        s.id, e.origin));
    }
    return need_not_terminal(s, e);
  }
  if (!authority.empty()) {
    return Verdict::malformed(ui_text("authority must be district_admin or absent, not \"%s\"",
                                      authority),
                              key(kAuthority));
  }
  if (e.origin != s.receiving_node) {
    return Verdict::forbidden(ui_text("unauthorized: only the receiving office %s may complete "
                                      "case %s (办结), or a district admin; not %s",
                                      s.receiving_node, s.id, e.origin));
  }
  if (e.origin != s.holder) {
    // Worded as before it became a Text: the English of a refusal is kept in the state (invalid
    // events) and hashed, so a rewording would split the hash between releases.
    return Verdict::blocked(ui_text("case %s is with %s (holder is %s, not %s): complete it once "
                                    "the answer is back with the receiving office",
                                    s.id, s.holder, s.holder, e.origin),
                            Blocker::kHolder);
  }
  return need_not_terminal(s, e);
}

Verdict check_reopen(const Event& e, const CaseState& s, const Roster& r) {
  const RosterNode* n = r.find(e.origin);
  if (!n || n->role != Role::kDistrict) {
    return Verdict::forbidden(
        ui_text("unauthorized: only the district may reopen a case, not %s", e.origin));
  }
  if (!is_terminal(s.status)) {
    return Verdict::blocked(ui_text("case %s is not closed; nothing to reopen", s.id),
                            Blocker::kReopened);
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
  if (!known_kind(e.kind)) {
    return Verdict::not_found(ui_text("unknown event kind \"%s\"", e.kind), "kind");
  }
  if (Verdict a = check_actor(e); !a.ok) return a;
  if (e.kind == kCreated) return check_created(e, s, r);
  if (!s.exists) {
    return Verdict::not_found(ui_text("case %s is not held here (no case_created)", e.case_id),
                              "case_id");
  }
  if (e.kind == kForwarded) return check_forward(e, s, r);
  if (e.kind == kSupplementRequested && e.field(key(kHop)).empty()) {
    // At the window where the case was received, before any forward: the holder asks.
    if (auto t = need_not_terminal(s, e); !t.ok) return t;
    return need_holder(e, s, ui_text("request supplementary materials for"));
  }
  if (is_hop_receipt(e)) return check_receipt(e, s);
  if (e.kind == kCompleted) return check_completed(e, s, r);
  if (e.kind == kPrereviewed) {
    if (auto h = need_holder(e, s, ui_text("pre-review")); !h.ok) return h;
    return need_not_terminal(s, e);
  }
  if (e.kind == kReopened) return check_reopen(e, s, r);
  if (e.kind == kEdited) return check_edit(e, s);
  if (e.kind == kWithdrawn) {
    if (auto p = need_path(e, s, ui_text("withdraw")); !p.ok) return p;
    return need_not_terminal(s, e);
  }
  if (e.kind == kNotified) return need_path(e, s, ui_text("record a notification for"));
  if (e.kind == kViewedFull) return need_path(e, s, ui_text("view"));
  if (e.kind == kStallSeen) return check_stall_seen(e, s);
  return need_path(e, s, ui_text("annotate"));  // supplement_provided, note
}

}  // namespace casesync
