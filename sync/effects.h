// Effects: what the protocol core asks its edge to do, typed, collected between two calls of
// SyncNode::take_effects(). The core never does I/O itself; the daemon turns these into ZeroMQ
// sends, log lines, bans, a persisted roster and wake-ups of API long-polls, and the simulator
// into virtual frames and counters.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync/messages.h"

namespace casesync {

// A document the district's root key signs (sync/doc_gossip.h): the roster now, the policy bundle
// next.
struct SignedDoc {
  std::uint64_t version = 0;
  std::string text;
  std::string signature;
};

struct SendEffect {
  std::string peer;
  std::string frame;
};

enum class AlertKind {
  kEquivocation,  // an origin signed two different events as one (origin, seq)
  kDiskTrouble,   // a commit failed: nothing acknowledged until the disk recovers
  kPeerDown,
  kPeerUp,
  kBadInput,      // a peer sent something refused (counted by reason)
  kSecurity,      // a key in two places, a chain conflict: names the origin at fault
  kRestore,       // progress of this node's restore from a backup, or a neighbour's
  kHeld,          // an event held back for a while (waiting for its past or a roster)
  kDocument,      // a newer root-signed document (roster, policy) installed
};
const char* alert_kind_name(AlertKind kind);

struct Alert {
  AlertKind kind;
  std::string peer;    // the link it came from; empty when local
  std::string detail;  // says what happened and what to do
  std::string origin;  // for kEquivocation/kSecurity: the node whose key misbehaved
  std::string document;  // for kDocument: which root-signed document ("roster", "policy")
};

// One refused input that counts against the peer that sent it (daemon/peer_penalty.h bans a
// peer that keeps sending such input). Not raised for input held back while the roster or the
// ancestors it needs are on their way (a neighbour's restore, a roster change): that is nobody's
// fault.
struct PeerMisbehaved {
  std::string peer;
  std::string reason;
};

struct Effects {
  std::vector<SendEffect> sends;
  std::vector<Alert> alerts;
  std::vector<PeerMisbehaved> misbehaved;
  // Root-signed documents installed since the last take, the newest of each kind by kind name
  // ("roster"): the edge persists them and acts on them (allow-lists, sessions to close).
  std::map<std::string, SignedDoc> docs_installed;
  std::set<std::string> cases_changed;        // cases that gained events (local or remote)

  bool empty() const {
    return sends.empty() && alerts.empty() && misbehaved.empty() && docs_installed.empty() &&
           cases_changed.empty();
  }
};

}  // namespace casesync
