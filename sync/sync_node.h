// SyncNode: the sans-I/O protocol core of one node. It takes frames from peers, link events,
// local writes and clock ticks, and returns typed effects (sync/effects.h): frames to send,
// alerts, peers that misbehaved, a roster installed, cases changed. It reads no clock, opens no
// socket and draws no random number; the daemon drives it with ZeroMQ and the real clock, the
// simulator with a virtual network and clock.
//
// It coordinates the parts, each one concept (docs/ARCHITECTURE.md, "The core"): Admission (a
// verdict per incoming event), Feed and UrgentLane (what goes out), ApplyTxn (one durable
// transaction and its undo), Restore and rejoin (its own restore, a neighbour's), ParentSelector
// (fallback parents), DocGossip (the root-signed roster and policy), EvidenceBook (equivocations) and
// HealthReporter. Their shared state is NodeCore.
//
// Durability rule: an event is acknowledged to its sender only after the transaction that
// stored it (and the new checkpoint) committed. A failed commit acknowledges nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
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
#include "sync/admission.h"
#include "sync/doc_gossip.h"
#include "sync/effects.h"
#include "sync/event.h"
#include "sync/evidence_book.h"
#include "sync/feed.h"
#include "sync/health_reporter.h"
#include "sync/messages.h"
#include "sync/node_core.h"
#include "sync/outbox_cap.h"
#include "sync/parent_selector.h"
#include "sync/restore.h"
#include "sync/urgent_lane.h"

namespace casesync {

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
  std::int64_t clock_offset_ms = 0;        // peer wall clock minus ours, round trip compensated
  std::string held_reason;                 // the peer's feed waits on an event held back here
  bool outbox_capped = false;  // a cap dropped our outbox toward it: a catch-up re-send is due
};

class SyncNode {
 public:
  // A peer's event hlc more than this far ahead of our wall clock is stored but not merged into
  // our clock, so one skewed node cannot drag every clock in the district into the future.
  static constexpr std::uint64_t kClockMergeAheadMaxMs = 5 * 60 * 1000;
  // A link whose feed waits this long on an event held back is alerted (kHeld), once.
  static constexpr std::uint64_t kHeldAlertMs = 30'000;

  // "*store" and "*secret" must remain live while this node is in use.
  SyncNode(std::string self, Roster roster, SyncLimits limits, Store* store,
           const crypto::SecretKey* secret);
  SyncNode(const SyncNode&) = delete;
  SyncNode& operator=(const SyncNode&) = delete;

  // Verifies the signatures of each incoming batch; sequential on the caller's thread unless set.
  // "*verifier" must remain live while this node is in use.
  void set_verifier(crypto::BatchVerifier* verifier) { verifier_ = verifier; }

  // Loads the clock, sequence, checkpoints and evidence; begins the restore a restored database
  // asks for. Every `now_ms` below is the wall clock, read afresh (sync/node_time.h).
  // REQUIRES: called once before anything else.
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
  Effects take_effects() { return std::exchange(state_.out, Effects{}); }
  // Only the peers that misbehaved, for an edge that bans at once, before the other frames a
  // flooding peer already queued are handled (the rest stays for take_effects()).
  std::vector<PeerMisbehaved> take_misbehaved() { return std::exchange(state_.out.misbehaved, {}); }

  // The case as this node holds it now (folded from every stored event).
  Result<CaseState> case_state(const std::string& case_id) {
    return state_.cases.current_state(case_id);
  }

  // --- the roster (signed by the district root; verified and parsed by the edge) ---
  // Turns a signed roster into a Roster, or refuses it (bad signature, malformed).
  using RosterOpener = std::function<Result<Roster>(const RosterMsg&)>;
  void set_roster_source(RosterMsg current, RosterOpener opener);
  // Installs a newer roster (from the admin API or a peer) and pushes it to peers behind.
  Status install_roster(const RosterMsg& signed_roster, std::uint64_t now_ms);
  std::uint64_t roster_version() const { return state_.roster.version; }

