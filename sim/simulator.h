// Simulator: one seeded run of a whole district in one process. Every node runs the real
// protocol core (SyncNode) over a MemoryStore that can crash mid-commit, on a virtual clock, over
// a virtual network. Phase one (fault_phase_ms): clerks work while faults hit the network, the
// disks, the processes and the clocks. Phase two: everything heals — no faults, all links up, all
// nodes running — and the district must converge within heal_bound_ms; every invariant in
// invariants.h is then checked. The same seed gives the same run and the same trace hash.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "sim/agenda.h"
#include "sim/clerks.h"
#include "sim/ledger.h"
#include "sim/closure_watch.h"
#include "sim/roster_book.h"
#include "sim/sim_node.h"
#include "sim/sim_options.h"
#include "sim/trace_hash.h"
#include "sim/virtual_network.h"
#include "sim/world.h"

namespace casesync::sim {

// What the holder of a stolen key sends (sim/simulator_hostile.cc).
enum class HostileAttack : std::uint8_t { kBranch, kBackdated, kInvented, kOtherId };

class Simulator {
 public:
  // "district" must remain live while the simulator is in use.
  Simulator(const District& district, SimOptions options);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  RunResult run();

 private:
  enum class Phase { kFaults, kHeal, kDone };

  // --- setup and the recurring timers (simulator.cc) ---
  void setup();
  void tick(std::size_t node);
  void clerk();
  void rush();
  void sample_limits(SimNode& node);

  // --- frames and transport (simulator_net.cc) ---
  // Runs `call` on a running node, then moves its sends to the network. A NodeCrashed thrown
  // from inside (a crash point in a commit) is the process dying: handled, not propagated.
  void with_node(std::size_t node, const std::function<void(SimNode&)>& call);
  void drain(std::size_t node);
  void deliver(std::size_t from, std::size_t to, const Delivery& d);
  // Brings a child-parent link's transport in line with its ends and partitions, reporting
  // link up/down to the cores as a real transport would.
  void refresh_transport(std::size_t child);
  void refresh_transports_of(std::size_t node);
  // The same for a community's link to its fallback parent, which the child dials only while
  // its core syncs through it (SyncNode::active_fallback).
  void refresh_fallback(std::size_t child);
  // Brings the transport between `child` and `parent` up (after a handshake) or down.
  void set_transport(std::size_t child, std::size_t parent, bool want);

  // --- faults (simulator_faults.cc) ---
  void draw_clocks();
  void fault_tick();
  void partition(std::size_t child, std::uint64_t duration_ms, FaultKind kind);
  void partition_subtree();
  void partition_rolling();
  void crash(std::size_t node, std::uint64_t down_ms);
  void on_crashed(std::size_t node);
  void restart(std::size_t node);
  void disk_full(std::size_t node, std::uint64_t duration_ms);
  void log_fault(FaultKind kind, const std::string& target, std::uint64_t duration_ms);

  // --- the admin's operations (simulator_admin.cc) ---
  void admin_tick();
  void take_snapshot(std::size_t node);
  void restore(std::size_t node, bool marker);
  void revoke(std::size_t node);
  void rotate_key(std::size_t node);
  void publish_policy();
  void wall_clock_step(std::size_t node);

  // --- a stolen community key in hostile hands (simulator_hostile.cc) ---
  void hostile_tick();
  void hostile_attack();
  std::optional<EventRecord> forge(std::size_t node, HostileAttack attack,
                                   const std::vector<EventRecord>& events);
  // The node's acknowledged writes after `after_seq` that no other node holds: lost with it.
  void write_off(std::size_t node, std::uint64_t after_seq, const std::string& why);
  bool held_elsewhere(std::size_t node, const std::string& origin, std::uint64_t seq);

  // --- healing and convergence (simulator_heal.cc) ---
  void heal();
  void check_convergence();
  bool quiescent(std::string* why);
  World snapshot();
  void finish(RunResult* r);
  // Every node's stored events (hash and signature, in local order) into the trace.
  void mix_final_state(const World& w);
  std::vector<Violation> final_violations(const World& w);
  void fill_figures(const World& w, RunResult* r);

  const District& district_;
  SimOptions options_;
  Rng rng_;
  Rng fault_rng_;
  Rng admin_rng_;  // its own stream: a seed without admin faults runs as before they existed
  Rng hostile_rng_;  // and so has the hostile: with it, every other decision of a seed stays
  FaultProfile profile_;
  SyncLimits limits_;
  FaultCounts counts_{};
  std::uint64_t policy_version_ = 0;  // the newest bundle the district published
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::vector<std::size_t>> children_;
  std::vector<std::uint32_t> disk_full_episodes_;
  VirtualNetwork net_;
  RosterBook book_;
  Clerks clerks_;
  Ledger ledger_;
  ClosureWatch closure_;
  // The latest backup of each node, and the seq it had signed through when it was taken.
  struct Snapshot {
    std::unique_ptr<MemoryStore> store;
    std::uint64_t taken_ms = 0;
    std::uint64_t last_seq = 0;
  };
  std::vector<Snapshot> snapshots_;
  std::set<std::string> equivocators_;  // nodes rolled back without a restore marker
  std::set<std::size_t> eager_clerk_;   // ... whose clerk acts the moment the node is back
  std::set<std::pair<std::string, std::uint64_t>> lost_seqs_;  // signed, then lost everywhere
  std::optional<std::size_t> hostile_;  // the community whose key is stolen (FaultKind::kHostile)
  std::uint64_t hostile_seq_ = 0;
  std::set<Hash32> hostile_forged_;                          // what no honest node may store
  std::map<std::string, std::uint64_t> hostile_refusals_due_;  // node -> forgeries it must refuse
  std::map<std::string, std::set<std::string>> security_named_;  // node -> origins its alerts named
  Agenda agenda_;
  TraceHash trace_;
  std::vector<Observation> observations_;

  Phase phase_ = Phase::kFaults;
  std::uint64_t now_ = 0;  // virtual ms since the start of the run
  std::uint64_t heal_at_ms_ = 0;
  bool converged_ = false;
  std::uint64_t converged_at_ms_ = 0;
  std::uint64_t events_at_failed_check_ = UINT64_MAX;
  std::uint64_t frames_delivered_ = 0;
  std::uint64_t frames_lost_ = 0;
  std::uint64_t restarts_ = 0;
  std::uint64_t ticks_ = 0;
};

// Runs one seed on a district of options.topology whose keys are derived from options.seed.
// REQUIRES: crypto::init() succeeded.
RunResult run_seed(const SimOptions& options);

}  // namespace casesync::sim
