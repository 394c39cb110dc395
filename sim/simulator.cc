#include "sim/simulator.h"

#include <cassert>

#include "sync/limits.h"

namespace casesync::sim {

namespace {

constexpr std::uint64_t kTickIntervalMs = 50;    // as the daemon (daemon/node_runtime.cc)
constexpr std::uint64_t kLimitSampleTicks = 10;  // window checks every 10th tick of a node
constexpr std::uint64_t kClerkGapMsMin = 20;
constexpr std::uint64_t kClerkGapMsMax = 200;
constexpr std::uint32_t kSilentStationPpm = 100'000;
constexpr std::uint32_t kRushPpm = 100'000;  // one clerk action in ten is a rush on one case
constexpr std::size_t kRushRecentCases = 8;

// One independent stream per purpose: a new draw in the network does not reshuffle the clerks.
enum class Stream : std::uint64_t { kProfile = 1, kLimits, kNetwork, kClerks, kFaults, kSetup, kAdmin, kHostile };
Rng stream(std::uint64_t seed, Stream s) {
  return Rng(seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(s));
}

// Small batches and windows reach the edge cases (window full, resends, ahead buffer) that the
// daemon's defaults rarely touch; every value stays inside the ranges node_config accepts.
SyncLimits draw_limits(Rng rng, bool tiny_outbox_caps) {
  constexpr std::uint32_t kBatchEvents[] = {1, 2, 4, 8, 16, 64, 512};
  constexpr std::uint32_t kBatchBytes[] = {4096, 64 * 1024, 1u << 20};
  SyncLimits l;
  l.batch_events_max = kBatchEvents[rng.below(std::size(kBatchEvents))];
  l.batch_bytes_max = kBatchBytes[rng.below(std::size(kBatchBytes))];
  l.window_batches_max = static_cast<std::uint32_t>(rng.range(1, 8));
  l.resend_timeout_ms = static_cast<std::uint32_t>(rng.range(300, 3000));
  l.heartbeat_interval_ms = static_cast<std::uint32_t>(rng.range(200, 1000));
  l.peer_timeout_ms = static_cast<std::uint32_t>(rng.range(3 * l.heartbeat_interval_ms, 6000));
  // Only matters when the seed gives communities a fallback parent (FaultKind::kFallback).
  l.fallback_after_ms = static_cast<std::uint32_t>(rng.range(1000, 10'000));
  // Outbox caps a partition of seconds passes (FaultKind::kOutboxCap), at the bottom of their
  // ranges: outboxes are dropped and peers caught up again under every other fault. Drawn last
  // and always, so the draws above stay what they were.
  constexpr std::uint32_t kCapBytes[] = {4096, 16 * 1024, 64 * 1024};
  const std::uint32_t cap_bytes = kCapBytes[rng.below(std::size(kCapBytes))];
  const auto cap_age_ms = static_cast<std::uint32_t>(rng.range(10'000, 30'000));
  if (tiny_outbox_caps) {
    l.outbox_bytes_max = cap_bytes;
    l.outbox_age_max_ms = cap_age_ms;
  }
  return l;
}

FaultProfile profile_for(const SimOptions& o) {
  Rng rng = stream(o.seed, Stream::kProfile);
  return draw_fault_profile(rng, o.faults);
}

}  // namespace

Simulator::Simulator(const District& district, SimOptions options)
    : district_(district),
      options_(options),
      rng_(stream(options.seed, Stream::kSetup)),
      fault_rng_(stream(options.seed, Stream::kFaults)),
      admin_rng_(stream(options.seed, Stream::kAdmin)),
      hostile_rng_(stream(options.seed, Stream::kHostile)),
      profile_(profile_for(options)),
      limits_(draw_limits(stream(options.seed, Stream::kLimits),
                          profile_.on(FaultKind::kOutboxCap))),
      disk_full_episodes_(district.size(), 0),
      net_(&district, stream(options.seed, Stream::kNetwork), profile_, &counts_),
      book_(&district, profile_.on(FaultKind::kFallback)),
      clerks_(&district, &book_, stream(options.seed, Stream::kClerks), options.reopen),
      closure_(district.size()),
      snapshots_(district.size()) {
  static_assert(kTickIntervalMs * kLimitSampleTicks < 1000, "limits are sampled every second");
}

RunResult Simulator::run() {
  setup();
  while (!agenda_.empty() && phase_ != Phase::kDone) {
    auto action = agenda_.pop(&now_);
    action();
  }
  RunResult r;
  finish(&r);
  return r;
}

void Simulator::setup() {
  children_.resize(district_.size());
  for (std::size_t i = 0; i < district_.size(); ++i) {
    nodes_.push_back(std::make_unique<SimNode>(&district_, &book_, i, limits_));
    if (i != 0) children_[district_.parent(i)].push_back(i);
    if (i != 0) nodes_[i]->silent = rng_.chance(kSilentStationPpm);
  }
  draw_clocks();
  for (std::size_t i = 0; i < district_.size(); ++i) {
    if (!nodes_[i]->start(now_).is_ok()) {
      observations_.push_back({"start_failed", nodes_[i]->id(), "the first start() failed"});
    }
    drain(i);
    agenda_.at((i * 7) % kTickIntervalMs, [this, i] { tick(i); });
  }
  for (std::size_t i = 1; i < district_.size(); ++i) refresh_transport(i);
  agenda_.at(kClerkGapMsMin, [this] { clerk(); });
  agenda_.at(0, [this] { fault_tick(); });
  agenda_.at(0, [this] { admin_tick(); });
  if (profile_.on(FaultKind::kHostile)) agenda_.at(0, [this] { hostile_tick(); });
  agenda_.at(options_.fault_phase_ms, [this] { heal(); });
}

void Simulator::tick(std::size_t i) {
  if (phase_ == Phase::kDone) return;
  with_node(i, [&](SimNode& n) { n.core().on_tick(n.now(now_)); });
  SimNode& n = *nodes_[i];
  if (n.running() && ++ticks_ % kLimitSampleTicks == 0) sample_limits(n);
  agenda_.at(now_ + kTickIntervalMs, [this, i] { tick(i); });
}

void Simulator::sample_limits(SimNode& n) {
  for (const auto& l : n.core().links()) {
    if (l.in_flight_batches > limits_.window_batches_max) {
      observations_.push_back({"limit", n.id(),
                               std::to_string(l.in_flight_batches) + " batches in flight to " +
                                   l.peer + " (window " +
                                   std::to_string(limits_.window_batches_max) + ")"});
    }
  }
}

void Simulator::clerk() {
  if (phase_ != Phase::kFaults) return;
  agenda_.at(now_ + rng_.range(kClerkGapMsMin, kClerkGapMsMax), [this] { clerk(); });
  // Drawn even when rushes are off: --no-rush changes the clerks' stream, no other.
  if (rng_.chance(kRushPpm) && options_.rush) return rush();
  std::vector<std::size_t> open;
  for (const auto& n : nodes_) {
    if (n->running() && !n->silent) open.push_back(n->index());
  }
  if (open.empty()) return;
  const std::size_t i = open[rng_.below(open.size())];
  with_node(i, [&](SimNode& n) { clerks_.act(n, now_, &ledger_, &trace_); });
}

void Simulator::rush() {
  // A recent case as the district sees it, worked at once by every station that holds it.
  SimNode& d = *nodes_[0];
  if (!d.running()) return;
  auto rows = d.store().list_cases(kRushRecentCases);
  if (!rows.is_ok() || rows->empty()) return;
  const std::string case_id = (*rows)[rng_.below(rows->size())].case_id;
  for (auto& n : nodes_) {
    if (!n->running() || n->silent || n->store().case_events(case_id)->empty()) continue;
    with_node(n->index(),
              [&](SimNode& node) { clerks_.act_on(node, case_id, now_, &ledger_, &trace_); });
  }
}

RunResult run_seed(const SimOptions& options) {
  const District district(options.topology, options.seed);
  Simulator sim(district, options);
  return sim.run();
}

}  // namespace casesync::sim
