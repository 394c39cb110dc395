// LocalIdentity: what a node must never lose about its own signing — the next sequence number,
// the hash of its previous event (the per-origin chain), its hybrid clock and its restore epoch —
// loaded at start and persisted in the same transaction as every event it signs, so a sequence
// number or timestamp released to a peer is never reused.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/store.h"
#include "sync/hlc.h"

namespace casesync {

struct LocalIdentity {
  std::uint64_t next_seq = 1;
  Hash32 last_hash{};  // our previous event, for the per-origin chain
  HybridClock clock;
  std::uint64_t epoch = 0;  // restores of this node's database so far (HelloMsg::epoch)

  std::uint64_t last_seq() const { return next_seq - 1; }
  Status load(Store& store);
  // REQUIRES: inside a transaction.
  Status persist(Store& store) const;
  // The restore epoch alone. REQUIRES: inside a transaction.
  Status persist_epoch(Store& store) const;
};

// Meta keys, for tools that read a node's database (the simulator, `casesyncctl restore`).
inline constexpr const char* kMetaNextSeq = "next_seq";
inline constexpr const char* kMetaHlc = "hlc";
inline constexpr const char* kMetaLastHash = "last_hash";
inline constexpr const char* kMetaRestoreEpoch = "restore_epoch";
// Written into a backup's copy by `casesyncctl restore` before it replaces the database: the node
// starts a restore when it finds it (sync/restore.h), in the same transaction that removes it.
inline constexpr const char* kMetaRestorePending = "restore_pending";
// Set while a restore waits for its neighbours; removed when it completes.
inline constexpr const char* kMetaRestoring = "restoring";

}  // namespace casesync
