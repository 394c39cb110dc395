// The fault episodes of phase one: partitions, crashes, full disks and clock trouble. Per-frame
// faults (drop, duplicate, reorder, delay, bit flip) live in the network. Every episode that
// ends by itself checks the phase first: healing has already undone it.
#include <cstdio>

#include "sim/simulator.h"

namespace casesync::sim {

namespace {
constexpr std::uint64_t kFaultTickMs = 500;
constexpr std::uint64_t kClockOffsetMsMax = 10 * 60 * 1000;  // twice the HLC merge bound
constexpr std::uint64_t kClockDriftPpmMax = 500;
constexpr std::uint64_t kJumpBackMsMax = 5000;
constexpr std::uint64_t kJumpForwardMsMax = 30'000;
constexpr std::uint64_t kDownMsMin = 200;
constexpr std::uint64_t kDownMsMax = 8000;

std::int64_t signed_draw(Rng& rng, std::uint64_t max) {
  const auto v = static_cast<std::int64_t>(rng.range(1, max));
  return rng.chance(500'000) ? v : -v;
}
}  // namespace

void Simulator::log_fault(FaultKind kind, const std::string& target, std::uint64_t duration_ms) {
  trace_.mix_u64(static_cast<std::uint64_t>(kind));
  trace_.mix(target);
  trace_.mix_u64(duration_ms);
  if (!options_.log) return;
  char when[32];
  std::snprintf(when, sizeof when, "[%8.3f s] ", static_cast<double>(now_) / 1000.0);
  *options_.log << when << fault_kind_name(kind) << " " << target;
  if (duration_ms) *options_.log << " for " << duration_ms << " ms";
  *options_.log << "\n";
}

void Simulator::draw_clocks() {
  for (auto& n : nodes_) {
    std::int64_t offset = 0;
    std::int32_t drift = 0;
    if (profile_.on(FaultKind::kClockOffset) &&
        fault_rng_.chance(profile_.odds(FaultKind::kClockOffset))) {
      offset = signed_draw(fault_rng_, kClockOffsetMsMax);
      counts_[static_cast<std::size_t>(FaultKind::kClockOffset)]++;
      log_fault(FaultKind::kClockOffset, n->id() + " by " + std::to_string(offset) + " ms", 0);
    }
    if (profile_.on(FaultKind::kClockDrift) &&
        fault_rng_.chance(profile_.odds(FaultKind::kClockDrift))) {
      drift = static_cast<std::int32_t>(signed_draw(fault_rng_, kClockDriftPpmMax));
      counts_[static_cast<std::size_t>(FaultKind::kClockDrift)]++;
      log_fault(FaultKind::kClockDrift, n->id() + " by " + std::to_string(drift) + " ppm", 0);
    }
    n->clock() = NodeClock(offset, drift);
  }
}

void Simulator::fault_tick() {
  if (phase_ != Phase::kFaults) return;
  auto roll = [&](FaultKind k) { return profile_.on(k) && fault_rng_.chance(profile_.odds(k)); };
  auto any_node = [&] { return static_cast<std::size_t>(fault_rng_.below(district_.size())); };
  auto any_child = [&] {
    return static_cast<std::size_t>(fault_rng_.range(1, district_.size() - 1));
  };
  if (roll(FaultKind::kPartitionLink) && district_.size() > 1) {
    counts_[static_cast<std::size_t>(FaultKind::kPartitionLink)]++;
    partition(any_child(), fault_rng_.range(1000, 15'000), FaultKind::kPartitionLink);
  }
  if (roll(FaultKind::kPartitionSubtree)) partition_subtree();
  if (roll(FaultKind::kPartitionRolling) && district_.size() > 1) partition_rolling();
  if (roll(FaultKind::kCrash)) crash(any_node(), fault_rng_.range(kDownMsMin, kDownMsMax));
  if (roll(FaultKind::kCrashMidCommit)) {
    const std::size_t i = any_node();
    if (nodes_[i]->running() && !nodes_[i]->store().armed()) {
      nodes_[i]->store().arm(static_cast<std::uint32_t>(fault_rng_.range(1, 3)));
    }
  }
  if (roll(FaultKind::kDiskFull)) disk_full(any_node(), fault_rng_.range(1000, 10'000));
  if (roll(FaultKind::kClockJumpBack)) {
    const std::size_t i = any_node();
    const auto ms = fault_rng_.range(50, kJumpBackMsMax);
    nodes_[i]->clock().step(-static_cast<std::int64_t>(ms));
    counts_[static_cast<std::size_t>(FaultKind::kClockJumpBack)]++;
    log_fault(FaultKind::kClockJumpBack, nodes_[i]->id() + " by " + std::to_string(ms) + " ms", 0);
  }
  if (roll(FaultKind::kClockJumpForward)) {
    const std::size_t i = any_node();
    const auto ms = fault_rng_.range(100, kJumpForwardMsMax);
    nodes_[i]->clock().step(static_cast<std::int64_t>(ms));
    counts_[static_cast<std::size_t>(FaultKind::kClockJumpForward)]++;
    log_fault(FaultKind::kClockJumpForward, nodes_[i]->id() + " by " + std::to_string(ms) + " ms",
              0);
  }
  agenda_.at(now_ + kFaultTickMs, [this] { fault_tick(); });
}

void Simulator::partition(std::size_t child, std::uint64_t duration_ms, FaultKind kind) {
  SimLink& l = net_.link_of_child(child);
  const bool cut = fault_rng_.chance(500'000);
  (cut ? l.cuts : l.blackholes)++;
  refresh_transport(child);
  log_fault(kind,
            district_.id(child) + "<->" + district_.id(district_.parent(child)) +
                (cut ? " (cut)" : " (black hole)"),
            duration_ms);
  agenda_.at(now_ + duration_ms, [this, child, cut] {
    if (phase_ != Phase::kFaults) return;
    SimLink& link = net_.link_of_child(child);
    (cut ? link.cuts : link.blackholes)--;
    refresh_transport(child);
  });
}

void Simulator::partition_subtree() {
  std::vector<std::size_t> streets = children_[0];
  if (streets.empty()) return;
  const std::size_t street = streets[fault_rng_.below(streets.size())];
  const std::uint64_t duration = fault_rng_.range(2000, 20'000);
  counts_[static_cast<std::size_t>(FaultKind::kPartitionSubtree)]++;
  // Either the street and its communities lose the district, or the communities lose the street.
  if (fault_rng_.chance(500'000) || children_[street].empty()) {
    partition(street, duration, FaultKind::kPartitionSubtree);
    return;
  }
  for (std::size_t c : children_[street]) partition(c, duration, FaultKind::kPartitionSubtree);
}

void Simulator::partition_rolling() {
  counts_[static_cast<std::size_t>(FaultKind::kPartitionRolling)]++;
  const std::uint64_t links = fault_rng_.range(3, 6);
  const std::uint64_t each_ms = fault_rng_.range(1000, 5000);
  for (std::uint64_t j = 0; j < links; ++j) {
    const auto child = static_cast<std::size_t>(fault_rng_.range(1, district_.size() - 1));
    agenda_.at(now_ + j * each_ms, [this, child, each_ms] {
      if (phase_ == Phase::kFaults) partition(child, each_ms, FaultKind::kPartitionRolling);
    });
  }
}

void Simulator::crash(std::size_t i, std::uint64_t down_ms) {
  if (!nodes_[i]->running()) return;
  counts_[static_cast<std::size_t>(FaultKind::kCrash)]++;
  log_fault(FaultKind::kCrash, nodes_[i]->id(), down_ms);
  nodes_[i]->crash();
  refresh_transports_of(i);
  agenda_.at(now_ + down_ms, [this, i] { restart(i); });
}

void Simulator::on_crashed(std::size_t i) {
  const std::uint64_t down_ms = fault_rng_.range(kDownMsMin, kDownMsMax);
  counts_[static_cast<std::size_t>(FaultKind::kCrashMidCommit)]++;
  log_fault(FaultKind::kCrashMidCommit, nodes_[i]->id(), down_ms);
  nodes_[i]->crash();
  refresh_transports_of(i);
  agenda_.at(now_ + (phase_ == Phase::kFaults ? down_ms : 1), [this, i] { restart(i); });
}

void Simulator::restart(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (n.running() || n.retired() || phase_ == Phase::kDone) return;
  restarts_++;
  if (Status st = n.start(now_); !st.is_ok()) {
    if (st.code() == Code::kUnavailable) {  // died again at a crash point: try once more later
      agenda_.at(now_ + kDownMsMin, [this, i] { restart(i); });
      return;
    }
    observations_.push_back({"restart_failed", n.id(), st.to_string()});
    return;
  }
  drain(i);
  if (eager_clerk_.erase(i) && phase_ == Phase::kFaults && !n.silent) {
    // Rolled back by hand: its clerk works before any neighbour can tell it what it lost, so it
    // signs sequence numbers it already used (sim/simulator_admin.cc).
    for (int k = 0; k < 3; ++k) with_node(i, [&](SimNode& node) { clerks_.act(node, now_, &ledger_, &trace_); });
  }
  refresh_transports_of(i);
}

void Simulator::disk_full(std::size_t i, std::uint64_t duration_ms) {
  counts_[static_cast<std::size_t>(FaultKind::kDiskFull)]++;
  log_fault(FaultKind::kDiskFull, nodes_[i]->id(), duration_ms);
  disk_full_episodes_[i]++;
  nodes_[i]->store().memory().set_fail_commits(true);
  agenda_.at(now_ + duration_ms, [this, i] {
    if (phase_ != Phase::kFaults) return;
    if (--disk_full_episodes_[i] == 0) nodes_[i]->store().memory().set_fail_commits(false);
  });
}

}  // namespace casesync::sim
