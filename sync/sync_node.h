// SyncNode: the sans-I/O protocol core of one node. It takes frames from peers, link events,
// local writes and clock ticks, and returns effects: frames to send and alerts to raise. It
// reads no clock, opens no socket and draws no random number; the daemon drives it with ZeroMQ
// and the real clock, the simulator with a virtual network and clock.
//
// Durability rule: an event is acknowledged to its sender only after the transaction that
// stored it (and the new checkpoint) committed. A failed commit acknowledges nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/roster.h"
#include "common/status.h"
#include "common/sync_limits.h"
#include "crypto/batch_verifier.h"
#include "crypto/crypto.h"
#include "storage/store.h"
#include "sync/case_cache.h"
#include "sync/counters.h"
#include "sync/event.h"
#include "sync/health_book.h"
#include "sync/hlc.h"
#include "sync/messages.h"
#include "sync/peer_link.h"

namespace casesync {

struct SendEffect {
  std::string peer;
  std::string frame;
};

// kRosterInstalled is its own kind (not a link change) so that grep-based alerting on
// alert=peer_up sees link changes only.
enum class AlertKind { kEquivocation, kDiskTrouble, kPeerDown, kPeerUp, kBadInput, kRosterInstalled };
const char* alert_kind_name(AlertKind kind);

struct Alert {
  AlertKind kind;
  std::string peer;
  std::string detail;
};

// A local write before it is sealed: the node fills origin, seq, hlc, parents and prev.
struct EventDraft {
  std::string case_id;
  std::string kind;
  std::map<std::string, std::string> body;
};

struct LinkStatus {
  std::string peer;
  bool is_parent = false;
  bool is_fallback = false;                // a fallback parent, or a child that uses us as one
  LinkState state = LinkState::kDown;
  std::uint64_t sent_acked_pos = 0;
  std::uint64_t recv_applied_pos = 0;
  std::uint64_t in_flight_batches = 0;
  std::uint64_t backlog_events = 0;        // in our outbox, not yet acknowledged
  std::uint64_t backlog_oldest_hlc = 0;
  std::uint64_t last_heard_ms = 0;
  std::uint64_t srtt_ms = 0;
  std::uint64_t min_rtt_ms = 0;
  std::uint64_t rto_ms = 0;                // current resend timer
  std::uint64_t in_flight_bytes = 0;
  std::uint64_t window_bytes = 0;          // adaptive: how much may be in flight
  std::uint64_t batch_bytes = 0;           // adaptive: the next batch's size
  std::uint64_t delivery_rate_bps = 0;     // measured throughput toward the peer (bytes/s)
  std::uint64_t last_ack_ms = 0;           // last time the peer acknowledged new events
  std::int64_t clock_offset_ms = 0;        // peer wall clock minus ours, from its heartbeats
};

class SyncNode {
 public:
  // A peer's event hlc more than this far ahead of our wall clock is stored but not merged into
  // our clock, so one skewed node cannot drag every clock in the district into the future.
  static constexpr std::uint64_t kClockMergeAheadMaxMs = 5 * 60 * 1000;

  // "*store" and "*secret" must remain live while this node is in use.
  SyncNode(std::string self, Roster roster, SyncLimits limits, Store* store,
           const crypto::SecretKey* secret);
  SyncNode(const SyncNode&) = delete;
  SyncNode& operator=(const SyncNode&) = delete;

  // Verifies the signatures of each incoming batch; sequential on the caller's thread unless set.
  // "*verifier" must remain live while this node is in use.
  void set_verifier(crypto::BatchVerifier* verifier) { verifier_ = verifier; }

  // Loads the clock, sequence and checkpoints. REQUIRES: called once before anything else.
  Status start(std::uint64_t now_ms);

  // --- local writes ---
  Result<EventRecord> author(EventDraft draft, std::uint64_t now_ms);
  // Several events in one durable transaction (bulk import, benchmarks).
  Result<std::vector<EventRecord>> author_batch(std::vector<EventDraft> drafts,
                                                std::uint64_t now_ms);

  // --- inputs from the edges ---
  void on_link_up(const std::string& peer, std::uint64_t now_ms);
  void on_link_down(const std::string& peer, std::uint64_t now_ms);
  void on_frame(const std::string& peer, std::string_view frame, std::uint64_t now_ms);
  void on_tick(std::uint64_t now_ms);

  // --- outputs ---
  std::vector<SendEffect> take_sends();
  std::vector<Alert> take_alerts();

