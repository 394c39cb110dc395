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
  in_flight_bytes_ = 0;
  state_ = LinkState::kUp;
  last_heard_ms_ = now_ms;
  hello_attempts_ = 0;
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
  in_flight_bytes_ = 0;
  // The peer resends from our acknowledged position on the next session, perhaps cut into
  // other batches: what waited ahead of the gap is stale, and kept it would hold memory for good.
  ahead_.clear();
  ahead_bytes_ = 0;
  hello_attempts_ = 0;
  next_send_pos_ = checkpoint_.sent_acked_pos + 1;
}

bool PeerLink::heartbeat_due(std::uint64_t now_ms) const {
  return state_ == LinkState::kUp && elapsed_ms(now_ms, last_sent_ms_) >= limits_.heartbeat_interval_ms;
}

bool PeerLink::hello_due(std::uint64_t now_ms) const {
  if (state_ != LinkState::kDown) return false;
  if (last_hello_ms_ == 0 || hello_attempts_ == 0) return true;
  // Capped exponential backoff with jitter: 1, 2, 4, 8 heartbeat intervals (at most
  // kHelloBackoffMaxMs), each shortened by up to a quarter so many children that lost their
  // parent at once do not all knock again in the same instant.
  std::uint64_t backoff = std::uint64_t{limits_.heartbeat_interval_ms}
                          << std::min<std::uint32_t>(hello_attempts_ - 1, 3);
  backoff = std::max<std::uint64_t>(limits_.heartbeat_interval_ms,
                                    std::min(backoff, kHelloBackoffMaxMs));
  const std::uint64_t wait = backoff - backoff * hello_jitter_ / 4000;
  return elapsed_ms(now_ms, last_hello_ms_) >= wait;
}

void PeerLink::on_hello_sent(std::uint64_t now_ms, std::uint32_t jitter) {
  last_hello_ms_ = now_ms;
  if (state_ == LinkState::kDown) hello_attempts_++;
  hello_jitter_ = jitter % 1000;
}

std::uint64_t PeerLink::delivery_rate_bps() const {
  std::uint64_t best = 0;
  for (const auto& [ms, rate] : rate_samples_) best = std::max(best, rate);
  return best;
}

std::uint64_t PeerLink::batch_bytes_target() const {
  const std::uint64_t rate = delivery_rate_bps();
  const std::uint64_t target = rate == 0 ? kBatchBytesInitial : rate * kBatchAirtimeMs / 1000;
  return std::clamp<std::uint64_t>(target, std::min<std::uint64_t>(kBatchBytesMin, limits_.batch_bytes_max),
                                   limits_.batch_bytes_max);
}

std::uint64_t PeerLink::window_bytes() const {
  // Before the first measurement one batch only: on a 64 kbit/s link a full first window would
  // outlast the resend timer, and every sample would then be discarded (Karn) for good.
  if (delivery_rate_bps() == 0) return batch_bytes_target();
  const std::uint64_t bdp = delivery_rate_bps() * min_rtt_ms_ / 1000;
  return bdp + kHeadroomBatches * batch_bytes_target();
}

std::uint64_t PeerLink::rto_ms() const {
  std::uint64_t base = limits_.resend_timeout_ms;
  if (srtt_ms_ != 0) base = std::max<std::uint64_t>(base, srtt_ms_ + 4 * rttvar_ms_);
  return base;
}

// Each batch backs off on its own: one sent n times waits rto << (n - 1) (at most kRtoMaxMs)
// before the next try, so a batch resent too early on a slow link is not resent again and
// again, while a batch lost on a lossy link is retried at the plain timer whatever happens to
// the batches around it.
std::uint64_t PeerLink::batch_timeout_ms(const InFlightBatch& b) const {
  const std::uint64_t base = rto_ms();
  const std::uint64_t backed_off = base << std::min<std::uint32_t>(b.sends - 1, 6);
  return std::max(base, std::min(backed_off, kRtoMaxMs));
}

bool PeerLink::window_open() const {
  if (state_ != LinkState::kUp || in_flight_.size() >= limits_.window_batches_max) return false;
  return in_flight_.empty() || in_flight_bytes_ < window_bytes();
}

