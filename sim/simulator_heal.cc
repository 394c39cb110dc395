// Phase two: heal everything, wait until the district is quiet, then check every invariant.
// "Quiet" (every link up, nothing unacknowledged in any outbox) is a cheap test run often; the
// full check (invariants.h) runs only when the district is quiet and something changed since the
// last check that failed.
#include <set>

#include "sim/simulator.h"

namespace casesync::sim {

namespace {
constexpr std::uint64_t kConvergenceCheckMs = 250;
}  // namespace

void Simulator::heal() {
  phase_ = Phase::kHeal;
  heal_at_ms_ = now_;
  if (options_.log) *options_.log << "[" << now_ / 1000 << " s] heal: no more faults or clerks\n";
  net_.heal();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    disk_full_episodes_[i] = 0;
    nodes_[i]->store().memory().set_fail_commits(false);
    nodes_[i]->store().arm(0);
    if (i != 0) net_.link_of_child(i).cuts = net_.link_of_child(i).blackholes = 0;
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) restart(i);
  for (std::size_t i = 1; i < nodes_.size(); ++i) refresh_transport(i);
  agenda_.at(now_ + kConvergenceCheckMs, [this] { check_convergence(); });
  agenda_.at(now_ + options_.heal_bound_ms, [this] { phase_ = Phase::kDone; });
}

bool Simulator::quiescent(std::string* why) {
  for (auto& n : nodes_) {
    if (n->retired()) continue;
    if (!n->running()) {
      *why = n->id() + " is not running";
      return false;
    }
    if (n->core().restoring()) {
      *why = n->id() + " is still restoring: " + n->core().restore_waiting_for();
      return false;
    }
    for (const auto& l : n->core().links()) {
      if (l.state == LinkState::kUp && l.backlog_events == 0 && l.in_flight_batches == 0) continue;
      // A fallback link not in use (what waits there goes to the primary parent too, and is
      // delivered in its next session), or a revoked peer's with nothing left for it.
      if (l.is_fallback && l.state == LinkState::kDown) continue;
      if (book_.revoked(l.peer) && l.state == LinkState::kDown && l.backlog_events == 0) continue;
      *why = n->id() + " -> " + l.peer + ": link " + link_state_name(l.state) + ", " +
             std::to_string(l.backlog_events) + " events unacknowledged, " +
             std::to_string(l.in_flight_batches) + " batches in flight";
      return false;
    }
  }
  return true;
}

void Simulator::check_convergence() {
  if (phase_ != Phase::kHeal) return;
  agenda_.at(now_ + kConvergenceCheckMs, [this] { check_convergence(); });
  std::string why;
  if (!quiescent(&why)) return;
  std::uint64_t events = 0;
  // Policy versions count as movement too: a bundle may arrive after the last event did.
  for (auto& n : nodes_) events += n->store().memory().local_seq_high() + n->policy().version;
  if (events == events_at_failed_check_) return;  // nothing moved since the last failed check
  if (!check_world(snapshot()).empty()) {
    events_at_failed_check_ = events;
    return;
  }
  converged_ = true;
  converged_at_ms_ = now_;
  phase_ = Phase::kDone;
}

World Simulator::snapshot() {
  World w;
  w.roster = &book_.latest();
  w.equivocators = equivocators_;
  w.lost_seqs = lost_seqs_;
  w.ledger = &ledger_;
  w.observations = observations_;
  w.policy_version = policy_version_;
  if (hostile_) w.hostile = {nodes_[*hostile_]->id(), hostile_forged_, hostile_refusals_due_};
  const ClerkStats& clerks = clerks_.stats();
  for (const std::string& u : clerks.unexpected) w.observations.push_back({"author_error", "", u});
  if (clerks.refused) {
    // The clerk chose each action from its node's own folded view; the rules checked the same view.
    w.observations.push_back({"rules_vs_view", "",
                              std::to_string(clerks.refused) +
                                  " actions legal by the station's own view "
                                  "were refused; first: " +
                                  clerks.refusals[0]});
  }
  for (auto& n : nodes_) {
    NodeSnapshot s;
    s.id = n->id();
    s.running = n->running();
    s.retired = n->retired();
    s.events = n->store().events_after(0, SIZE_MAX).value();
    s.totals = n->totals();
    s.core = n->running() ? &n->core() : nullptr;
    s.policy = n->policy();
    if (auto named = security_named_.find(n->id()); named != security_named_.end()) {
      s.security_origins = named->second;
    }
    auto seq = n->store().get_meta("next_seq").value();  // durable, also for a dead node
    s.last_seq = seq ? std::stoull(*seq) - 1 : 0;
    w.nodes.push_back(std::move(s));
  }
  return w;
}

void Simulator::finish(RunResult* r) {
  r->seed = options_.seed;
  r->end_ms = now_;
  r->converged = converged_;
  r->convergence_ms = converged_ ? converged_at_ms_ - heal_at_ms_ : 0;
  trace_.mix_u64(r->convergence_ms);
  const World w = snapshot();
  mix_final_state(w);
  r->trace_hash = trace_.value();
  if (!converged_) r->violations = final_violations(w);
  fill_figures(w, r);
}

void Simulator::mix_final_state(const World& w) {
  for (const auto& n : w.nodes) {
    trace_.mix(n.id);
    trace_.mix_u64(n.events.size());
    for (const auto& e : n.events) {  // in the node's local order
      trace_.mix(std::string_view(reinterpret_cast<const char*>(e.hash.data()), e.hash.size()));
      trace_.mix(e.signature);
    }
  }
}

std::vector<Violation> Simulator::final_violations(const World& w) {
  std::vector<Violation> out = check_world(w);
  std::string why;
  if (!quiescent(&why)) {
    out.push_back(
        {"no_convergence", "", "",
         "not quiet " + std::to_string(options_.heal_bound_ms) + " ms after healing: " + why});
  } else if (out.empty()) {
    out.push_back({"no_convergence", "", "", "quiet, but converged only at the bound"});
  }
  return out;
}

void Simulator::fill_figures(const World& w, RunResult* r) {
  r->faults = counts_;
  r->profile = profile_;
  r->limits = limits_;
  r->clerks = clerks_.stats();
  r->events_total = w.nodes[0].events.size();
  std::set<std::string> cases;
  for (const auto& e : w.nodes[0].events) cases.insert(e.case_id);
  r->cases_total = cases.size();
  for (const auto& c : cases) {
    if (!nodes_[0]->running()) break;
    auto view = nodes_[0]->core().case_state(c);
    if (!view.is_ok()) continue;
    r->conflicts += view->conflicts.size();
    for (const auto& k : view->conflicts) r->conflicts_by_rule[k.rule]++;
  }
  r->frames_delivered = frames_delivered_;
  r->frames_lost = frames_lost_;
  r->restarts = restarts_;
  for (const auto& n : w.nodes) {
    for (const auto& [k, v] : n.totals.rejects) r->rejects[k] += v;
    for (const auto& [k, v] : n.totals.alerts) r->alerts[k] += v;
    // Not an episode: the caps the run's tiny limits made fire.
    r->faults[static_cast<std::size_t>(FaultKind::kOutboxCap)] += n.totals.outbox_caps;
  }
}

}  // namespace casesync::sim