  // --- the policy bundle (config/policy_bundle.h): a root-signed document like the roster,
  // carried by the same DocGossip; the edge verifies and parses it, and acts on
  // Effects::docs_installed["policy"] ---
  using DocOpener = std::function<Status(const SignedDoc&)>;
  void set_policy_source(SignedDoc current, DocOpener opener);
  Status install_policy(const SignedDoc& doc, std::uint64_t now_ms);
  std::uint64_t policy_version() const { return policy_gossip_.current().version; }
  const SignedDoc& policy() const { return policy_gossip_.current(); }
  // The newest policy version a peer announced or sent, held here or not (0: none).
  // The newest policy version our parent or a fallback parent says it holds. Only they count:
  // documents come down the tree, and a version number in a child's Hello is nobody's signature
  // (a hostile child announcing a huge one would keep this node `lagging` for good).
  std::uint64_t policy_newest_heard() const;

  // Begins a restore (sync/restore.h) — for an edge that learned of one outside the database.
  // `casesyncctl restore` writes its marker into the restored database; start() finds it.
  Status restored_from_backup(std::uint64_t now_ms);
  std::uint64_t restore_epoch() const { return state_.id.epoch; }
  // Restoring: signs nothing until every neighbour re-synced it.
  bool restoring() const { return restore_.active(); }
  // What a restore still waits for (neighbours silent, re-sends not yet applied); for health.
  std::string restore_waiting_for() { return restore_.waiting_for(); }

  // --- health reports (sync/health_report.h) ---
  void set_health_options(std::uint64_t interval_ms, std::string software_version) {
    health_.set_options(interval_ms, std::move(software_version));
  }
  // What the core cannot know itself: stalls seen by the daemon, calendar warnings.
  void set_health_extras(std::uint32_t stalled_hops, std::vector<std::string> warnings) {
    health_.set_extras(stalled_hops, std::move(warnings));
  }
  HealthReport own_health(std::uint64_t now_ms);
  const HealthBook& health_book() const { return health_.book(); }
  // The latest time (our clock) `node` was known in step (its relayed reports, or our link).
  std::optional<std::uint64_t> in_step_at(const std::string& node) const {
    return health_.in_step_at(node);
  }

  // --- views ---
  const std::string& self() const { return state_.self; }
  const std::string& parent() const { return state_.tree.parent; }
  // The parent this node syncs through now: the primary, or a fallback while the primary has
  // been unreachable for sync.fallback_after_ms.
  const std::string& current_parent() const { return parents_.current(); }
  const std::string& active_fallback() const { return parents_.active_fallback(); }
  // The fallback parent the edge keeps a connection to (empty: none).
  std::string fallback_to_dial() const { return parents_.fallback_to_dial(restore_.active()); }
  const std::vector<std::string>& children() const { return state_.tree.children; }
  const Roster& roster() const { return state_.roster; }
  const NodeCounters& counters() const { return state_.counters; }
  const EvidenceBook& evidence() const { return evidence_; }
  std::uint64_t hlc() const { return state_.id.clock.last(); }
  std::uint64_t last_seq() const { return state_.id.last_seq(); }
  // Events of our own subtree the parent holds and we do not (0 unless this node lost some).
  std::uint64_t events_behind() const { return events_behind_; }
  std::vector<LinkStatus> links();
  bool disk_trouble() const { return state_.disk_trouble; }

 private:
  // --- local writes (sync_node_author.cc) ---
  Result<EventRecord> seal_local(EventDraft draft, std::uint64_t now_ms);
  Status sign_delivery_receipts(const std::vector<Event>& forwards_to_me, std::uint64_t now_ms);
  Status sign_owed_receipts(std::uint64_t now_ms);

  // --- storing and routing (sync_node_route.cc) ---
  Status store_and_route(const EventRecord& record, const Event& event,
                         const std::string& from_peer);
  // The outboxes a stored event joins (sync/routing.h).
  Status route(const EventRecord& record, const Event& event, const std::string& from_peer);
  Status enqueue(const std::string& peer, const EventRecord& r);
  Status enqueue_backfill(const std::string& child, const std::string& case_id);
  Status route_to_origin(const EventRecord& record, const Event& event, const std::string& from_peer);
  // Enqueues the whole case for a fallback child the first time in its session.
  Status send_whole_to_fallback_child(const std::string& child, const std::string& case_id);
  Status drop_dead_outboxes();