void PeerLink::on_batch_sent(std::uint64_t first, std::uint64_t last, std::uint64_t bytes,
                             std::uint64_t now_ms) {
  assert(first == next_send_pos_ && "batches are sent in position order");
  assert(last >= first);
  in_flight_.push_back({.first_pos = first,
                        .last_pos = last,
                        .sent_ms = now_ms,
                        .bytes = bytes,
                        .delivered_at_send = delivered_bytes_,
                        .delivered_ms_at_send =
                            in_flight_.empty() || delivered_ms_ == 0 ? now_ms : delivered_ms_});
  in_flight_bytes_ += bytes;
  next_send_pos_ = last + 1;
  max_sent_pos_ = std::max(max_sent_pos_, last);
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
  last_ack_ms_ = now_ms;
  while (!in_flight_.empty() && in_flight_.front().last_pos <= applied_pos) {
    const InFlightBatch& b = in_flight_.front();
    in_flight_bytes_ -= std::min(in_flight_bytes_, b.bytes);
    delivered_bytes_ += b.bytes;
    delivered_ms_ = now_ms;
    if (b.sends == 1 && now_ms >= b.sent_ms) {  // Karn: only unambiguous samples
      const std::uint64_t sample = now_ms - b.sent_ms;
      if (srtt_ms_ == 0) {
        srtt_ms_ = std::max<std::uint64_t>(sample, 1);
        rttvar_ms_ = sample / 2;
      } else {
        const std::uint64_t dev = srtt_ms_ > sample ? srtt_ms_ - sample : sample - srtt_ms_;
        rttvar_ms_ = (3 * rttvar_ms_ + dev) / 4;
        srtt_ms_ = std::max<std::uint64_t>((7 * srtt_ms_ + sample) / 8, 1);
      }
      min_rtt_ms_ = min_rtt_ms_ == 0 ? std::max<std::uint64_t>(sample, 1)
                                     : std::min(min_rtt_ms_, std::max<std::uint64_t>(sample, 1));
      const std::uint64_t span = std::max<std::uint64_t>(1, elapsed_ms(now_ms, b.delivered_ms_at_send));
      rate_samples_.emplace_back(now_ms, (delivered_bytes_ - b.delivered_at_send) * 1000 / span);
    }
    in_flight_.pop_front();
  }
  while (rate_samples_.size() > 1 && elapsed_ms(now_ms, rate_samples_.front().first) > kRateWindowMs) {
    rate_samples_.pop_front();
  }
  return AckResult::kAdvanced;
}

void PeerLink::rewind_sent(std::uint64_t pos) {
  checkpoint_.sent_acked_pos = pos;
  next_send_pos_ = pos + 1;
  in_flight_.clear();
  in_flight_bytes_ = 0;
  ack_dirty_ = true;
}

std::deque<InFlightBatch*> PeerLink::due_resends(std::uint64_t now_ms) {
  std::deque<InFlightBatch*> out;
  if (state_ != LinkState::kUp) return out;
  for (auto& b : in_flight_) {
    if (b.sent_ms == 0 || elapsed_ms(now_ms, b.sent_ms) >= batch_timeout_ms(b)) out.push_back(&b);
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

namespace {
std::uint64_t batch_bytes(const BatchMsg& b) {
  std::uint64_t n = 0;
  for (const auto& e : b.events) n += e.signed_bytes.size() + e.signature.size() + e.origin.size();
  return n;
}
}  // namespace

bool PeerLink::buffer_ahead(BatchMsg batch) {
  const std::uint64_t bytes = batch_bytes(batch);
  if (ahead_.size() >= kAheadBatchesMax || ahead_bytes_ + bytes > kAheadBytesMax) return false;
  if (!ahead_.emplace(batch.first_pos, std::move(batch)).second) return true;  // a duplicate
  ahead_bytes_ += bytes;
  return true;
}

bool PeerLink::take_next_buffered(BatchMsg* out) {
  const std::uint64_t applied = checkpoint_.recv_applied_pos;
  // Drop what is now fully applied, then take the batch that continues the feed.
  while (!ahead_.empty() && ahead_.begin()->second.last_pos() <= applied) {
    ahead_bytes_ -= std::min(ahead_bytes_, batch_bytes(ahead_.begin()->second));
    ahead_.erase(ahead_.begin());
  }
  if (ahead_.empty() || ahead_.begin()->first > applied + 1) return false;
  *out = std::move(ahead_.begin()->second);
  ahead_bytes_ -= std::min(ahead_bytes_, batch_bytes(*out));
  ahead_.erase(ahead_.begin());
  return true;
}

}  // namespace casesync
