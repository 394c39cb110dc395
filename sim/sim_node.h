// SimNode: one simulated node — its durable store (survives a crash), its protocol core (does
// not: a crash throws it away and a restart builds a fresh one over the same store, as a real
// restart would), its clock, and the counters it accumulated over all its incarnations.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sim/crash_point_store.h"
#include "sim/node_clock.h"
#include "sim/roster_book.h"
#include "sim/topology.h"
#include "sync/sync_node.h"

namespace casesync::sim {

// What a node did and refused over the whole run, summed over its incarnations.
struct NodeTotals {
  std::uint64_t events_applied = 0;
  std::uint64_t events_duplicate = 0;
  std::uint64_t equivocations = 0;
  std::uint64_t commit_failures = 0;
  std::uint64_t batches_resent = 0;
  std::uint64_t outbox_caps = 0;  // outboxes a cap dropped (FaultKind::kOutboxCap)
  std::map<std::string, std::uint64_t> rejects;  // reason -> count
  std::map<std::string, std::uint64_t> alerts;   // alert kind -> count
};

class SimNode {
 public:
  // "*district" and "*book" must remain live while this node is in use.
  SimNode(const District* district, const RosterBook* book, std::size_t index, SyncLimits limits);

  std::size_t index() const { return index_; }
  const std::string& id() const { return district_->id(index_); }
  bool running() const { return core_ != nullptr; }
  // REQUIRES: running().
  SyncNode& core() { return *core_; }
  CrashPointStore& store() { return store_; }
  NodeClock& clock() { return clock_; }
  std::uint64_t now(std::uint64_t virtual_ms) const { return clock_.now(virtual_ms); }

  // Builds a fresh core over the store — with the roster version this node last installed and
  // its current key, as the daemon reads its roster file and key file — and starts it; on
  // failure the node stays down (a crash point inside start() gives kUnavailable).
  // REQUIRES: !running() && !retired().
  Status start(std::uint64_t virtual_ms);
  // Takes the core's effects, keeping what the edge keeps (the daemon persists a new roster).
  // Called after every call into the core.
  Effects take_effects();
  // The process dies: the core and everything only it held are gone; the store keeps what was
  // committed. Idempotent.
  void crash();
  std::uint32_t incarnations() const { return incarnations_; }

  // The admin's operations (sim/simulator_admin.cc). The node is down for each.
  // Its database replaced by `snapshot`; with `marker` as `casesyncctl restore` does it (the
  // next start tells the core), without it as a file copied back by hand.
  void restore(std::unique_ptr<MemoryStore> snapshot, bool marker);
  // The admin copied a newer roster file to the node (a key rotation).
  void set_roster_version(std::uint64_t version) { roster_version_ = version; }
  std::uint64_t roster_version() const { return roster_version_; }
  // The policy bundle this node last installed, as the daemon keeps it on disk: survives a
  // crash, given to the next core.
  const SignedDoc& policy() const { return policy_; }
  // What the simulated root signs a policy with (the opener checks nothing else).
  static constexpr std::string_view kPolicySignature = "simulated root policy signature";
  // Revoked and switched off for good: never started again.
  void retire() {
    crash();
    retired_ = true;
  }
  bool retired() const { return retired_; }

  // Counters of every incarnation so far, the running one included.
  NodeTotals totals() const;
  void count_alert(AlertKind kind) { totals_.alerts[alert_kind_name(kind)]++; }

  bool silent = false;  // a station whose clerks never act (it still signs receipts)

 private:
  static void add(NodeTotals* into, const NodeCounters& c);

  const District* district_;
  const RosterBook* book_;
  std::size_t index_;
  SyncLimits limits_;
  CrashPointStore store_;
  std::unique_ptr<SyncNode> core_;
  NodeClock clock_;
  NodeTotals totals_;  // of the dead incarnations, plus alerts
  std::uint32_t incarnations_ = 0;
  std::uint64_t roster_version_ = 1;  // the roster file's version
  SignedDoc policy_;                  // version 0: none published yet
  bool retired_ = false;
};

}  // namespace casesync::sim