  // The case as this node holds it now (folded from every stored event).
  Result<CaseState> case_state(const std::string& case_id) { return cases_.current_state(case_id); }

  // --- the roster (signed by the district root; verified and parsed by the edge) ---
  // Turns a signed roster into a Roster, or refuses it (bad signature, malformed).
  using RosterOpener = std::function<Result<Roster>(const RosterMsg&)>;
  void set_roster_source(RosterMsg current, RosterOpener opener);
  // Installs a newer roster (from the admin API or a peer) and pushes it to peers behind.
  Status install_roster(const RosterMsg& signed_roster, std::uint64_t now_ms);
  // The roster installed since the last call, for the edge to persist and to update its
  // allow-list; nullopt when none.
  std::optional<RosterMsg> take_roster_update();
  std::uint64_t roster_version() const { return roster_.version; }

  // Called once at startup after `casesyncctl restore` (before start()'s first Hello): starts a
  // new restore epoch, so peers re-send what this node lost, and — since the local sequence may
  // be behind what this node already signed — refuses local writes until the parent's Hello
  // says where it really stands.
  Status restored_from_backup(std::uint64_t now_ms);
  std::uint64_t restore_epoch() const { return epoch_; }
  bool awaiting_parent_sequence() const { return awaiting_parent_seq_; }

  // --- health reports (sync/health_report.h) ---
  void set_health_options(std::uint64_t interval_ms, std::string software_version);
  // What the core cannot know itself: stalls seen by the daemon, calendar warnings.
  void set_health_extras(std::uint32_t stalled_hops, std::vector<std::string> warnings);
  HealthReport own_health(std::uint64_t now_ms);
  const HealthBook& health_book() const { return book_; }
  // The latest time `node` was known in step (its relayed reports, or our parent link).
  std::optional<std::uint64_t> in_step_at(const std::string& node) const;

  // --- views ---
  const std::string& self() const { return self_; }
  const std::string& parent() const { return parent_; }
  // The parent this node syncs through now: the primary, or a fallback while the primary has
  // been unreachable for sync.fallback_after_ms. The edge dials the fallback while it is active.
  const std::string& current_parent() const { return active_fallback_.empty() ? parent_ : active_fallback_; }
  const std::string& active_fallback() const { return active_fallback_; }
  const std::vector<std::string>& children() const { return children_; }
  const Roster& roster() const { return roster_; }
  const NodeCounters& counters() const { return counters_; }
  std::uint64_t hlc() const { return clock_.last(); }
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  std::vector<LinkStatus> links();
  bool disk_trouble() const { return disk_trouble_; }

 private:
  PeerLink* link(const std::string& peer);
  Status load_identity_state();
  Result<EventRecord> seal_local(EventDraft draft, std::uint64_t now_ms);
  Status persist_identity_state();

  // Stores one verified event and routes it; inside a transaction.
  Status store_and_route(const EventRecord& record, const Event& event,
                         const std::string& from_peer, std::uint64_t* inserted = nullptr);
  Status enqueue_backfill(const std::string& child, const std::string& case_id);

  void handle_hello(PeerLink& link, const HelloMsg& m, std::uint64_t now_ms);
  void handle_batch(PeerLink& link, BatchMsg batch, std::uint64_t now_ms);
  Status apply_batch(PeerLink& link, const BatchMsg& batch, std::uint64_t now_ms);
  // Verdicts for batch.events[first..], from verifier_, in order.
  std::vector<bool> verify_signatures(const std::vector<WireEvent>& events, std::size_t first);
  // `signature_ok` is the verifier's verdict on this event; nothing is decoded without it.
  std::optional<std::pair<EventRecord, Event>> admit(const std::string& peer, const WireEvent& w,
                                                     bool signature_ok, std::uint64_t now_ms);
  // Inside the apply transaction: the per-origin chain and the case rules in the event's
  // causal past. Returns false (counted, alerted) when the event must not be stored.
  Result<bool> authorize_remote(const std::string& peer, const EventRecord& r, const Event& e);
  Status sign_delivery_receipts(const std::vector<Event>& forwards_to_me, std::uint64_t now_ms);
  void commit_failed(const Status& st, const std::string& what);

