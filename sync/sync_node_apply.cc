// SyncNode: events arriving from peers — batches of the positional feed and urgent messages
// ahead of it — each given Admission's verdict and applied in one ApplyTxn.
#include <algorithm>

#include "sync/apply_txn.h"
#include "sync/check.h"
#include "sync/routing.h"
#include "sync/sync_node.h"

namespace casesync {

namespace {
constexpr std::uint64_t kUnsolicitedToken = 0;  // an Urgent that expects no confirmation
}  // namespace

void SyncNode::handle_batch(PeerLink& l, BatchMsg batch, std::uint64_t now_ms) {
  if (batch.epoch != l.checkpoint().peer_epoch || batch.your_epoch != state_.id.epoch) {
    // Counted in positions of before a restore one of us has not caught up with yet.
    return state_.refuse(l.peer(), "stale_batch", /*peer_at_fault=*/false);
  }
  switch (l.classify(batch)) {
    case BatchVerdict::kDuplicate:
      break;
    case BatchVerdict::kBufferAhead: {
      // Kept only when every signature holds: memory waits for signed events, not for garbage
      // (a batch that fails is judged event by event when it comes in order).
      const std::vector<bool> verified = admission_.verify(batch.events, 0);
      if (std::find(verified.begin(), verified.end(), false) != verified.end()) break;
      // A sender keeps at most its window in flight, within the buffer's bounds, and this side
      // clears the buffer when the link goes down: overflow is a peer pushing past its window
      // (issue 25: a child filled 1 GB of its parent's memory), counted toward a ban.
      if (!l.buffer_ahead(std::move(batch))) state_.refuse(l.peer(), "ahead_buffer_full");
      break;
    }
    case BatchVerdict::kApplyNow: {
      Status st = apply_batch(l, batch, now_ms);
      BatchMsg next;
      while (st.is_ok() && l.take_next_buffered(&next)) st = apply_batch(l, next, now_ms);
      // A failed commit acknowledges nothing new; a held event acknowledges what came before it.
      if (!st.is_ok() && st.code() != Code::kUnavailable) return;
      break;
    }
  }
  state_.send(l.peer(), AckMsg{l.checkpoint().recv_applied_pos}, now_ms);
}

// Applies the new positions of `batch` up to the first event held back. Returns kUnavailable
// when one was (what came before it is applied and acknowledged), a commit failure as is.
Status SyncNode::apply_batch(PeerLink& l, const BatchMsg& batch, std::uint64_t now_ms) {
  const std::uint64_t applied = l.checkpoint().recv_applied_pos;
  CASESYNC_CHECK(batch.first_pos <= applied + 1 && batch.last_pos() > applied,
                 "apply_batch gets a batch that continues the feed");
  const std::size_t first_new = applied + 1 - batch.first_pos;
  const std::vector<bool> verified = admission_.verify(batch.events, first_new);
  ApplyTxn txn(&state_);
  RETURN_IF_ERROR(txn.begun());
  std::vector<Event> forwards_to_me;
  std::uint64_t last_good = applied;
  bool held = false;
  Status st;
  for (std::uint64_t pos = applied + 1; st.is_ok() && pos <= batch.last_pos(); ++pos) {
    const std::size_t i = pos - batch.first_pos;
    Judged j = admission_.open(batch.events[i], verified[i - first_new]);
    if (j.verdict == AdmitVerdict::kStore) {
      auto judged = admission_.judge(std::move(j));
      if (!judged.is_ok()) {
        st = judged.status();
        break;
      }
      j = std::move(judged).value();
    }
    note_verdict(l.peer(), j, /*feed=*/true, now_ms);
    if (j.verdict == AdmitVerdict::kHold) {
      held = true;
      break;
    }
    st = apply_one(l.peer(), j, &forwards_to_me);
    if (st.is_ok()) last_good = pos;
  }
  // The receipt commits with the forward: the case is never durably here without its receipt.
  if (st.is_ok()) st = sign_delivery_receipts(forwards_to_me, now_ms);
  if (st.is_ok() && !evidence_.all().empty()) st = settle_all();  // a winner's past may be here now
  PeerCheckpoint cp = l.checkpoint();
  cp.recv_applied_pos = last_good;
  if (st.is_ok()) st = state_.store->save_checkpoint(l.peer(), cp);
  if (st.is_ok()) st = txn.commit("a batch from " + l.peer());
  if (!st.is_ok()) {
    txn.rollback(st, "a batch from " + l.peer());
    return st;
  }
  CASESYNC_CHECK(last_good >= applied, "applied positions only grow");
  l.on_applied(last_good);
  state_.counters.peers[l.peer()].events_in += last_good - applied;
  if (!held) holding_.erase(l.peer());
  if (held) return Status::error(Code::kUnavailable, "the feed from " + l.peer() + " waits on a held event");
  return Status::ok();
}

// Urgent events are applied at once, ahead of the feed, only on top of their whole past (a node
// must never hold an event without its ancestors: simulator finding F8); whatever is left, the
// feed brings in order. A failed commit acknowledges nothing.
void SyncNode::handle_urgent(PeerLink& l, const UrgentMsg& m, std::uint64_t now_ms) {
  const std::vector<bool> verified = admission_.verify(m.events, 0);
  const std::uint64_t applied_before = state_.counters.events_applied;
  ApplyTxn txn(&state_);
  if (!txn.begun().is_ok()) return;
  std::vector<Event> forwards_to_me;
  Status st;
  for (std::size_t i = 0; st.is_ok() && i < m.events.size(); ++i) {
    Judged j = admission_.open(m.events[i], verified[i]);
    if (j.verdict == AdmitVerdict::kStore) {
      auto judged = admission_.judge(std::move(j));
      if (!judged.is_ok()) {
        st = judged.status();
        break;
      }
      j = std::move(judged).value();
    }
    if (j.verdict == AdmitVerdict::kHold && j.reason == "missing_parent") {
      state_.counters.peers[l.peer()].urgent_deferred++;  // the feed brings it after its past
      continue;
    }
    note_verdict(l.peer(), j, /*feed=*/false, now_ms);
    if (j.verdict != AdmitVerdict::kHold) st = apply_one(l.peer(), j, &forwards_to_me);
  }
  if (st.is_ok()) st = sign_delivery_receipts(forwards_to_me, now_ms);
  if (st.is_ok() && !evidence_.all().empty()) st = settle_all();
  if (st.is_ok()) st = txn.commit("urgent events from " + l.peer());
  if (!st.is_ok()) return txn.rollback(st, "urgent events from " + l.peer());
  state_.counters.peers[l.peer()].urgent_in += state_.counters.events_applied - applied_before;
  if (m.token != kUnsolicitedToken) state_.send(l.peer(), UrgentAckMsg{m.token}, now_ms);
}

Status SyncNode::apply_one(const std::string& peer, Judged& j, std::vector<Event>* forwards_to_me) {
  switch (j.verdict) {
    case AdmitVerdict::kHold:
      CASESYNC_CHECK(false, "a held event is not applied");
    case AdmitVerdict::kRefuse:
      return Status::ok();  // acknowledged, never stored: every node refuses it the same way
    case AdmitVerdict::kEquivocate: {
      ASSIGN_OR_RETURN(auto held, state_.store->get_event(j.record.origin, j.record.seq));
      CASESYNC_CHECK(held.has_value(), "an equivocation is against a held event");
      return on_equivocation(peer, *held, j);
    }
    case AdmitVerdict::kStore:
      break;
  }
  const std::uint64_t wall = state_.time.wall_ms();
  if (HybridClock::millis(j.event.hlc) <= wall + kClockMergeAheadMaxMs) {
    state_.id.clock.observe(j.event.hlc, wall);
  }
  const std::uint64_t before = state_.counters.events_applied;
  RETURN_IF_ERROR(store_and_route(j.record, j.event, peer));
  if (state_.counters.events_applied > before && j.event.kind == kForwardKind &&
      j.event.field("to") == state_.self) {
    forwards_to_me->push_back(j.event);
  }
  return Status::ok();
}

void SyncNode::note_verdict(const std::string& peer, const Judged& j, bool feed, std::uint64_t now_ms) {
  switch (j.verdict) {
    case AdmitVerdict::kStore:
    case AdmitVerdict::kEquivocate:
      return;
    case AdmitVerdict::kRefuse:
      if (j.reason == "equivocation_ahead") return state_.counters.hold(peer, j.reason);
      state_.refuse(peer, j.reason);
      if (j.reason == "unauthorized") {
        // Signed by its origin and refused on every node alike: the origin's key did it.
        return state_.alert(AlertKind::kSecurity, peer, j.detail, j.record.origin);
      }
      state_.alert(AlertKind::kBadInput, peer, j.detail);
      return;
    case AdmitVerdict::kHold:
      break;
  }
  state_.counters.hold(peer, j.reason);
  // A bad signature or an unknown origin from a peer whose roster is not newer than ours cannot
  // be our roster's lag: it is also refused input, counted against the peer (and so a security
  // finding in health, and toward a ban).
  const bool roster_lag = roster_gossip_.peer_version(peer) > state_.roster.version;
  if ((j.reason == "bad_signature" || j.reason == "unknown_origin") && !roster_lag) {
    state_.refuse(peer, j.reason);
  }
  if (j.reason == "key_in_use_elsewhere") state_.alert(AlertKind::kSecurity, peer, j.detail, state_.self);
  if (j.reason == "chain_conflict") {
    state_.alert(AlertKind::kSecurity, peer, j.detail, j.record.origin);
    // Our version of the seq it contradicts goes to the peer: where both meet, the evidence is
    // made and every node resolves the same way.
    auto ours = state_.store->get_event(j.record.origin, j.event.seq - 1);
    if (ours.is_ok() && ours->has_value()) {
      UrgentMsg u{kUnsolicitedToken, {{(*ours)->origin, (*ours)->signed_bytes, (*ours)->signature}}};
      state_.send(peer, u, now_ms);
    }
  }
  if (!feed) return;
  Holding& h = holding_[peer];
  if (h.reason != j.reason || h.detail != j.detail) h = {j.reason, j.detail, now_ms, false};
}

}  // namespace casesync
