#include "sync/stall_detector.h"

#include <algorithm>

#include "sync/stall_sighting.h"

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

// A stage as its reporter counts it: the limit and the step it has reached at `now`, with the
// working (or wall) time past due; nullopt before the warning.
struct Reached {
  std::uint32_t step = kStepWarning;
  std::int64_t overdue_by_ms = 0;
};

std::optional<Reached> reached(const Deadline& d, const StallInputs& in) {
  const WorkCalendar& cal = *in.calendar;
  const std::uint64_t limit = d.wall_clock ? d.due_ms - d.start_ms
                                           : cal.working_ms_between(d.start_ms, d.due_ms);
  const auto warn_ms = static_cast<std::uint64_t>(in.policy->warn_fraction * static_cast<double>(limit));
  const std::uint64_t warn_at = d.wall_clock ? d.start_ms + warn_ms : cal.add_working_ms(d.start_ms, warn_ms);
  if (in.now_ms < warn_at) return std::nullopt;
  if (in.now_ms < d.due_ms) {
    const std::uint64_t left = d.wall_clock ? d.due_ms - in.now_ms : cal.working_ms_between(in.now_ms, d.due_ms);
    return Reached{kStepWarning, -static_cast<std::int64_t>(left)};
  }
  const std::uint64_t late = d.wall_clock ? in.now_ms - d.due_ms : cal.working_ms_between(d.due_ms, in.now_ms);
  Reached r{kStepOverdue, static_cast<std::int64_t>(late)};
  if (limit > 0) {
    const double ratio = static_cast<double>(late) / static_cast<double>(limit);
    r.step += (ratio >= in.policy->escalate_fraction) + (ratio >= 2 * in.policy->escalate_fraction);
  }
  return r;
}

// The sender's own-clock deadlines: every stage counted from its forward (see the header).
std::optional<Deadline> sender_deadline(const Hop& h, const CaseState& s, const StallInputs& in) {
  const auto d = hop_deadline(h, s, in);
  if (!d || d->stage == "delivery") return d;
  const std::uint64_t delivered_by = h.forwarded_ms + in.policy->delivery_ms;
  const std::uint64_t accept_due =
      in.calendar->add_working_ms(delivered_by, accept_limit(*in.policy, *in.roster, h.to));
  if (d->stage == "accept") return Deadline{"accept", delivered_by, accept_due, false};
  Hop shifted = h;
  shifted.accepted_ms = accept_due;
  const std::uint64_t due = answer_due(shifted, s, in);
  if (due == 0) return std::nullopt;
  return Deadline{"answer", accept_due, due, false};
}

std::uint32_t highest_recorded(const CaseState& s, const std::string& self, const std::string& hop,
                               const std::string& stage) {
  std::uint32_t out = 0;
  bool any = false;
  for (const auto& x : s.sightings) {
    if (x.reporter != self || x.hop != hop || x.stage != stage) continue;
    out = any ? std::max(out, x.step) : x.step;
    any = true;
  }
  return any ? out + 1 : 0;  // the lowest step still worth recording
}

void add_if_new(std::vector<StallSighting>& out, const CaseState& s, const StallInputs& in,
                const std::string& hop, const std::optional<Deadline>& d) {
  if (!d) return;
  const auto r = reached(*d, in);
  if (!r || r->step < highest_recorded(s, in.self, hop, d->stage)) return;
  out.push_back({.hop = hop, .stage = d->stage, .step = r->step, .due_ms = d->due_ms,
                 .seen_ms = in.now_ms, .overdue_by_ms = r->overdue_by_ms});
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

std::vector<StallSighting> sightings_due(const CaseState& s, const StallInputs& in) {
  std::vector<StallSighting> out;
  if (!s.exists || is_terminal(s.status)) return out;
  for (const auto& h : s.hops) {
    if (h.superseded) continue;
    // The receiver holds no case before its receipt: delivery is the sender's to see.
    if (h.from == in.self) add_if_new(out, s, in, h.id, sender_deadline(h, s, in));
    if (h.to == in.self && h.stage != HopStage::kForwarded) {
      add_if_new(out, s, in, h.id, hop_deadline(h, s, in));
    }
  }
  if (s.receiving_node == in.self) add_if_new(out, s, in, "", case_deadline(s, in));
  return out;
}

}  // namespace casesync