  void send(const std::string& peer, const Message& m, std::uint64_t now_ms);
  void send_hello(PeerLink& link, bool is_reply, std::uint64_t now_ms);
  void pump(std::uint64_t now_ms);
  void undo_apply(const Status& st, std::uint64_t applied_before, std::uint64_t seq_before,
                  const Hash32& hash_before, const std::string& what);
  // Urgent events (receipts, acceptances, replies, returns, forwards): see UrgentMsg.
  static bool is_urgent_kind(std::string_view kind);
  void queue_urgent(const std::string& peer, const EventRecord& r);
  void rebuild_urgent(PeerLink& link);
  // Calls `visit` on each entry of the peer's outbox after position `after`, in order, a page at
  // a time, until it returns false or the outbox ends.
  Status scan_outbox(const std::string& peer, std::uint64_t after,
                     const std::function<bool(const OutboxItem&)>& visit);
  void pump_urgent(PeerLink& link, std::uint64_t now_ms);
  void handle_urgent(PeerLink& link, const UrgentMsg& m, std::uint64_t now_ms);
  void handle_urgent_ack(PeerLink& link, const UrgentAckMsg& m);
  std::uint32_t next_jitter();
  void pump_link(PeerLink& link, std::uint64_t now_ms);
  void resend_due(PeerLink& link, std::uint64_t now_ms);
  void persist_acks();
  void maybe_report_health(std::uint64_t now_ms);
  void handle_health(PeerLink& link, const HealthMsg& m, std::uint64_t now_ms);
  void handle_roster(PeerLink& link, const RosterMsg& m, std::uint64_t now_ms);
  std::optional<EventRecord> last_event_of(const std::string& origin);
  void take_ack(PeerLink& link, std::uint64_t applied_pos, std::uint64_t now_ms);
  void rejoin_restored_peer(PeerLink& link, const HelloMsg& m);
  Status enqueue_full_resend(const std::string& peer);
  void adopt_sequence_from_parent(const HelloMsg& m);
  void adopt_roster(Roster roster);
  void update_fallback(std::uint64_t now_ms);
  Status activate_fallback(const std::string& fallback, std::uint64_t now_ms);
  bool is_fallback_child(const std::string& peer) const;
  void push_roster(std::uint64_t now_ms);

  std::string self_;
  Roster roster_;
  SyncLimits limits_;
  Store* store_;
  const crypto::SecretKey* secret_;
  crypto::SequentialVerifier sequential_verifier_;
  crypto::BatchVerifier* verifier_ = &sequential_verifier_;
  std::string parent_;
  std::vector<std::string> children_;
  std::vector<std::string> fallbacks_;          // our roster entry's fallback_parents, in order
  std::vector<std::string> fallback_children_;  // nodes whose fallback_parents name us
  std::string active_fallback_;                 // empty: syncing through the primary
  std::uint64_t primary_down_since_ms_ = 0;
  std::map<std::string, std::unique_ptr<PeerLink>> links_;
  std::map<std::string, std::int64_t> clock_offsets_ms_;
  CaseCache cases_;
  HealthBook book_;
  RosterMsg roster_blob_;
  RosterOpener roster_opener_;
  std::optional<RosterMsg> roster_update_;
  std::map<std::string, std::uint64_t> peer_roster_version_;
  std::uint64_t health_interval_ms_ = 5000;
  std::uint64_t last_health_ms_ = 0;
  std::uint64_t started_ms_ = 0;
  std::string software_version_ = "dev";
  std::uint32_t stalled_hops_ = 0;
  std::vector<std::string> health_warnings_;

  HybridClock clock_;
  std::uint64_t next_seq_ = 1;
  Hash32 last_hash_{};  // our previous event, for the per-origin chain
  bool started_ = false;
  bool disk_trouble_ = false;
  bool awaiting_parent_seq_ = false;
  std::uint64_t epoch_ = 0;  // restores of this node's database so far (HelloMsg::epoch)
  std::uint64_t jitter_state_ = 1;  // retry jitter, seeded from the node id

  // Per peer, the urgent events not yet confirmed, oldest first; one message in flight.
  struct UrgentQueue {
    std::deque<std::pair<std::string, std::uint64_t>> pending;  // (origin, seq)
    std::uint64_t token = 0;  // of the message in flight (the first `count` pending); 0: none
    std::size_t count = 0;
    std::uint64_t sent_ms = 0;
  };
  static constexpr std::size_t kUrgentPendingMax = 10'000;  // beyond: the feed alone carries them
  static constexpr std::size_t kUrgentScanMax = 200'000;    // backlog scanned at link up
  static constexpr std::size_t kUrgentEventsPerMessage = 64;
  std::map<std::string, UrgentQueue> urgent_;
  std::uint64_t next_urgent_token_ = 1;

  NodeCounters counters_;
  std::vector<SendEffect> sends_;
  std::vector<Alert> alerts_;
};

}  // namespace casesync
