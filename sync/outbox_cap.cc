#include "sync/outbox_cap.h"

#include <algorithm>
#include <cstdlib>

#include "common/elapsed.h"
#include "sync/hlc.h"
#include "sync/rejoin.h"

namespace casesync {

namespace {
// The metadata key of a peer's mark: the first local_seq it may lack ("0": none).
std::string mark_key(const std::string& peer) { return "outbox_behind:" + peer; }
}  // namespace

const char* cap_breach_name(CapBreach breach) {
  switch (breach) {
    case CapBreach::kWithin: return "within";
    case CapBreach::kBytes: return "bytes";
    case CapBreach::kAge: return "age";
  }
  return "unknown";
}

CapBreach cap_breach(std::uint64_t pending_bytes, std::uint64_t oldest_pending_ms,
                     std::uint64_t wall_ms, const SyncLimits& limits) {
  if (pending_bytes > limits.outbox_bytes_max) return CapBreach::kBytes;
  // A writer's clock ahead of ours makes the entry look young: it is capped a little later.
  if (oldest_pending_ms != 0 && elapsed_ms(wall_ms, oldest_pending_ms) > limits.outbox_age_max_ms) {
    return CapBreach::kAge;
  }
  return CapBreach::kWithin;
}

Status OutboxCap::load() {
  for (const auto& [peer, l] : state_->links) {
    ASSIGN_OR_RETURN(auto mark, state_->store->get_meta(mark_key(peer)));
    const std::uint64_t from = mark ? std::strtoull(mark->c_str(), nullptr, 10) : 0;
    if (from != 0) behind_[peer] = from;
    note_link(peer);
  }
  return Status::ok();
}

void OutboxCap::note_link(const std::string& peer) {
  if (last_pos_at_start_.count(peer)) return;
  // Unreadable: nothing of this outbox is ever taken for never sent.
  auto os = state_->store->outbox_stats(peer, 0);
  last_pos_at_start_[peer] = os.is_ok() ? os->last_pos : UINT64_MAX;
}

std::optional<std::uint64_t> OutboxCap::behind_from(const std::string& peer) const {
  auto it = behind_.find(peer);
  if (it == behind_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> OutboxCap::perhaps_sent_through(const PeerLink& l) const {
  auto it = last_pos_at_start_.find(l.peer());
  if (it == last_pos_at_start_.end() || it->second == UINT64_MAX) return std::nullopt;
  return std::max({l.checkpoint().sent_acked_pos, it->second, l.max_sent_pos()});
}

void OutboxCap::tick(std::uint64_t now_ms) {
  if (last_check_ms_ != 0 && elapsed_ms(now_ms, last_check_ms_) < kCheckIntervalMs) return;
  last_check_ms_ = now_ms;
  for (auto& [peer, l] : state_->links) {
    // A peer that is up drains its outbox; a revoked one's is dropped whole elsewhere.
    const RosterNode* n = state_->roster.find(peer);
    if (l->state() != LinkState::kDown || !n || n->revoked) continue;
    if (Status st = check(*l); !st.is_ok()) {
      state_->commit_failed(st, "capping the outbox toward " + peer);
    }
  }
}

Status OutboxCap::check(PeerLink& l) {
  const std::string& peer = l.peer();
  const std::uint64_t acked = l.checkpoint().sent_acked_pos;
  ASSIGN_OR_RETURN(OutboxStats os, state_->store->outbox_stats(peer, acked));
  if (os.pending == 0) return Status::ok();
  ASSIGN_OR_RETURN(OutboxTail pending, state_->store->outbox_tail(peer, acked));
  const std::uint64_t oldest_ms =
      os.oldest_pending_hlc ? HybridClock::millis(os.oldest_pending_hlc) : 0;
  const CapBreach breach = cap_breach(pending.bytes, oldest_ms, state_->time.wall_ms(), state_->limits);
  const std::optional<std::uint64_t> keep = perhaps_sent_through(l);
  if (breach == CapBreach::kWithin || !keep || *keep >= os.last_pos) return Status::ok();
  RETURN_IF_ERROR(state_->store->begin());
  std::uint64_t dropped = 0, from = 0;
  Status st = drop_after(peer, *keep, &dropped, &from);
  if (st.is_ok()) st = state_->store->commit();
  if (!st.is_ok()) {
    state_->store->rollback();
    return st;
  }
  if (dropped == 0) return Status::ok();
  behind_[peer] = from;
  PeerCounters& pc = state_->counters.peers[peer];
  pc.outbox_caps++;
  pc.outbox_dropped_events += dropped;
  state_->alert(AlertKind::kPeerDown, peer,
                "the outbox toward " + peer + " passed its cap (" + cap_breach_name(breach) +
                    ": " + std::to_string(pending.bytes) + " bytes, " +
                    std::to_string(os.pending) + " events not acknowledged); " +
                    std::to_string(dropped) + " queued events dropped, " + peer +
                    " gets a catch-up re-send when it returns (sync.outbox_bytes_max, "
                    "sync.outbox_age_max_ms)");
  return Status::ok();
}

Status OutboxCap::drop_after(const std::string& peer, std::uint64_t keep, std::uint64_t* dropped,
                             std::uint64_t* from) {
  ASSIGN_OR_RETURN(OutboxTail tail, state_->store->outbox_tail(peer, keep));
  *dropped = tail.events;
  *from = behind_from(peer).value_or(UINT64_MAX);
  if (tail.events != 0) *from = std::min(*from, tail.min_local_seq);
  if (*from == UINT64_MAX) return Status::ok();  // nothing dropped now or before
  RETURN_IF_ERROR(state_->store->truncate_outbox(peer, keep));
  return state_->store->put_meta(mark_key(peer), std::to_string(*from));
}

Status OutboxCap::catch_up(PeerLink& l, std::string* what) {
  const std::string peer = l.peer();
  RETURN_IF_ERROR(state_->store->begin());
  std::uint64_t dropped = 0, from = 0, enqueued = 0;
  Status st = Status::ok();
  auto os = state_->store->outbox_stats(peer, 0);
  if (!os.is_ok()) st = os.status();
  // Never past the last position: a rejoin since start() may have moved it back, and a tail
  // cut beyond it would leave a gap in the feed.
  if (st.is_ok()) {
    const std::uint64_t keep = std::min(perhaps_sent_through(l).value_or(os->last_pos), os->last_pos);
    st = drop_after(peer, keep, &dropped, &from);
  }
  if (st.is_ok()) st = enqueue_since(*state_, peer, from, &enqueued);
  if (st.is_ok()) st = state_->store->put_meta(mark_key(peer), "0");
  if (st.is_ok()) st = state_->store->commit();
  if (!st.is_ok()) {
    state_->store->rollback();
    return st;
  }
  behind_.erase(peer);
  state_->counters.peers[peer].catch_up_events += enqueued;
  *what = peer + " is back after its outbox was capped: " + std::to_string(enqueued) +
          " events it may lack (ours from local position " + std::to_string(from) +
          " on, their cases whole) queued for it again";
  return Status::ok();
}

Status OutboxCap::forget(const std::string& peer) {
  if (!behind_.count(peer)) return Status::ok();
  RETURN_IF_ERROR(state_->store->begin());
  Status st = state_->store->put_meta(mark_key(peer), "0");
  if (st.is_ok()) st = state_->store->commit();
  if (!st.is_ok()) {
    state_->store->rollback();
    return st;
  }
  behind_.erase(peer);
  return Status::ok();
}

}  // namespace casesync
