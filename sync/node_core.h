// NodeCore: what the parts of one node's protocol core share — who it is and where it sits in
// the tree, its roster, store, identity, links, counters and the effects it has produced so far.
// SyncNode owns one; the parts (admission, feed, urgent lane, restore, parent selector, roster
// gossip, health reporter) each get a pointer and change only what their concern owns.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/roster.h"
#include "common/status.h"
#include "common/sync_limits.h"
#include "crypto/crypto.h"
#include "storage/store.h"
#include "sync/case_cache.h"
#include "sync/counters.h"
#include "sync/effects.h"
#include "sync/local_identity.h"
#include "sync/messages.h"
#include "sync/node_time.h"
#include "sync/peer_link.h"

namespace casesync {

// A node's neighbours, from the roster. Nothing here assumes a depth: any node may have a parent,
// children, fallback parents and children that fall back to it.
struct Tree {
  std::string parent;  // empty at the root
  std::vector<std::string> children;
  std::vector<std::string> fallbacks;          // our roster entry's fallback_parents, in order
  std::vector<std::string> fallback_children;  // nodes whose fallback_parents name us

  static Tree of(const Roster& roster, const std::string& self);
  bool is_child(const std::string& peer) const;
  bool is_fallback(const std::string& peer) const;
  bool is_fallback_child(const std::string& peer) const;
  // Every node this one exchanges events with, revoked ones left out.
  std::vector<std::string> neighbours(const Roster& roster) const;
};

struct NodeCore {
  // "*store" and "*secret" must remain live while this state is in use.
  NodeCore(std::string self, Roster roster, SyncLimits limits, Store* store,
            const crypto::SecretKey* secret);
  NodeCore(const NodeCore&) = delete;
  NodeCore& operator=(const NodeCore&) = delete;

  PeerLink* link(const std::string& peer);
  // Encodes, compresses and queues a frame; counts its bytes. `now_ms` is monotonic.
  void send(const std::string& peer, const Message& m, std::uint64_t now_ms);
  void alert(AlertKind kind, std::string peer, std::string detail, std::string origin = "");
  // Counts a refused input by reason; when it is the peer's fault, also a PeerMisbehaved effect.
  void refuse(const std::string& peer, const std::string& reason, bool peer_at_fault = true);
  // A commit failed: counted, alerted once, and nothing is acknowledged until one succeeds.
  void commit_failed(const Status& st, const std::string& what);

  std::string self;
  Roster roster;
  Tree tree;
  SyncLimits limits;
  Store* store;
  const crypto::SecretKey* secret;
  LocalIdentity id;
  CaseCache cases;
  NodeCounters counters;
  Effects out;
  NodeTime time;
  std::map<std::string, std::unique_ptr<PeerLink>> links;
  bool disk_trouble = false;
};

}  // namespace casesync
