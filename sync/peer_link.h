// PeerLink: the replication state of one link (this node <-> one peer), as a small state
// machine with no I/O. SyncNode owns one per peer and does the reading and storing; PeerLink
// decides what may be sent, what is late and what an incoming position means.
//
// Outbound: our outbox for the peer is a sequence of positions. Batches are contiguous runs of
// it; each is resent alone when its timer expires (selective repeat: a lost batch does not stall
// the ones behind it). How much is in flight adapts to the link (docs/ARCHITECTURE.md, "Weak
// links"): from acknowledgements the link measures the round trip (smoothed, variance, minimum)
// and the delivery rate (bytes acknowledged per unit of time, max over a recent window), sizes a
// batch to about kBatchAirtimeMs of the delivery rate, and keeps about one bandwidth-delay product
// plus a few batches in flight. On a LAN that opens to window_batches_max full batches; on a
// 64 kbit/s terminal link it keeps a few kilobytes in flight, so a reset loses little and
// receipts are not stuck behind minutes of queued backlog. The resend timer follows the measured
// round trip (RFC 6298), never below resend_timeout_ms, doubling on each consecutive timeout.
// Inbound: the peer's feed is applied strictly in position order; batches that arrive ahead of
// a gap wait in a bounded buffer.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "common/sync_limits.h"
#include "storage/store.h"
#include "sync/messages.h"

namespace casesync {

enum class LinkState { kDown, kUp };
const char* link_state_name(LinkState state);

struct InFlightBatch {
  std::uint64_t first_pos = 0;
  std::uint64_t last_pos = 0;
  std::uint64_t sent_ms = 0;
  std::uint64_t bytes = 0;
  std::uint32_t sends = 1;
  bool fast_resent = false;
  // Delivery-rate sampling: the link's delivered bytes and their time when this batch left.
  std::uint64_t delivered_at_send = 0;
  std::uint64_t delivered_ms_at_send = 0;
};

// What the inbound side should do with a batch that just arrived.
enum class BatchVerdict { kApplyNow, kBufferAhead, kDuplicate };

class PeerLink {
 public:
  // Bounds of the ahead-of-gap buffer; beyond them a batch is dropped and the sender resends.
  static constexpr std::size_t kAheadBatchesMax = 64;
  // ... and in bytes: 64 batches of up to 16 MiB would be a gigabyte per link.
  static constexpr std::uint64_t kAheadBytesMax = 32u << 20;
  // Flow control (see the header comment).
  static constexpr std::uint64_t kBatchAirtimeMs = 250;       // a batch ~ this much link time
  static constexpr std::uint64_t kBatchBytesMin = 2048;
  static constexpr std::uint64_t kBatchBytesInitial = 4096;   // before the first measurement
  static constexpr std::uint64_t kHeadroomBatches = 3;        // in flight beyond one BDP
  static constexpr std::uint64_t kRateWindowMs = 10'000;      // max filter of the delivery rate
  static constexpr std::uint64_t kRtoMaxMs = 30'000;
  // The child's Hello while the link is down backs off up to this, with jitter.
  static constexpr std::uint64_t kHelloBackoffMaxMs = 8'000;

  PeerLink(std::string peer, const SyncLimits& limits, PeerCheckpoint checkpoint);

  const std::string& peer() const { return peer_; }
  LinkState state() const { return state_; }
  const PeerCheckpoint& checkpoint() const { return checkpoint_; }

  // --- handshake and liveness ---
  // The peer told us how far it applied our feed: resume right after it.
  void on_hello(std::uint64_t peer_applied_pos, std::uint64_t now_ms);
  void on_heard(std::uint64_t now_ms) { last_heard_ms_ = now_ms; }
  void on_sent(std::uint64_t bytes, std::uint64_t now_ms);
  // Marks the link down when the peer has been silent too long; returns true on that transition.
  bool check_timeout(std::uint64_t now_ms);
  void set_down();
  bool heartbeat_due(std::uint64_t now_ms) const;
  bool hello_due(std::uint64_t now_ms) const;
  // `jitter` in [0, 1000): spreads the retries of many children that lost their parent at once.
  void on_hello_sent(std::uint64_t now_ms, std::uint32_t jitter);

  // --- outbound ---
  bool window_open() const;
  // Encoded bytes the next batch should carry (<= batch_bytes_max).
  std::uint64_t batch_bytes_target() const;
  std::uint64_t next_send_pos() const { return next_send_pos_; }
  void on_batch_sent(std::uint64_t first, std::uint64_t last, std::uint64_t bytes,
                     std::uint64_t now_ms);
  // Cumulative ack. Returns true when it advanced; a duplicate ack with batches in flight marks
  // the first one for a fast resend. An ack beyond what was sent on this link (a damaged or
  // forged frame, or a peer that has not yet seen our restore) is refused: kBeyondSent.
  enum class AckResult { kAdvanced, kNoChange, kBeyondSent };
  AckResult on_ack(std::uint64_t applied_pos, std::uint64_t now_ms);
  // The highest position sent on this link (or acknowledged before it came up).
  std::uint64_t highest_sent_pos() const { return next_send_pos_ - 1; }
  // Batches whose resend is due now (timer expired or fast resend), oldest first.
  std::deque<InFlightBatch*> due_resends(std::uint64_t now_ms);
  void on_resent(InFlightBatch* batch, std::uint64_t now_ms);
  bool ack_dirty() const { return ack_dirty_; }
  void clear_ack_dirty() { ack_dirty_ = false; }

