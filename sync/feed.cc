#include "sync/feed.h"

#include "sync/check.h"
#include "sync/limits.h"

namespace casesync {

Status Feed::scan(const std::string& peer, std::uint64_t after,
                  const std::function<bool(const OutboxItem&)>& visit) {
  constexpr std::size_t kPageItems = 4096;
  while (true) {
    ASSIGN_OR_RETURN(auto page, state_->store->read_outbox(peer, after, kPageItems, SIZE_MAX));
    if (page.empty()) return Status::ok();
    for (const auto& it : page) {
      if (!visit(it)) return Status::ok();
    }
    after = page.back().pos;
  }
}

Status Feed::drop(PeerLink& l) {
  ASSIGN_OR_RETURN(OutboxStats os, state_->store->outbox_stats(l.peer(), 0));
  RETURN_IF_ERROR(state_->store->reset_outbox(l.peer(), os.last_pos + 1));
  l.rewind_sent(os.last_pos);
  return state_->store->save_checkpoint(l.peer(), l.checkpoint());
}

void Feed::read_failed(const std::string& peer, const Status& st) {
  if (!read_failing_.insert(peer).second) return;
  state_->alert(AlertKind::kDiskTrouble, peer,
                "cannot read the outbox toward " + peer + " (" + st.to_string() +
                    "); the link waits and retries every tick");
}

Result<BatchMsg> Feed::read_batch(PeerLink& l, std::uint64_t after, std::size_t items,
                                  std::size_t bytes, std::uint64_t* event_bytes) {
  ASSIGN_OR_RETURN(auto read, state_->store->read_outbox(l.peer(), after, items, bytes));
  read_failing_.erase(l.peer());
  BatchMsg b;
  if (read.empty()) return b;
  CASESYNC_CHECK(read.front().pos == after + 1, "outbox positions are contiguous");
  b.first_pos = read.front().pos;
  b.epoch = state_->id.epoch;
  b.your_epoch = l.checkpoint().peer_epoch;
  *event_bytes = 0;
  for (auto& it : read) {
    *event_bytes += it.event.signed_bytes.size();
    b.events.push_back({it.event.origin, std::move(it.event.signed_bytes),
                        std::move(it.event.signature)});
  }
  return b;
}

void Feed::pump(PeerLink& l, std::uint64_t now_ms) {
  while (l.window_open()) {
    std::uint64_t bytes = 0;
    auto b = read_batch(l, l.next_send_pos() - 1, state_->limits.batch_events_max,
                        l.batch_bytes_target(), &bytes);
    if (!b.is_ok()) return read_failed(l.peer(), b.status());
    if (b->events.empty()) return;
    const std::uint64_t last = b->last_pos();
    // Positions sent before (the link broke, the peer was restored) go again: count them.
    std::uint64_t again = 0;
    for (std::uint64_t pos = b->first_pos; pos <= last && l.sent_before(pos); ++pos) again++;
    PeerCounters& pc = state_->counters.peers[l.peer()];
    pc.events_out += b->events.size();
    const std::uint64_t out_before = pc.bytes_out, events = b->events.size(), first = b->first_pos;
    state_->send(l.peer(), *b, now_ms);
    if (again) {
      pc.batches_resent++;
      pc.bytes_resent += (pc.bytes_out - out_before) * again / events;
    }
    l.on_batch_sent(first, last, bytes, now_ms);
  }
}

void Feed::resend_due(PeerLink& l, std::uint64_t now_ms) {
  for (InFlightBatch* b : l.due_resends(now_ms)) {
    std::uint64_t bytes = 0;
    auto m = read_batch(l, b->first_pos - 1,
                        static_cast<std::size_t>(b->last_pos - b->first_pos + 1),
                        limits::kBatchBytesMax, &bytes);
    if (!m.is_ok()) return read_failed(l.peer(), m.status());
    CASESYNC_CHECK(!m->events.empty(), "a batch in flight is still in the outbox");
    PeerCounters& pc = state_->counters.peers[l.peer()];
    const std::uint64_t out_before = pc.bytes_out;
    pc.batches_resent++;
    state_->send(l.peer(), *m, now_ms);
    pc.bytes_resent += pc.bytes_out - out_before;
    l.on_resent(b, now_ms);
  }
}

void Feed::persist_acks() {
  bool dirty = false;
  for (auto& [peer, l] : state_->links) dirty |= l->ack_dirty();
  if (!dirty) return;
  Status st = state_->store->begin();
  for (auto it = state_->links.begin(); st.is_ok() && it != state_->links.end(); ++it) {
    PeerLink& l = *it->second;
    if (!l.ack_dirty()) continue;
    st = state_->store->save_checkpoint(l.peer(), l.checkpoint());
    // Acknowledged entries stay a while, to re-send to the peer if it is restored from a backup.
    const std::uint64_t acked = l.checkpoint().sent_acked_pos;
    if (st.is_ok() && acked > state_->limits.outbox_retain_events) {
      st = state_->store->trim_outbox(l.peer(), acked - state_->limits.outbox_retain_events);
    }
  }
  if (st.is_ok()) st = state_->store->commit();
  if (!st.is_ok()) {
    state_->store->rollback();
    return;  // acks are re-learned from the peer's next Hello or heartbeat: nothing is lost
  }
  for (auto& [peer, l] : state_->links) l->clear_ack_dirty();
}

}  // namespace casesync
