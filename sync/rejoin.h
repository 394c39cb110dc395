// Rejoin: what a node does when a neighbour was restored from a backup (its Hello carries a newer
// restore epoch): the neighbour lost what it received and wrote after that backup, and all of it
// is still held around it, so each neighbour re-sends its share in one transaction:
//  - the restored peer's feed to us restarts after the last position its restored outbox holds
//    (positions beyond are reused for its new events);
//  - our feed to it is rebuilt from the position it says it applied: first the whole cases of its
//    own events written after its backup that we hold (a parent holds all it sent up, a child
//    what it sent down), so it gets each event with its past and learns where its sequence
//    stood; then what we had sent it after its backup, from the outbox we keep
//    (sync.outbox_retain_events), or, when its backup is older than that, everything it should
//    hold (its subtree's events upward, the cases in its audience downward).
// Every case anything is re-sent of goes whole, in our local order: the restored peer applies
// each neighbour's feed in order, and an event whose parent only another neighbour re-sends would
// wait on that feed while it waits on ours (F15 in docs/SIMULATOR.md).
// Apply is idempotent: what it still had arrives as duplicates and is dropped.
#pragma once

#include <string>

#include "common/status.h"
#include "sync/feed.h"
#include "sync/node_core.h"

namespace casesync {

// On success `*what` describes the re-sync for the log. REQUIRES: no transaction open; the
// caller restores the link from its checkpoint when this fails.
Status rejoin_restored_peer(NodeCore& state, Feed& feed, PeerLink& link, const HelloMsg& hello,
                            std::string* what);

}  // namespace casesync