  // --- inbound ---
  BatchVerdict classify(const BatchMsg& batch) const;
  bool buffer_ahead(BatchMsg batch);
  // The buffered batch that now continues the feed, if any (removed from the buffer).
  bool take_next_buffered(BatchMsg* out);
  void on_applied(std::uint64_t last_pos) { checkpoint_.recv_applied_pos = last_pos; }
  // --- a peer restored from a backup (SyncNode::rejoin_restored_peer) ---
  // Its feed restarts after `pos` (positions beyond are reused for new events).
  void rewind_applied(std::uint64_t pos) {
    checkpoint_.recv_applied_pos = pos;
    ahead_.clear();
    ahead_bytes_ = 0;
  }
  // It holds our feed only through `pos`: what we sent after it is sent again.
  void rewind_sent(std::uint64_t pos);
  void set_peer_epoch(std::uint64_t epoch) { checkpoint_.peer_epoch = epoch; }
  // The peer's own events it said it holds without a gap (its last Hello): one of its own we
  // learn from elsewhere beyond that goes back to it (SyncNode::route_to_origin).
  void note_peer_own_last_seq(std::uint64_t seq) { peer_own_last_seq_ = seq; }
  std::uint64_t peer_own_last_seq() const { return peer_own_last_seq_; }
  // Whether this process has taken a Hello from the peer yet (SyncNode::handle_hello).
  void note_hello_heard() { hello_heard_ = true; }
  bool hello_heard_since_start() const { return hello_heard_; }

  // --- status ---
  std::uint64_t in_flight_count() const { return in_flight_.size(); }
  std::uint64_t in_flight_bytes() const { return in_flight_bytes_; }
  std::uint64_t last_heard_ms() const { return last_heard_ms_; }
  std::uint64_t last_ack_ms() const { return last_ack_ms_; }  // last time the peer acknowledged new data
  std::uint64_t srtt_ms() const { return srtt_ms_; }
  std::uint64_t min_rtt_ms() const { return min_rtt_ms_; }
  std::uint64_t rto_ms() const;  // the resend timer of a batch sent once
  std::uint64_t batch_timeout_ms(const InFlightBatch& b) const;
  std::uint64_t delivery_rate_bps() const;  // bytes/s, max over the recent window; 0: unknown
  std::uint64_t window_bytes() const;       // how much may be in flight now
  std::uint64_t resent_batches() const { return resent_batches_; }
  // Was position `pos` sent on this link before (since this process started)? Then sending it
  // again is a retransmission, whatever the reason (timeout, reconnect, restore).
  bool sent_before(std::uint64_t pos) const { return pos <= max_sent_pos_; }
  // The highest position sent on this link since this process started (0: none).
  std::uint64_t max_sent_pos() const { return max_sent_pos_; }

 private:
  std::string peer_;
  SyncLimits limits_;
  PeerCheckpoint checkpoint_;
  std::uint64_t peer_own_last_seq_ = 0;
  bool hello_heard_ = false;
  LinkState state_ = LinkState::kDown;
  std::uint64_t next_send_pos_ = 1;
  std::deque<InFlightBatch> in_flight_;
  std::map<std::uint64_t, BatchMsg> ahead_;  // by first_pos
  std::uint64_t ahead_bytes_ = 0;
  std::uint64_t last_heard_ms_ = 0;
  std::uint64_t last_sent_ms_ = 0;
  std::uint64_t last_hello_ms_ = 0;
  std::uint64_t srtt_ms_ = 0;
  std::uint64_t rttvar_ms_ = 0;
  std::uint64_t min_rtt_ms_ = 0;
  std::uint64_t in_flight_bytes_ = 0;
  std::uint64_t delivered_bytes_ = 0;       // acknowledged batch bytes since start
  std::uint64_t delivered_ms_ = 0;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> rate_samples_;  // (ms, bytes/s)
  std::uint64_t last_ack_ms_ = 0;
  std::uint64_t max_sent_pos_ = 0;
  std::uint32_t hello_attempts_ = 0;
  std::uint32_t hello_jitter_ = 0;
  std::uint64_t resent_batches_ = 0;
  bool ack_dirty_ = false;  // sent_acked_pos advanced since it was last persisted
};

}  // namespace casesync
