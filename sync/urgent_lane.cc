#include "sync/urgent_lane.h"

#include "common/elapsed.h"
#include "sync/case_kinds.h"

namespace casesync {

bool UrgentLane::is_urgent_kind(std::string_view kind) {
  return kind == kinds::kForwarded || kind == kinds::kDelivered || kind == kinds::kAccepted ||
         kind == kinds::kReplied || kind == kinds::kReturned ||
         kind == kinds::kSupplementRequested;
}

void UrgentLane::queue(const std::string& peer, const EventRecord& r) {
  PeerLink* l = state_->link(peer);
  if (!l || l->state() != LinkState::kUp || !is_urgent_kind(r.kind)) return;
  Queue& q = queues_[peer];
  if (q.pending.size() < kPendingMax) q.pending.emplace_back(r.origin, r.seq);
}

void UrgentLane::rebuild(PeerLink& l) {
  Queue& q = queues_[l.peer()];
  q = Queue{};
  std::size_t scanned = 0;
  // A read error leaves the list short: the feed still carries everything.
  (void)feed_->scan(l.peer(), l.checkpoint().sent_acked_pos, [&](const OutboxItem& it) {
    if (is_urgent_kind(it.event.kind)) q.pending.emplace_back(it.event.origin, it.event.seq);
    return ++scanned < kScanMax && q.pending.size() < kPendingMax;
  });
}

void UrgentLane::confirm(Queue& q) {
  q.pending.erase(q.pending.begin(), q.pending.begin() + static_cast<std::ptrdiff_t>(q.count));
  q.token = 0;
  q.count = 0;
  q.sent_ms = 0;
}

void UrgentLane::pump(PeerLink& l, std::uint64_t now_ms) {
  if (l.state() != LinkState::kUp) return;
  Queue& q = queues_[l.peer()];
  if (q.token != 0 && elapsed_ms(now_ms, q.sent_ms) < l.rto_ms()) return;
  if (q.token == 0) {
    if (q.pending.empty()) return;
    q.token = next_token_++;
    q.count = std::min<std::size_t>(q.pending.size(), kEventsPerMessage);
  }
  UrgentMsg m{q.token, {}};
  for (std::size_t i = 0; i < q.count; ++i) {
    auto r = state_->store->get_event(q.pending[i].first, q.pending[i].second);
    if (r.is_ok() && r->has_value()) {
      m.events.push_back({(*r)->origin, (*r)->signed_bytes, (*r)->signature});
    }
  }
  if (m.events.empty()) return confirm(q);  // nothing readable: the feed carries them
  PeerCounters& pc = state_->counters.peers[l.peer()];
  if (q.sent_ms != 0) pc.batches_resent++;
  q.sent_ms = now_ms;
  pc.urgent_out += m.events.size();
  state_->send(l.peer(), m, now_ms);
}

void UrgentLane::on_ack(PeerLink& l, const UrgentAckMsg& m) {
  Queue& q = queues_[l.peer()];
  if (m.token == 0 || m.token != q.token) return;  // a late duplicate
  confirm(q);
}

}  // namespace casesync
