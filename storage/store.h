// Store: the narrow interface every durable write and read of a node goes through.
// Implemented by SqliteStore (real nodes) and MemoryStore (unit tests and the simulator, where a
// crash discards whatever was not committed). Knows nothing of sync: it keeps records, outboxes,
// checkpoints and small metadata, and the caller decides what they mean.
//
// Contract shared by every implementation:
//  - One writer. Every mutating call happens between begin() and commit()/rollback().
//  - commit() returning ok means the transaction is durable (SQLite: synchronous=FULL in WAL).
//  - Nothing is visible to a later crash-restart unless commit() returned ok.
//  - A failed call inside a transaction leaves it open; the caller rolls back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_record.h"
#include "common/status.h"

namespace casesync {

enum class InsertOutcome {
  kInserted,     // new (origin, seq): stored and given the next local_seq
  kDuplicate,    // same (origin, seq) and same hash: already held, nothing changed
  kEquivocation  // same (origin, seq), different hash: refused, the stored one stays
};

struct InsertResult {
  InsertOutcome outcome = InsertOutcome::kInserted;
  std::uint64_t local_seq = 0;  // the stored event's local_seq (new or existing)
  Hash32 existing_hash{};       // for kDuplicate / kEquivocation: the hash already held
};

// One entry of a peer's outbox: the event at position `pos` of that peer's feed.
struct OutboxItem {
  std::uint64_t pos = 0;
  EventRecord event;
};

// Replication progress with one peer, persisted so a link resumes where it stopped.
struct PeerCheckpoint {
  std::uint64_t sent_acked_pos = 0;    // our outbox for the peer is acknowledged through here
  std::uint64_t recv_applied_pos = 0;  // we durably applied the peer's feed through here
  std::uint64_t peer_epoch = 0;        // the peer's restore epoch we last saw (HelloMsg::epoch)
};

struct CaseRow {
  std::string case_id;
  std::uint64_t event_count = 0;
  std::uint64_t first_hlc = 0;
  std::uint64_t last_hlc = 0;
};

struct OutboxStats {
  std::uint64_t pending = 0;           // entries after the acknowledged position
  std::uint64_t oldest_pending_hlc = 0;  // hlc of the oldest pending event, 0 when none
  std::uint64_t last_pos = 0;          // highest position ever enqueued
  std::uint64_t first_pos = 0;         // lowest position still held (acked ones are kept for a
                                       // while to resend to a peer restored from a backup); 0: none
};

struct StoreStats {
  std::uint64_t event_count = 0;
  std::uint64_t db_bytes = 0;
  std::uint64_t wal_bytes = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- transactions ---
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;

  // --- events (inside a transaction) ---
  virtual Result<InsertResult> insert_event(const EventRecord& event) = 0;
  // Replaces the held event with the same (origin, seq) by `event` (another version of it: an
  // equivocation settled by the fixed rule), which takes the next local_seq as if newly inserted:
  // a feed in local order then carries it after its own parents. kNotFound when none is held.
  virtual Result<std::uint64_t> replace_event(const EventRecord& event) = 0;

  // --- outboxes (enqueue inside a transaction) ---
  // Appends (origin, seq) — which must be stored — at the peer's next position; returns it.
  virtual Result<std::uint64_t> enqueue(const std::string& peer, const std::string& origin,
                                        std::uint64_t seq) = 0;
  // Entries with pos > after_pos in order, at most max_items, stopping before the total of
  // signed_bytes + signature would pass max_bytes (but always at least one item if any).
  virtual Result<std::vector<OutboxItem>> read_outbox(const std::string& peer,
                                                      std::uint64_t after_pos,
                                                      std::size_t max_items,
                                                      std::size_t max_bytes) = 0;
  // Forgets entries with pos <= through_pos (acknowledged by the peer). Inside a transaction.
  virtual Status trim_outbox(const std::string& peer, std::uint64_t through_pos) = 0;
  // Empties the peer's outbox and makes the next enqueue take position `next_pos`: for a peer
  // restored from a backup older than what the outbox still holds, whose feed is then rebuilt
  // from its own applied position. Inside a transaction.
  virtual Status reset_outbox(const std::string& peer, std::uint64_t next_pos) = 0;
  virtual Result<OutboxStats> outbox_stats(const std::string& peer,
                                           std::uint64_t acked_pos) = 0;

  // --- checkpoints (save inside a transaction) ---
  virtual Result<PeerCheckpoint> load_checkpoint(const std::string& peer) = 0;
  virtual Status save_checkpoint(const std::string& peer, const PeerCheckpoint& cp) = 0;

  // --- small metadata: hlc, next seq, counters (put inside a transaction) ---
  virtual Result<std::optional<std::string>> get_meta(const std::string& key) = 0;
  virtual Status put_meta(const std::string& key, const std::string& value) = 0;

  // --- case audience: the nodes a case has been sent to (add inside a transaction) ---
  virtual Result<std::vector<std::string>> case_audience(const std::string& case_id) = 0;
  // Returns true when the node was not yet in the audience.
  virtual Result<bool> add_audience(const std::string& case_id, const std::string& node) = 0;

  // --- reads ---
  virtual Result<std::optional<EventRecord>> get_event(const std::string& origin,
                                                       std::uint64_t seq) = 0;
  // The highest seq of `origin` held here (0: none). Urgent events may arrive ahead of the rest
  // of their origin's sequence, so this is a maximum, not the end of a gap-free run.
  virtual Result<std::uint64_t> last_seq(const std::string& origin) = 0;
  // The end of the gap-free run from seq 1 of `origin` held here (0: seq 1 is missing): what a
  // restored node can say it holds of an origin without hiding a gap below its maximum.
  virtual Result<std::uint64_t> contiguous_seq(const std::string& origin) = 0;
  // Every event of the case in local_seq order.
  virtual Result<std::vector<EventRecord>> case_events(const std::string& case_id) = 0;
  virtual Result<std::vector<CaseRow>> list_cases(std::size_t limit) = 0;
  // Events with local_seq > after, ascending, at most max_items (the local changes feed).
  virtual Result<std::vector<EventRecord>> events_after(std::uint64_t after_local_seq,
                                                        std::size_t max_items) = 0;
  virtual Result<StoreStats> stats() = 0;
};

}  // namespace casesync
