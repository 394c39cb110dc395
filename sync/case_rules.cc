#include "sync/case_rules.h"

#include <array>

#include "sync/case_kinds.h"

namespace casesync {

namespace {

using namespace kinds;

constexpr std::array<std::string_view, 15> kKnownKinds = {
    kCreated,  kPrereviewed, kForwarded,           kDelivered,          kAccepted,
    kReplied,  kReturned,    kSupplementRequested, kSupplementProvided, kNotified,
    kWithdrawn, kCompleted,  kReopened,            kEdited,             kNote};

// Fields a clerk may not rewrite with `edited`: they identify the case and the applicant.
bool protected_field(const std::string& f) {
  return f == kMatter || f == kApplicant || f == kIdNumber || f == kMaterials;
}

Verdict need_holder(const Event& e, const CaseState& s, const char* what) {
  if (e.origin == s.holder) return Verdict::allow();
  return Verdict::refuse(std::string("unauthorized: only the holder may ") + what + " case " +
                             s.id + " (holder is " + s.holder + ", not " + e.origin + ")",
                         Blocker::kHolder);
}

Verdict need_path(const Event& e, const CaseState& s, const char* what) {
  if (s.on_path(e.origin)) return Verdict::allow();
  return Verdict::refuse(std::string("unauthorized: ") + e.origin + " is not on the path of case " +
                         s.id + " and may not " + what + " it");
}

Verdict need_not_terminal(const CaseState& s, const Event& e) {
  if (!is_terminal(s.status)) return Verdict::allow();
  return Verdict::refuse("case " + s.id + " is " + case_status_name(s.status) + "; " + e.kind +
                             " needs a reopen by the district first",
                         Blocker::kTerminal);
}

Verdict check_receipt(const Event& e, const CaseState& s) {
  const std::string hop_id = e.field(std::string(kHop));
  const Hop* hop = s.find_hop(hop_id);
  if (!hop) {
    return Verdict::refuse("case " + s.id + " has no hop \"" + hop_id + "\" for " + e.kind);
  }
  if (e.origin != hop->to) {
    return Verdict::refuse("unauthorized: only the receiver of hop " + hop_id + " (" + hop->to +
                           ") may record " + e.kind + ", not " + e.origin);
  }
  if (e.kind == kDelivered) {
    const std::string at = e.field(std::string(kReceivedAt));
    if (!at.empty() && !parse_u64(at)) return Verdict::refuse("received_at must be milliseconds");
    return Verdict::allow();  // a receipt is a fact, whatever the state
  }
  if (hop->superseded) {
    return Verdict::refuse("hop " + hop_id + " lost a conflict to a concurrent forward; " +
                               e.kind + " on it changes nothing",
                           Blocker::kHolder);
  }
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  const bool answered = hop->stage == HopStage::kAnswered || hop->stage == HopStage::kReturned;
  if (answered) {
    return Verdict::refuse("hop " + hop_id + " was already answered", Blocker::kHopAnswered);
  }
  if (e.kind == kAccepted && hop->stage >= HopStage::kAccepted) {
    return Verdict::refuse("hop " + hop_id + " was already accepted", Blocker::kHopAccepted);
  }
  if (e.kind == kReplied) {
    std::string outcome = e.field(std::string(kOutcome));
    if (outcome != "approved" && outcome != "denied") {
      return Verdict::refuse("a reply needs outcome approved or denied, not \"" + outcome + "\"");
    }
  }
  if (e.kind == kReturned && e.field(std::string(kReason)).empty()) {
    return Verdict::refuse("a return needs a reason (退回原因)");
  }
  return Verdict::allow();
}

Verdict check_forward(const Event& e, const CaseState& s, const Roster& r) {
  const std::string due = e.field(std::string(kDueWorkingDays));
  if (!due.empty() && (!parse_u64(due) || *parse_u64(due) > 3650)) {
    return Verdict::refuse("due_working_days must be a number of days (0..3650), not \"" + due + "\"");
  }
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  if (auto h = need_holder(e, s, "forward"); !h.ok) return h;
  const std::string to = e.field(std::string(kTo));
  if (to == e.origin) return Verdict::refuse("a node cannot forward a case to itself");
  const RosterNode* target = r.find(to);
  if (!target) return Verdict::refuse("forward target \"" + to + "\" is not in the roster");
  // Whether the target is revoked is the author's local policy (SyncNode::seal_local), not a
  // rule: a rule must judge an event the same under every roster version (sync/roster_rules.h).
  return Verdict::allow();
}

Verdict check_created(const Event& e, const CaseState& s, const Roster& r) {
  if (s.exists) return Verdict::refuse("case " + s.id + " already exists");
  if (!r.find(e.origin)) return Verdict::refuse("unauthorized: " + e.origin + " is not in the roster");
  if (e.case_id.rfind(e.origin + "-", 0) != 0) {
    return Verdict::refuse("case id " + e.case_id + " must start with its creator's id " +
                           e.origin + "-");
  }
  if (e.field(std::string(kMatter)).empty() || e.field(std::string(kApplicant)).empty()) {
    return Verdict::refuse("a new case needs a matter and an applicant");
  }
  return Verdict::allow();
}

Verdict check_edit(const Event& e, const CaseState& s) {
  if (auto p = need_path(e, s, "edit"); !p.ok) return p;
  if (auto t = need_not_terminal(s, e); !t.ok) return t;
  const std::string f = e.field(std::string(kField));
  if (f.empty()) return Verdict::refuse("an edit needs a field");
  if (protected_field(f)) return Verdict::refuse("field " + f + " cannot be edited");
  return Verdict::allow();
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
  for (auto k : kKnownKinds) {
    if (k == kind) return true;
  }
  return false;
}

Verdict check_event(const Event& e, const CaseState& s, const Roster& r) {
  if (!known_kind(e.kind)) return Verdict::refuse("unknown event kind \"" + e.kind + "\"");
  if (e.kind == kCreated) return check_created(e, s, r);
  if (!s.exists) return Verdict::refuse("case " + e.case_id + " is not held here (no case_created)");
  if (e.kind == kForwarded) return check_forward(e, s, r);
  if (e.kind == kSupplementRequested && e.field(std::string(kHop)).empty()) {
    // At the window where the case was received, before any forward: the holder asks.
    if (auto t = need_not_terminal(s, e); !t.ok) return t;
    return need_holder(e, s, "request supplementary materials for");
  }
  if (e.kind == kDelivered || e.kind == kAccepted || e.kind == kReplied || e.kind == kReturned ||
      e.kind == kSupplementRequested) {
    return check_receipt(e, s);
  }
  // Who may act is checked before whether the case is still open, so an unauthorized completion
  // or withdrawal can never reach (let alone win) a terminal race.
  if (e.kind == kPrereviewed || e.kind == kCompleted) {
    if (e.kind == kCompleted) {
      std::string outcome = e.field(std::string(kOutcome));
      if (outcome != "approved" && outcome != "denied") {
        return Verdict::refuse("completion needs outcome approved or denied");
      }
    }
    if (auto h = need_holder(e, s, e.kind == kCompleted ? "complete" : "pre-review"); !h.ok) return h;
    return need_not_terminal(s, e);
  }
  if (e.kind == kReopened) {
    const RosterNode* n = r.find(e.origin);
    if (!n || n->role != Role::kDistrict) {
      return Verdict::refuse("unauthorized: only the district may reopen a case, not " + e.origin);
    }
    if (!is_terminal(s.status)) {
      return Verdict::refuse("case " + s.id + " is not closed; nothing to reopen", Blocker::kReopened);
    }
    return Verdict::allow();
  }
  if (e.kind == kEdited) return check_edit(e, s);
  if (e.kind == kWithdrawn) {
    if (auto p = need_path(e, s, "withdraw"); !p.ok) return p;
    return need_not_terminal(s, e);
  }
  if (e.kind == kNotified) return need_path(e, s, "record a notification for");
  return need_path(e, s, "annotate");  // supplement_provided, note
}

}  // namespace casesync
