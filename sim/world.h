// World: a snapshot of every node after (or during) healing — what each stores, its counters,
// and a handle on its core for the incrementally folded view — plus the ledger of acknowledged
// writes. The invariant checks (invariants.h) read only this, so they can be tested on a
// hand-built world without running a simulation.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/event_record.h"
#include "common/roster.h"
#include "sim/ledger.h"
#include "sim/sim_node.h"

namespace casesync::sim {

struct NodeSnapshot {
  std::string id;
  bool running = true;
  std::vector<EventRecord> events;  // everything it stores, in its local order
  NodeTotals totals;
  std::uint64_t last_seq = 0;  // the highest seq it ever authored (its durable counter)
  SyncNode* core = nullptr;    // null when not running or in hand-built worlds
  bool retired = false;        // revoked and switched off: neither checked nor expected to hold
  SignedDoc policy;            // the policy bundle it holds (persisted; version 0: none)
  std::set<std::string> security_origins;  // the origins its security alerts named
};

// What the holder of a stolen community key sent (FaultKind::kHostile, sim/simulator_hostile.cc).
struct HostileRecord {
  std::string origin;  // the community whose key it holds; empty: no hostile in this run
  std::set<Hash32> forged;  // every event it signed: no node may store one
  // Per node: forgeries it judged that break their origin's own history, each to be refused as
  // `unauthorized` with a security alert naming the origin.
  std::map<std::string, std::uint64_t> refusals_due;
};

// Something a run observed while it went (not at the end): a frame over the limit, a window
// overrun, an author error. Recorded as it happens, reported with the end-of-run violations.
struct Observation {
  std::string invariant;
  std::string node;
  std::string detail;
};

struct World {
  const Roster* roster = nullptr;  // the latest version
  std::set<std::string> equivocators;  // rolled back without a restore marker (may equivocate)
  // (origin, seq) an operation lost everywhere (signed after a backup, held nowhere else when it
  // was restored): a gap in that origin's sequence, never reused.
  std::set<std::pair<std::string, std::uint64_t>> lost_seqs;
  std::vector<NodeSnapshot> nodes;
  const Ledger* ledger = nullptr;
  std::vector<Observation> observations;
  std::uint64_t policy_version = 0;  // the newest bundle the district published
  HostileRecord hostile;
};

}  // namespace casesync::sim
