// OutboxCap: bounds the outbox toward a peer that does not drain it (docs/ARCHITECTURE.md,
// "Outbox caps"). Only acknowledged entries are ever trimmed, so a peer that stays unreachable
// would hold its outbox growing for as long as it is away. While a link is down, its outbox is
// checked every kCheckIntervalMs: past sync.outbox_bytes_max bytes not yet acknowledged, or once
// the oldest of them was written sync.outbox_age_max_ms ago, the entries never sent are dropped
// and the peer is marked behind from the earliest of them in our local log (persisted in the
// store's metadata, so a restart keeps it). When the peer next says Hello, it gets the catch-up
// re-send a restored peer gets (sync/rejoin.h, enqueue_since) from that point: every event it
// should hold from us stored since, each case whole. Its own Hello says what it applied; what it
// has already arrives as duplicates and is dropped. A revoked peer's outbox is dropped whole
// (SyncNode::drop_dead_outboxes) and its mark forgotten.
//
// Why only entries never sent: a position may be re-used only if no batch ever carried it, or a
// batch still in the network could make the peer take a re-used position for one it applied.
// Positions this process sent are known (PeerLink::max_sent_pos); those of an earlier process
// are not, so whatever the outbox held at start() counts as perhaps sent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/sync_limits.h"
#include "sync/node_core.h"

namespace casesync {

// Why the cap applies to an outbox, or kWithin.
enum class CapBreach { kWithin, kBytes, kAge };
const char* cap_breach_name(CapBreach breach);

// The cap's verdict on an outbox whose pending entries (not yet acknowledged) take
// `pending_bytes` and whose oldest was written at wall time `oldest_pending_ms` (0: none), at
// wall time `wall_ms`. A pure function of its inputs.
CapBreach cap_breach(std::uint64_t pending_bytes, std::uint64_t oldest_pending_ms,
                     std::uint64_t wall_ms, const SyncLimits& limits);

class OutboxCap {
 public:
  // How often the outboxes of down links are measured (a query over their pending entries).
  static constexpr std::uint64_t kCheckIntervalMs = 5'000;

  // "*state" must remain live while this cap is in use.
  explicit OutboxCap(NodeCore* state) : state_(state) {}

  // Reads the marks and notes what each link's outbox held at start (perhaps sent).
  Status load();
  // A link created after load() (a new child in a new roster).
  void note_link(const std::string& peer);
  // Measures the outboxes of down links when the interval is due; drops those over the cap.
  void tick(std::uint64_t now_ms);

  // The first local_seq of ours the peer may lack, when a cap dropped its outbox.
  std::optional<std::uint64_t> behind_from(const std::string& peer) const;
  // The peer said Hello: its outbox is rebuilt after the positions perhaps sent, with the
  // catch-up re-send. On success `*what` describes it for the log. REQUIRES: no transaction open.
  Status catch_up(PeerLink& link, std::string* what);
  // The mark is no longer needed (a restored peer's rejoin covered it, a revoked peer).
  // REQUIRES: no transaction open.
  Status forget(const std::string& peer);

 private:
  // The highest position of the peer's outbox that may have been sent (nullopt: unknown, keep all).
  std::optional<std::uint64_t> perhaps_sent_through(const PeerLink& link) const;
  Status check(PeerLink& link);
  // Drops the entries after `keep`, marks the peer behind. REQUIRES: inside a transaction.
  // `*from`: the peer's mark after it (UINT64_MAX when it has none and nothing was dropped).
  Status drop_after(const std::string& peer, std::uint64_t keep, std::uint64_t* dropped,
                    std::uint64_t* from);

  NodeCore* state_;
  std::map<std::string, std::uint64_t> behind_;            // peer -> first local_seq it may lack
  std::map<std::string, std::uint64_t> last_pos_at_start_;  // peer -> outbox's last position
  std::uint64_t last_check_ms_ = 0;
};

}  // namespace casesync
