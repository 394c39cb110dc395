#include "sim/fault_profile.h"

namespace casesync::sim {

namespace {

struct KindInfo {
  FaultKind kind;
  const char* name;
  std::uint32_t ppm_max;  // the heaviest intensity a seed may draw
};

// Per-frame odds stay low enough that a window of batches still gets through; episode odds are
// per fault tick (every 500 virtual ms), so 100'000 ppm is one episode every ~5 s.
constexpr std::array<KindInfo, kFaultKinds> kKinds = {{
    {FaultKind::kDrop, "drop", 200'000},
    {FaultKind::kDuplicate, "duplicate", 100'000},
    {FaultKind::kReorder, "reorder", 200'000},
    {FaultKind::kDelay, "delay", 50'000},
    {FaultKind::kBitFlip, "bit_flip", 20'000},
    {FaultKind::kBitFlipEvent, "bit_flip_event", 50'000},
    {FaultKind::kPartitionLink, "partition_link", 150'000},
    {FaultKind::kPartitionRolling, "partition_rolling", 40'000},
    {FaultKind::kPartitionSubtree, "partition_subtree", 40'000},
    {FaultKind::kCrash, "crash", 100'000},
    {FaultKind::kCrashMidCommit, "crash_mid_commit", 100'000},
    {FaultKind::kDiskFull, "disk_full", 60'000},
    {FaultKind::kClockOffset, "clock_offset", 500'000},  // share of nodes skewed at start
    {FaultKind::kClockDrift, "clock_drift", 500'000},    // share of nodes drifting
    {FaultKind::kClockJumpBack, "clock_jump_back", 60'000},
    {FaultKind::kClockJumpForward, "clock_jump_forward", 60'000},
    {FaultKind::kRevoke, "revoke", 20'000},
    {FaultKind::kRotateKey, "rotate_key", 20'000},
    {FaultKind::kRestoreBackup, "restore_backup", 30'000},
    {FaultKind::kEquivocate, "equivocate", 15'000},
    {FaultKind::kWallClockStep, "wall_clock_step", 30'000},
    {FaultKind::kFallback, "fallback", 1'000'000},  // on or off for the seed; not an episode
    {FaultKind::kPublishPolicy, "publish_policy", 30'000},
    {FaultKind::kOutboxCap, "outbox_cap", 1'000'000},  // on or off for the seed; not an episode
    {FaultKind::kHostile, "hostile", 100'000},
}};

}  // namespace

const char* fault_kind_name(FaultKind kind) { return kKinds[static_cast<std::size_t>(kind)].name; }

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

FaultMask all_faults() {
  FaultMask m;
  m.fill(true);
  return m;
}

std::optional<FaultMask> parse_fault_mask(std::string_view text, std::string* error) {
  if (text == "all") return all_faults();
  FaultMask mask{};
  if (text == "none") return mask;
  const bool subtract = !text.empty() && text.front() == '-';
  if (subtract) mask = all_faults();
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (!item.empty() && item.front() == '-') item.remove_prefix(1);
    auto kind = fault_kind_from_name(item);
    if (!kind) {
      *error = "unknown fault kind \"" + std::string(item) + "\"";
      return std::nullopt;
    }
    mask[static_cast<std::size_t>(*kind)] = !subtract;
  }
  return mask;
}

FaultProfile draw_fault_profile(Rng& rng, const FaultMask& mask) {
  FaultProfile p;
  for (const auto& k : kKinds) {
    // Draw both numbers for every kind, masked or not, so a mask changes nothing else.
    const bool enabled = rng.chance(600'000);
    const auto ppm = static_cast<std::uint32_t>(rng.range(k.ppm_max / 10, k.ppm_max));
    if (enabled && mask[static_cast<std::size_t>(k.kind)])
      p.ppm[static_cast<std::size_t>(k.kind)] = ppm;
  }
  return p;
}

}  // namespace casesync::sim
