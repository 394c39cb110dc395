// Restore: this node's own restore from a backup. Its database is older than what it signed and
// received, and the difference sits at its neighbours. From the moment the restore begins (the
// marker `casesyncctl restore` writes into the restored database, or a neighbour showing it holds
// later events of ours than this database ever signed — a database rolled back by hand or lost)
// the node has a new restore epoch, and:
//  - it signs nothing — no local write, no delivery receipt — until it knows where its sequence
//    stands: every neighbour (parent, children; fallback parents and fallback children while a
//    fallback session with them is up; revoked ones aside) has answered
//    with this epoch, which means it re-synced us (sync/rejoin.h), and then told us our last seq it
//    holds; what they re-send has been applied (each neighbour's feed to us drained), so this node
//    holds its own events back and the cases they belong to;
//  - then it continues after the highest of its own events it holds, signs the receipts it owes,
//    and says so (kRestore alert). A neighbour's claim of a later seq that it never sent back is
//    refused with a security alert (a lie cannot stall the node).
// The state survives a crash (meta.restoring).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "sync/node_core.h"

namespace casesync {

class Restore {
 public:
  explicit Restore(NodeCore* state) : state_(state) {}

  // At start: begins a restore when the database carries the restore marker, continues one a
  // crash interrupted. Notes each outbox's last position as the database had it: a restore
  // found later (a database rolled back by hand) counts from there, since what this process
  // queued after it may reuse positions a neighbour already applied. REQUIRES: the identity is
  // loaded and the links made.
  Status load(std::uint64_t wall_ms);
  // Begins a restore now (a new epoch, persisted). `why` is alerted.
  Status begin(std::uint64_t wall_ms, const std::string& why);
  bool active() const { return active_; }

  // A neighbour's Hello. `outbox_last` is the last position we ever queued for it. Begins a
  // restore when the Hello shows this database lost what it had: the neighbour holds a later
  // event of ours, or applied more of our feed, than it ever signed or queued. Returns true then.
  // `diverged`: our own event at the Hello's your_last_seq differs from the one the neighbour
  // holds (and no evidence explains it yet). The Hello's your_last_seq must be proven (our
  // signature on that event) or zeroed by the caller. Positions prove nothing by themselves: they
  // begin a restore only when `trusted_positions` (the peer is a parent); a child's are counted
  // (`unseen_positions`) and alerted, so a hostile child cannot stall this node's writes.
  bool detect(const std::string& peer, const HelloMsg& m, std::uint64_t outbox_last,
              std::uint64_t applied_pos, bool diverged, bool trusted_positions,
              std::uint64_t wall_ms);
  // A neighbour's Hello (after SyncNode handled the rest of it).
  void on_hello(const std::string& peer, const HelloMsg& m);
  // True when every condition holds: the caller then completes it in a transaction.
  bool ready();
  // Inside the caller's transaction: moves the sequence after the highest own event held.
  Status complete();
  // After the transaction committed.
  void completed();
  // True when `peer`'s link is up but it has not answered with this restore's epoch and the
  // last time we asked was long enough ago: its one answering Hello can be lost on a weak link
  // after the link came up, and nothing else carries the epoch, so the restore asks again.
  bool should_ask_again(const std::string& peer, std::uint64_t now_ms);
  // The own last seq our Hello announces: while restoring, the last one this database held when
  // the process started, if lower than what it holds now. A database copied back by hand lets
  // the node sign seqs again before a neighbour shows the rollback; neighbours re-send our own
  // events (whole cases) after the seq we announce, so the versions we signed again meet the
  // ones they hold and become evidence (F20), and what they built on the old ones can be placed.
  std::uint64_t own_last_seq_to_announce() const;
  // What the restore still waits for, for a refused local write and for health.
  std::string waiting_for();
  // The last position of our outbox toward `peer` that the restored database held, for our Hello
  // until the peer has re-synced us: the peer resumes our feed after it, since positions beyond
  // it were used before the restore and are used again for new events (nullopt: not restoring,
  // or the peer already re-synced us).
  std::optional<std::uint64_t> restore_point(const std::string& peer) const;

 private:
  struct Heard {
    std::uint64_t your_last_seq = 0;
    std::uint64_t outbox_last_pos = 0;  // its feed to us, as it was when it answered
  };

  NodeCore* state_;
  bool active_ = false;
  bool must_hear(const std::string& neighbour) const;
  Status load_points();

  std::map<std::string, Heard> heard_;  // neighbours that answered with our epoch
  std::map<std::string, std::uint64_t> points_;  // peer -> restore point (meta.restore_points)
  std::map<std::string, std::uint64_t> at_start_;  // peer -> outbox last position at start
  std::map<std::string, std::uint64_t> asked_ms_;  // peer -> when we last asked it again
  std::optional<std::uint64_t> seq_at_start_;  // own last seq the database held at start
  std::uint64_t own_after_ = 0;  // while restoring: own events re-sent after this seq
};

}  // namespace casesync
