#include "sync/health_reporter.h"

#include "common/elapsed.h"

namespace casesync {

HealthReport HealthReporter::own(std::uint64_t now_ms) {
  HealthReport r;
  r.node = state_->self;
  r.software_version = software_version_;
  r.generated_ms = state_->time.wall_ms();
  // A fresh timestamp: the book orders one node's reports by it (its wall clock may step back).
  r.hlc = state_->id.clock.now(state_->time.wall_ms());
  r.uptime_s = elapsed_ms(now_ms, started_ms_) / 1000;
  if (auto st = state_->store->stats(); st.is_ok()) {
    r.db_bytes = st->db_bytes;
    r.wal_bytes = st->wal_bytes;
    r.events = st->event_count;
  }
  const NodeCounters& c = state_->counters;
  std::uint64_t in = 0, out = 0, bin = 0, bout = 0;
  for (const auto& [p, pc] : c.peers) {
    in += pc.events_in, out += pc.events_out, bin += pc.bytes_in, bout += pc.bytes_out;
  }
  r.counters = {{"events_authored", c.events_authored}, {"events_applied", c.events_applied},
                {"events_in", in}, {"events_out", out}, {"bytes_in", bin}, {"bytes_out", bout},
                {"equivocations", c.equivocations}, {"commit_failures", c.commit_failures}};
  r.rejects = c.rejects;
  r.stalled_hops = stalled_hops_;
  r.disk_trouble = state_->disk_trouble;
  r.warnings = warnings_;
  fill_(r, now_ms);
  return r;
}

void HealthReporter::tick(const std::string& parent, std::uint64_t now_ms) {
  if (last_ms_ != 0 && elapsed_ms(now_ms, last_ms_) < interval_ms_) return;
  last_ms_ = now_ms;
  HealthReport r = own(now_ms);
  book_.record(r, now_ms);
  if (parent.empty()) return;
  PeerLink* p = state_->link(parent);
  if (!p || p->state() != LinkState::kUp) return;  // the next interval will carry a fresh one
  SignedHealth s = sign_health(r, *state_->secret);
  state_->send(parent, HealthMsg{s.origin, std::move(s.report), std::move(s.signature)}, now_ms);
}

void HealthReporter::received(PeerLink& from, const HealthMsg& m, const std::string& parent,
                              std::uint64_t now_ms) {
  // A child may only speak for its own subtree.
  const RosterNode* origin = state_->roster.find(m.origin);
  if (!origin || !state_->roster.in_subtree(m.origin, from.peer())) {
    state_->refuse(from.peer(), "health_outside_subtree");
    return;
  }
  auto report = open_health({m.origin, m.report, m.signature}, origin->sign_public_key);
  if (!report.is_ok()) {
    state_->refuse(from.peer(), "bad_health_report");
    state_->alert(AlertKind::kBadInput, from.peer(), report.status().message());
    return;
  }
  if (!book_.record(std::move(report).value(), now_ms)) return;  // stale or duplicate
  if (parent.empty()) return;
  PeerLink* p = state_->link(parent);
  if (p && p->state() == LinkState::kUp) state_->send(parent, m, now_ms);
}

std::optional<std::uint64_t> HealthReporter::in_step_at(const std::string& node) const {
  if (auto at = book_.in_step_at(node, state_->self, state_->roster)) return at;
  // Our parent does not report to us; our link to it is the evidence we have.
  if (node == state_->tree.parent) {
    auto it = state_->links.find(node);
    if (it != state_->links.end() && it->second->state() == LinkState::kUp) {
      return it->second->last_heard_ms();
    }
  }
  return std::nullopt;
}

}  // namespace casesync
