#include "sync/stall_detector.h"

#include <cmath>

namespace casesync {

namespace {

std::uint64_t accept_limit(const StallPolicy& p, const Roster& r, const std::string& node) {
  const RosterNode* n = r.find(node);
  if (n) {
    auto it = p.accept_ms_by_role.find(n->role);
    if (it != p.accept_ms_by_role.end() && it->second) return it->second;
  }
  return p.accept_ms;
}

std::uint64_t answer_due(const Hop& h, const CaseState& s, const DeadlineInputs& in) {
  const WorkCalendar& cal = *in.calendar;
  if (in.policy->answer_ms) return cal.add_working_ms(h.accepted_ms, in.policy->answer_ms) + h.paused_ms;
  std::uint32_t days = h.due_working_days ? h.due_working_days : in.matter_limit_days(s.matter);
  if (days == 0) return 0;
  return cal.add_working_days(h.accepted_ms, days) + h.paused_ms;
}

std::string escalation(const Stall& st, std::uint64_t limit_ms, const StallInputs& in) {
  if (st.level != "overdue" || limit_ms == 0) return st.sender;
  const double ratio = static_cast<double>(st.overdue_by_ms) / static_cast<double>(limit_ms);
  const auto ancestors = in.roster->ancestors_of(st.sender);
  if (ratio >= 2 * in.policy->escalate_fraction && !ancestors.empty()) return ancestors.back();
  if (ratio >= in.policy->escalate_fraction && !ancestors.empty()) return ancestors.front();
  return st.sender;
}

std::string attribute(const std::string& stage, const std::string& receiver, std::uint64_t due,
                      const StallInputs& in) {
  auto seen = in.in_step_at(receiver);
  const bool in_step_after = seen && *seen >= due;
  if (in_step_after) return "silent";
  // Its signed delivery receipt proves it had the case, but nothing since shows whether it is
  // ignoring it or cut off: say exactly that much.
  return stage == "accept" ? "not_accepted" : "unreachable";
}

// Fills level, overdue_by, attribution and escalation; false when neither warning nor overdue.
bool judge(Stall& st, const Deadline& d, const StallInputs& in) {
  const WorkCalendar& cal = *in.calendar;
  const std::uint64_t limit = d.wall_clock ? d.due_ms - d.start_ms
                                           : cal.working_ms_between(d.start_ms, d.due_ms);
  const std::uint64_t warn_at =
      d.wall_clock ? d.start_ms + static_cast<std::uint64_t>(in.policy->warn_fraction * static_cast<double>(limit))
                   : cal.add_working_ms(d.start_ms, static_cast<std::uint64_t>(
                                                        in.policy->warn_fraction * static_cast<double>(limit)));
  if (in.now_ms < warn_at) return false;
  st.due_ms = d.due_ms;
  if (in.now_ms >= d.due_ms) {
    st.level = "overdue";
    const std::uint64_t late = d.wall_clock ? in.now_ms - d.due_ms : cal.working_ms_between(d.due_ms, in.now_ms);
    st.overdue_by_ms = static_cast<std::int64_t>(late);
    st.attribution = attribute(st.stage, st.receiver, d.due_ms, in);
  } else {
    st.level = "warning";
    const std::uint64_t left = d.wall_clock ? d.due_ms - in.now_ms : cal.working_ms_between(in.now_ms, d.due_ms);
    st.overdue_by_ms = -static_cast<std::int64_t>(left);
    st.attribution = "";
  }
  st.escalated_to = escalation(st, limit, in);
  return true;
}

std::optional<Stall> hop_stall(const Hop& h, const CaseState& s, const StallInputs& in) {
  const auto d = hop_deadline(h, s, in);
  if (!d) return std::nullopt;
  Stall st;
  st.case_id = s.id;
  st.hop = h.id;
  st.stage = d->stage;
  st.sender = h.from;
  st.receiver = h.to;
  st.alert_id = due_key(s.id, h.id, st.stage);
  if (!judge(st, *d, in)) return std::nullopt;
  return st;
}

}  // namespace

std::optional<Deadline> hop_deadline(const Hop& h, const CaseState& s, const DeadlineInputs& in) {
  if (h.superseded) return std::nullopt;
  switch (h.stage) {
    case HopStage::kForwarded:
      return Deadline{"delivery", h.forwarded_ms, h.forwarded_ms + in.policy->delivery_ms, true};
    case HopStage::kDelivered:
      return Deadline{"accept", h.delivered_ms,
                      in.calendar->add_working_ms(h.delivered_ms,
                                                  accept_limit(*in.policy, *in.roster, h.to)),
                      false};
    case HopStage::kAccepted: {
      const std::uint64_t due = answer_due(h, s, in);
      if (due == 0) return std::nullopt;  // unknown matter and no override: no deadline
      return Deadline{"answer", h.accepted_ms, due, false};
    }
    case HopStage::kSupplementRequested:  // the answer clock is paused for the applicant
    case HopStage::kAnswered:
    case HopStage::kReturned:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Deadline> case_deadline(const CaseState& s, const DeadlineInputs& in) {
  if (!s.exists || is_terminal(s.status) || s.status == CaseStatus::kSupplementRequested) {
    return std::nullopt;
  }
  const std::uint32_t days = in.matter_limit_days(s.matter);
  if (days == 0) return std::nullopt;
  return Deadline{"case", s.received_ms,
                  in.calendar->add_working_days(s.received_ms, days) + total_paused_ms(s), false};
}

std::vector<Stall> detect_stalls(const CaseState& s, const StallInputs& in) {
  std::vector<Stall> out;
  if (!s.exists || is_terminal(s.status)) return out;
  for (const auto& h : s.hops) {
    if (auto st = hop_stall(h, s, in)) out.push_back(std::move(*st));
  }
  if (auto d = case_deadline(s, in)) {
    Stall st{.alert_id = due_key(s.id, "", "case"), .case_id = s.id, .stage = "case",
             .sender = s.receiving_node, .receiver = s.holder};
    if (judge(st, *d, in)) out.push_back(std::move(st));
  }
  return out;
}

}  // namespace casesync