  // --- inputs (sync_node_apply.cc) ---
  void handle_hello(PeerLink& link, const HelloMsg& m, std::uint64_t now_ms);
  void handle_batch(PeerLink& link, BatchMsg batch, std::uint64_t now_ms);
  Status apply_batch(PeerLink& link, const BatchMsg& batch, std::uint64_t now_ms);
  void handle_urgent(PeerLink& link, const UrgentMsg& m, std::uint64_t now_ms);
  // Stores one admitted event (or handles its equivocation). Inside a transaction.
  Status apply_one(const std::string& peer, Judged& j, std::vector<Event>* forwards_to_me);
  void note_verdict(const std::string& peer, const Judged& j, bool feed, std::uint64_t now_ms);
  void handle_heads(PeerLink& link, const HeadsMsg& m);

  // --- equivocations (sync_node_evidence.cc) ---
  Status on_equivocation(const std::string& peer, const EventRecord& held, const Judged& j);
  void handle_evidence(PeerLink& link, const EvidenceMsg& m, std::uint64_t now_ms);
  // Replaces a held losing version by the winner when the winner's past is here.
  Status settle(const Equivocation& e);
  Status settle_all();
  // Every version pair of one equivocation, or of all known, to one peer.
  void send_evidence(const std::string& peer, const Equivocation& e, std::uint64_t now_ms);
  void send_evidence(const std::string& peer, std::uint64_t now_ms);
  Result<bool> owed_winner(const Event& w);

  // --- sessions and timers (sync_node.cc) ---
  void send_hello(PeerLink& link, bool is_reply, std::uint64_t now_ms);
  std::optional<Hash32> proven_claim(const std::string& peer, const HelloMsg& m);
  void send_heads(PeerLink& link, std::uint64_t now_ms);
  // Per origin of `child`'s subtree: the highest seq held, or with `gap_free` the end of the run from 1.
  Result<std::vector<OriginHead>> subtree_heads(const std::string& child, bool gap_free = false);
  void pump(std::uint64_t now_ms);
  void take_ack(PeerLink& link, std::uint64_t applied_pos, std::uint64_t now_ms);
  void link_lost(PeerLink& link);
  Result<std::optional<EventRecord>> last_event_of(const std::string& origin);
  void adopt_roster(Roster roster);
  void handle_doc(const std::string& peer, const DocMsg& m, std::uint64_t now_ms);
  void maybe_complete_restore(std::uint64_t now_ms);
  void fill_health(HealthReport& r, std::uint64_t now_ms);
  std::uint32_t next_jitter();

  NodeCore state_;
  crypto::SequentialVerifier sequential_verifier_;
  crypto::BatchVerifier* verifier_ = &sequential_verifier_;
  EvidenceBook evidence_;
  Admission admission_;
  Feed feed_;
  UrgentLane urgent_;
  Restore restore_;
  OutboxCap outbox_cap_;
  ParentSelector parents_;
  HealthReporter health_;
  RosterOpener roster_opener_;
  DocGossip roster_gossip_;
  DocOpener policy_opener_;
  DocGossip policy_gossip_;
  std::map<std::string, std::int64_t> clock_offsets_ms_;
  // (neighbour, case) whose case went back whole to that neighbour, its author (route_to_origin).
  std::set<std::pair<std::string, std::string>> returned_cases_;
  struct Holding {
    std::string reason;
    std::string detail;
    std::uint64_t since_ms = 0;
    bool alerted = false;
  };
  std::map<std::string, Holding> holding_;  // per peer: the event its feed waits on here
  std::uint64_t events_behind_ = 0;
  std::map<std::string, std::uint64_t> behind_by_parent_;  // HeadsMsg gap per (fallback) parent
  std::uint64_t last_heads_ms_ = 0;
  std::uint64_t last_evidence_ms_ = 0;
  bool started_ = false;
  std::uint64_t jitter_state_ = 1;  // retry jitter, seeded from the node id
};

}  // namespace casesync
