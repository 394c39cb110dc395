// The district admin's operations as faults: revoking a community (perhaps while its events sit
// queued at its street), rotating a node's key, restoring a node from an older backup (with the
// restore marker, or copied back by hand so the node may sign sequence numbers it already used),
// and a node whose wall clock is wrong by hours or days until NTP steps it right. They draw from
// their own stream, so a seed without them runs exactly as it did before they existed.
#include "sim/sim_policy.h"
#include "sim/simulator.h"

namespace casesync::sim {

namespace {
constexpr std::uint64_t kAdminTickMs = 500;
constexpr std::uint32_t kSnapshotPpm = 200'000;          // a backup of some node every ~2.5 s
constexpr std::uint64_t kSnapshotAgeMinMs = 2000;        // a restore goes back at least this far
constexpr std::size_t kRevokedMax = 2;                   // keep most of the district at work
constexpr std::uint64_t kWallStepMsMin = 3'600'000;      // an RTC wrong by an hour ...
constexpr std::uint64_t kWallStepMsMax = 2 * 86'400'000;  // ... to two days
constexpr std::uint64_t kNtpFixMsMin = 2000;
constexpr std::uint64_t kNtpFixMsMax = 20'000;
constexpr std::uint64_t kAdminDownMsMin = 200;
constexpr std::uint64_t kAdminDownMsMax = 5000;

std::uint64_t durable_last_seq(CrashPointStore& store) {
  auto seq = store.get_meta("next_seq");
  return seq.is_ok() && *seq ? std::stoull(**seq) - 1 : 0;
}
}  // namespace

void Simulator::admin_tick() {
  if (phase_ != Phase::kFaults) return;
  agenda_.at(now_ + kAdminTickMs, [this] { admin_tick(); });
  auto roll = [&](FaultKind k) { return profile_.on(k) && admin_rng_.chance(profile_.odds(k)); };
  auto any_node = [&] { return static_cast<std::size_t>(admin_rng_.below(district_.size())); };
  if ((profile_.on(FaultKind::kRestoreBackup) || profile_.on(FaultKind::kEquivocate)) &&
      admin_rng_.chance(kSnapshotPpm)) {
    take_snapshot(any_node());
  }
  if (roll(FaultKind::kRestoreBackup)) restore(any_node(), /*marker=*/true);
  if (roll(FaultKind::kEquivocate)) restore(any_node(), /*marker=*/false);
  if (roll(FaultKind::kRevoke)) revoke(any_node());
  if (roll(FaultKind::kRotateKey)) rotate_key(any_node());
  if (roll(FaultKind::kWallClockStep)) wall_clock_step(any_node());
  if (roll(FaultKind::kPublishPolicy)) publish_policy();
}

// The district publishes its next policy bundle mid-sync (docs/POLICY.md); it reaches the other
// nodes through the same gossip as the roster, each at its own time (partitions, crashes). The
// text stands for a calendar and carries deadline defaults (sim/sim_policy.h).
void Simulator::publish_policy() {
  if (!nodes_[0]->running()) return;
  counts_[static_cast<std::size_t>(FaultKind::kPublishPolicy)]++;
  const std::uint64_t version = ++policy_version_;
  log_fault(FaultKind::kPublishPolicy, "version " + std::to_string(version), 0);
  with_node(0, [&](SimNode& d) {
    SignedDoc doc{version, sim_policy_text(version), std::string(SimNode::kPolicySignature)};
    Status st = d.core().install_policy(doc, d.now(now_));
    if (!st.is_ok()) observations_.push_back({"admin_error", d.id(), st.to_string()});
  });
}

void Simulator::take_snapshot(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (!n.running()) return;
  snapshots_[i] = {n.store().memory().backup(), now_, durable_last_seq(n.store())};
}

bool Simulator::held_elsewhere(std::size_t i, const std::string& origin, std::uint64_t seq) {
  for (std::size_t j = 0; j < nodes_.size(); ++j) {
    if (j == i || nodes_[j]->retired()) continue;
    auto held = nodes_[j]->store().get_event(origin, seq);
    if (held.is_ok() && held->has_value()) return true;
  }
  return false;
}

void Simulator::write_off(std::size_t i, std::uint64_t after_seq, const std::string& why) {
  const std::string& id = nodes_[i]->id();
  // Every seq it signed after `after_seq` that no other node holds (receipts the core signed
  // included, which are no clerk's write): gone with it, a gap in its sequence.
  for (std::uint64_t seq = after_seq + 1; seq <= durable_last_seq(nodes_[i]->store()); ++seq) {
    if (!held_elsewhere(i, id, seq)) lost_seqs_.insert({id, seq});
  }
  ledger_.write_off_if(
      [&](const AckedEvent& a) {
        return a.origin == id && a.seq > after_seq && !held_elsewhere(i, a.origin, a.seq);
      },
      why);
}

// With the marker: `casesyncctl restore` of an older backup. Without: the same file copied back
// by hand, which the node cannot tell from its own database — it may sign again the sequence
// numbers it used after the backup (an equivocation the district must see and resolve).
void Simulator::restore(std::size_t i, bool marker) {
  Snapshot& snap = snapshots_[i];
  SimNode& n = *nodes_[i];
  if (n.retired() || !snap.store || now_ - snap.taken_ms < kSnapshotAgeMinMs) return;
  const FaultKind kind = marker ? FaultKind::kRestoreBackup : FaultKind::kEquivocate;
  counts_[static_cast<std::size_t>(kind)]++;
  const std::uint64_t down_ms = admin_rng_.range(kAdminDownMsMin, kAdminDownMsMax);
  log_fault(kind, n.id() + " to its backup of " + std::to_string(snap.taken_ms) + " ms", down_ms);
  write_off(i, snap.last_seq, "written after the backup it was restored from, and held nowhere else");
  if (!marker) {
    equivocators_.insert(n.id());
    eager_clerk_.insert(i);
    // What it signed after the backup may be signed again differently; the district resolves
    // each such seq to one version, which need not be the acknowledged one.
    ledger_.write_off_if([&](const AckedEvent& a) { return a.origin == n.id() && a.seq > snap.last_seq; },
                         "signed again after a rollback without restore marker");
  }
  n.restore(snap.store->backup(), marker);
  closure_.reset(i);
  refresh_transports_of(i);
  agenda_.at(now_ + down_ms, [this, i] { restart(i); });
}

void Simulator::revoke(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (district_.role(i) != Role::kCommunity || n.retired() ||
      book_.revoked_ids().size() >= kRevokedMax || !nodes_[0]->running()) {
    return;
  }
  counts_[static_cast<std::size_t>(FaultKind::kRevoke)]++;
  const std::uint64_t version = book_.revoke(n.id());
  log_fault(FaultKind::kRevoke, n.id() + " in roster version " + std::to_string(version), 0);
  with_node(0, [&](SimNode& d) {
    Status st = d.core().install_roster(book_.signed_at(version), d.now(now_));
    if (!st.is_ok()) observations_.push_back({"admin_error", d.id(), st.to_string()});
  });
  // Switched off for good; the ZAP handlers refuse its key from now on.
  n.retire();
  write_off(i, 0, "never left the node before it was revoked");
  refresh_transports_of(i);
}

void Simulator::rotate_key(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (!n.running()) return;
  counts_[static_cast<std::size_t>(FaultKind::kRotateKey)]++;
  const std::uint64_t down_ms = admin_rng_.range(kAdminDownMsMin, kAdminDownMsMax);
  // The admin stops the node, rotates its key (the old one still verifies what it signed so
  // far), copies the new roster and key to it, installs the roster at the district, restarts.
  n.crash();
  refresh_transports_of(i);
  const std::uint64_t version = book_.rotate(i, durable_last_seq(n.store()));
  log_fault(FaultKind::kRotateKey, n.id() + " in roster version " + std::to_string(version),
            down_ms);
  n.set_roster_version(version);
  if (i != 0) {
    with_node(0, [&](SimNode& d) {
      Status st = d.core().install_roster(book_.signed_at(version), d.now(now_));
      if (!st.is_ok()) observations_.push_back({"admin_error", d.id(), st.to_string()});
    });
  }
  agenda_.at(now_ + down_ms, [this, i] { restart(i); });
}

void Simulator::wall_clock_step(std::size_t i) {
  const auto ms = static_cast<std::int64_t>(admin_rng_.range(kWallStepMsMin, kWallStepMsMax));
  const std::int64_t delta = admin_rng_.chance(500'000) ? ms : -ms;
  const std::uint64_t fixed_after = admin_rng_.range(kNtpFixMsMin, kNtpFixMsMax);
  counts_[static_cast<std::size_t>(FaultKind::kWallClockStep)]++;
  log_fault(FaultKind::kWallClockStep, nodes_[i]->id() + " by " + std::to_string(delta) + " ms",
            fixed_after);
  nodes_[i]->clock().step(delta);
  // NTP puts it right again, in the heal phase too: a right clock is part of healing.
  agenda_.at(now_ + fixed_after, [this, i, delta] { nodes_[i]->clock().step(-delta); });
}

}  // namespace casesync::sim
