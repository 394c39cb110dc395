#include "sync/peer_link.h"

#include <algorithm>
#include <cassert>

#include "common/elapsed.h"

namespace casesync {

const char* link_state_name(LinkState state) {
  switch (state) {
    case LinkState::kDown: return "down";
    case LinkState::kUp: return "up";
  }
  return "unknown";
}

PeerLink::PeerLink(std::string peer, const SyncLimits& limits, PeerCheckpoint checkpoint)
    : peer_(std::move(peer)), limits_(limits), checkpoint_(checkpoint) {
  next_send_pos_ = checkpoint_.sent_acked_pos + 1;
}

void PeerLink::on_hello(std::uint64_t peer_applied_pos, std::uint64_t now_ms) {
  // The peer's word is durable truth about what it applied (SyncNode bounds it by what our
  // outbox ever held); our own record may lag behind it (a lost ack). A Hello saying less than
  // we know was acknowledged is a delayed one: a restored peer is rewound by rewind_sent() first.
  if (peer_applied_pos > checkpoint_.sent_acked_pos) {
    checkpoint_.sent_acked_pos = peer_applied_pos;
    ack_dirty_ = true;
  }
  next_send_pos_ = checkpoint_.sent_acked_pos + 1;
  in_flight_.clear();
  state_ = LinkState::kUp;
  last_heard_ms_ = now_ms;
}

void PeerLink::on_sent(std::uint64_t /*bytes*/, std::uint64_t now_ms) { last_sent_ms_ = now_ms; }

bool PeerLink::check_timeout(std::uint64_t now_ms) {
  if (state_ != LinkState::kUp) return false;
  if (elapsed_ms(now_ms, last_heard_ms_) <= limits_.peer_timeout_ms) return false;
  set_down();
  return true;
}

void PeerLink::set_down() {
  state_ = LinkState::kDown;
  in_flight_.clear();
  next_send_pos_ = checkpoint_.sent_acked_pos + 1;
}

bool PeerLink::heartbeat_due(std::uint64_t now_ms) const {
  return state_ == LinkState::kUp && elapsed_ms(now_ms, last_sent_ms_) >= limits_.heartbeat_interval_ms;
}

bool PeerLink::hello_due(std::uint64_t now_ms) const {
  return state_ == LinkState::kDown &&
         (last_hello_ms_ == 0 || elapsed_ms(now_ms, last_hello_ms_) >= limits_.heartbeat_interval_ms);
}

bool PeerLink::window_open() const {
  return state_ == LinkState::kUp && in_flight_.size() < limits_.window_batches_max;
}

void PeerLink::on_batch_sent(std::uint64_t first, std::uint64_t last, std::uint64_t bytes,
                             std::uint64_t now_ms) {
  assert(first == next_send_pos_ && "batches are sent in position order");
  assert(last >= first);
  in_flight_.push_back({.first_pos = first, .last_pos = last, .sent_ms = now_ms, .bytes = bytes});
  next_send_pos_ = last + 1;
  last_sent_ms_ = now_ms;
}

PeerLink::AckResult PeerLink::on_ack(std::uint64_t applied_pos, std::uint64_t now_ms) {
  if (applied_pos > highest_sent_pos()) return AckResult::kBeyondSent;
  if (applied_pos <= checkpoint_.sent_acked_pos) {
    // A duplicate ack while batches are out means the peer saw a later batch but not the next
    // one it needs: resend that one now rather than wait for its timer.
    if (applied_pos == checkpoint_.sent_acked_pos && !in_flight_.empty() &&
        in_flight_.front().first_pos == applied_pos + 1 && !in_flight_.front().fast_resent &&
        in_flight_.size() > 1) {
      in_flight_.front().fast_resent = true;
      in_flight_.front().sent_ms = 0;  // due now
    }
    return AckResult::kNoChange;
  }
  checkpoint_.sent_acked_pos = applied_pos;
  ack_dirty_ = true;
  while (!in_flight_.empty() && in_flight_.front().last_pos <= applied_pos) {
    const InFlightBatch& b = in_flight_.front();
    if (b.sends == 1 && now_ms >= b.sent_ms) {  // Karn: only unambiguous samples
      std::uint64_t sample = now_ms - b.sent_ms;
      srtt_ms_ = srtt_ms_ == 0 ? sample : (7 * srtt_ms_ + sample) / 8;
    }
    in_flight_.pop_front();
  }
  return AckResult::kAdvanced;
}

void PeerLink::rewind_sent(std::uint64_t pos) {
  checkpoint_.sent_acked_pos = pos;
  next_send_pos_ = pos + 1;
  in_flight_.clear();
  ack_dirty_ = true;
}

std::deque<InFlightBatch*> PeerLink::due_resends(std::uint64_t now_ms) {
  std::deque<InFlightBatch*> out;
  if (state_ != LinkState::kUp) return out;
  for (auto& b : in_flight_) {
    if (b.sent_ms == 0 || elapsed_ms(now_ms, b.sent_ms) >= limits_.resend_timeout_ms) out.push_back(&b);
  }
  return out;
}

void PeerLink::on_resent(InFlightBatch* batch, std::uint64_t now_ms) {
  batch->sent_ms = now_ms;
  batch->sends++;
  resent_batches_++;
  last_sent_ms_ = now_ms;
}

BatchVerdict PeerLink::classify(const BatchMsg& batch) const {
  const std::uint64_t applied = checkpoint_.recv_applied_pos;
  if (batch.last_pos() <= applied) return BatchVerdict::kDuplicate;
  if (batch.first_pos > applied + 1) return BatchVerdict::kBufferAhead;
  return BatchVerdict::kApplyNow;
}

bool PeerLink::buffer_ahead(BatchMsg batch) {
  if (ahead_.size() >= kAheadBatchesMax) return false;
  ahead_.emplace(batch.first_pos, std::move(batch));
  return true;
}

bool PeerLink::take_next_buffered(BatchMsg* out) {
  const std::uint64_t applied = checkpoint_.recv_applied_pos;
  // Drop what is now fully applied, then take the batch that continues the feed.
  while (!ahead_.empty() && ahead_.begin()->second.last_pos() <= applied) {
    ahead_.erase(ahead_.begin());
  }
  if (ahead_.empty() || ahead_.begin()->first > applied + 1) return false;
  *out = std::move(ahead_.begin()->second);
  ahead_.erase(ahead_.begin());
  return true;
}

}  // namespace casesync
