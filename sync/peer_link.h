// PeerLink: the replication state of one link (this node <-> one peer), as a small state
// machine with no I/O. SyncNode owns one per peer and does the reading and storing; PeerLink
// decides what may be sent, what is late and what an incoming position means.
//
// Outbound: our outbox for the peer is a sequence of positions. Batches are contiguous runs of
// it; up to window_batches_max are in flight; each is resent alone when its timer expires
// (selective repeat: a lost batch does not stall the ones behind it).
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
};

// What the inbound side should do with a batch that just arrived.
enum class BatchVerdict { kApplyNow, kBufferAhead, kDuplicate };

class PeerLink {
 public:
  // Bounds of the ahead-of-gap buffer; beyond them a batch is dropped and the sender resends.
  static constexpr std::size_t kAheadBatchesMax = 64;

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
  void on_hello_sent(std::uint64_t now_ms) { last_hello_ms_ = now_ms; }

  // --- outbound ---
  bool window_open() const;
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
  }
  // It holds our feed only through `pos`: what we sent after it is sent again.
  void rewind_sent(std::uint64_t pos);
  void set_peer_epoch(std::uint64_t epoch) { checkpoint_.peer_epoch = epoch; }

  // --- status ---
  std::uint64_t in_flight_count() const { return in_flight_.size(); }
  std::uint64_t last_heard_ms() const { return last_heard_ms_; }
  std::uint64_t srtt_ms() const { return srtt_ms_; }
  std::uint64_t resent_batches() const { return resent_batches_; }

 private:
  std::string peer_;
  SyncLimits limits_;
  PeerCheckpoint checkpoint_;
  LinkState state_ = LinkState::kDown;
  std::uint64_t next_send_pos_ = 1;
  std::deque<InFlightBatch> in_flight_;
  std::map<std::uint64_t, BatchMsg> ahead_;  // by first_pos
  std::uint64_t last_heard_ms_ = 0;
  std::uint64_t last_sent_ms_ = 0;
  std::uint64_t last_hello_ms_ = 0;
  std::uint64_t srtt_ms_ = 0;
  std::uint64_t resent_batches_ = 0;
  bool ack_dirty_ = false;  // sent_acked_pos advanced since it was last persisted
};

}  // namespace casesync
