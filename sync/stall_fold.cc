#include "sync/stall_fold.h"

#include "sync/stall_sighting.h"

namespace casesync {

namespace {

// The stage a hop waits in, or "" when it waits for nobody at the receiver.
std::string open_stage(const Hop& h) {
  if (h.superseded) return "";
  switch (h.stage) {
    case HopStage::kForwarded: return "delivery";
    case HopStage::kDelivered: return "accept";
    case HopStage::kAccepted: return "answer";
    case HopStage::kSupplementRequested:  // paused for the applicant
    case HopStage::kAnswered:
    case HopStage::kReturned:
      return "";
  }
  return "";
}

struct StageView {
  const StallSighting* lead = nullptr;
  bool receiver_overdue = false;  // the receiver itself saw the deadline pass
};

StageView view_of(const CaseState& s, const std::string& hop, const std::string& stage,
                  const std::string& receiver) {
  StageView v;
  for (const auto& x : s.sightings) {
    if (x.hop != hop || x.stage != stage) continue;
    const bool by_receiver = x.reporter == receiver;
    if (by_receiver && x.step >= kStepOverdue) v.receiver_overdue = true;
    // Later in canonical order wins a full tie: >= keeps the last.
    const bool better = !v.lead || x.step > v.lead->step ||
                        (x.step == v.lead->step && (by_receiver || v.lead->reporter != receiver));
    if (better) v.lead = &x;
  }
  return v;
}

Stall stall_of(const CaseState& s, const std::string& hop, const std::string& stage,
               const std::string& sender, const std::string& receiver, const StageView& v,
               const Roster& roster) {
  Stall st{.alert_id = s.id + "/" + hop + "/" + stage, .case_id = s.id, .hop = hop,
           .stage = stage, .sender = sender, .receiver = receiver};
  const StallSighting& x = *v.lead;
  st.level = x.step >= kStepOverdue ? "overdue" : "warning";
  st.due_ms = x.due_ms;
  st.overdue_by_ms = x.overdue_by_ms;
  st.seen_by = x.reporter;
  st.seen_ms = x.seen_ms;
  if (x.step >= kStepOverdue) {
    st.attribution = v.receiver_overdue ? "silent" : stage == "accept" ? "not_accepted" : "unreachable";
  }
  const auto chain = escalation_chain(sender, receiver, roster);
  if (!chain.empty()) {
    const std::size_t rung = x.step <= kStepOverdue ? 0 : x.step == kStepEscalatedTwice ? chain.size() - 1 : 1;
    st.escalated_to = chain[std::min(rung, chain.size() - 1)];
  }
  return st;
}

}  // namespace

std::vector<std::string> escalation_chain(const std::string& sender, const std::string& receiver,
                                          const Roster& roster) {
  std::vector<std::string> out;
  if (sender != receiver) out.push_back(sender);
  for (const auto& a : roster.ancestors_of(sender)) {
    if (a != receiver) out.push_back(a);
  }
  return out;
}

std::vector<Stall> fold_stalls(const CaseState& s, const Roster& roster) {
  std::vector<Stall> out;
  if (!s.exists || is_terminal(s.status)) return out;
  std::string current_attribution;
  const Hop* current = s.current_hop();
  for (const auto& h : s.hops) {
    const std::string stage = open_stage(h);
    if (stage.empty()) continue;
    const StageView v = view_of(s, h.id, stage, h.to);
    if (!v.lead) continue;
    out.push_back(stall_of(s, h.id, stage, h.from, h.to, v, roster));
    if (&h == current) current_attribution = out.back().attribution;
  }
  const bool paused = s.status == CaseStatus::kSupplementRequested;
  const StageView v = view_of(s, "", "case", s.holder);
  if (!paused && v.lead) {
    Stall st = stall_of(s, "", "case", s.receiving_node, s.holder, v, roster);
    if (st.level == "overdue") {
      st.attribution = current_attribution.empty() ? "silent" : current_attribution;
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace casesync
