// SyncLimits: the tunable limits of the replication protocol (the [sync] table of a node's
// config). Defaults suit a street server on a LAN; terminals on weak links may lower batch sizes.
// Ranges are enforced by config/node_config.cc and bounded above by sync/limits.h.
#pragma once

#include <cstdint>

namespace casesync {

struct SyncLimits {
  std::uint32_t batch_events_max = 512;        // events in one batch (1..10000)
  std::uint32_t batch_bytes_max = 1u << 20;    // encoded bytes in one batch (4096..16777216)
  std::uint32_t window_batches_max = 4;        // batches in flight per link (1..64)
  std::uint32_t resend_timeout_ms = 3000;      // unacknowledged batch resent after (100..600000)
  std::uint32_t heartbeat_interval_ms = 1000;  // protocol heartbeat (100..60000)
  std::uint32_t peer_timeout_ms = 5000;        // link considered down after silence (300..600000)
  // Acknowledged outbox entries kept per peer (0..100000000), so a peer restored from a backup
  // gets what it lost resent from the outbox; beyond them it gets a full re-send (slower).
  std::uint32_t outbox_retain_events = 100000;
  // The outbox toward a peer that is down is capped (sync/outbox_cap.h): past this many bytes of
  // events not yet acknowledged (4096..4294967295), or once the oldest of them was written this
  // long ago (10000..2592000000, 10 s..30 days), its queued entries are dropped and the peer gets
  // a catch-up re-send of what it lacks when it returns. Nothing is lost either way; the cap
  // bounds the disk an unreachable peer takes and what waits for it in one queue.
  std::uint32_t outbox_bytes_max = 256u << 20;
  std::uint32_t outbox_age_max_ms = 7u * 24 * 3600 * 1000;
  // A node whose roster entry names fallback parents syncs through the first of them once its
  // primary parent has been unreachable this long (1000..604800000), and returns to the primary
  // as soon as it answers again.
  std::uint32_t fallback_after_ms = 120000;
};

}  // namespace casesync
