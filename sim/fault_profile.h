// The faults a run injects. Each seed draws its own FaultProfile (swarm testing, as in
// TigerBeetle's VOPR): every fault kind is switched on or off and given an intensity by the seed,
// so some runs hammer one kind while others mix all of them — a uniform mix of everything would
// rarely produce, say, a long quiet partition with nothing else going on.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/rng.h"

namespace casesync::sim {

enum class FaultKind : std::uint8_t {
  kDrop,              // a frame is lost
  kDuplicate,         // a frame arrives twice
  kReorder,           // a frame overtakes (or is overtaken by) others on its link
  kDelay,             // a frame arrives seconds late
  kBitFlip,           // one bit anywhere in a frame is flipped on the wire
  kBitFlipEvent,      // one bit inside an event (signed bytes or signature) of a batch
  kPartitionLink,     // one child-parent link is cut or black-holed for a while
  kPartitionRolling,  // a series of links, one after another
  kPartitionSubtree,  // a street and all its communities cut off from the district
  kCrash,             // a node's process dies between two calls and restarts later
  kCrashMidCommit,    // a node dies inside a commit (the transaction is lost)
  kDiskFull,          // a node's commits fail for a while
  kClockOffset,       // a node's wall clock is off by up to ten minutes
  kClockDrift,        // a node's clock runs fast or slow
  kClockJumpBack,     // a node's clock steps backwards
  kClockJumpForward,  // a node's clock steps forwards
  // Administration and operations (sim/simulator_admin.cc). Kept after the older kinds so a seed
  // that draws none of them runs exactly as it did before they existed.
  kRevoke,         // the district revokes a community, perhaps while its events are queued
  kRotateKey,      // a node gets a new signing key in a new roster version
  kRestoreBackup,  // a node is restored from an older backup with `casesyncctl restore`
  kEquivocate,     // a node's database is rolled back by hand (no restore marker): it may sign
                   // sequence numbers it already used
  kWallClockStep,  // a node's wall clock is wrong by hours or days, then NTP steps it right
  kFallback,       // communities switch to their fallback parent (the district) after seconds
  kPublishPolicy,  // the district publishes a new policy bundle while events are moving
  kOutboxCap,      // tiny outbox caps: a peer away for seconds has its outbox dropped and is
                   // caught up again when it returns (sync/outbox_cap.h)
  kHostile,        // someone with a copy of a community's key sends its street forged events
};
inline constexpr std::size_t kFaultKinds = 25;
const char* fault_kind_name(FaultKind kind);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

// Which kinds a run may use. Applied after the profile is drawn, so excluding a kind leaves
// every other decision of the seed unchanged.
using FaultMask = std::array<bool, kFaultKinds>;
FaultMask all_faults();
// "all", "none", or a comma list; a leading '-' on an item removes it from "all":
// "-bit_flip,-clock_jump_back". Returns nullopt and sets *error on an unknown name.
std::optional<FaultMask> parse_fault_mask(std::string_view text, std::string* error);

using FaultCounts = std::array<std::uint64_t, kFaultKinds>;

// Odds are per million: per frame for the network kinds, per fault tick for episodes.
struct FaultProfile {
  std::array<std::uint32_t, kFaultKinds> ppm{};
  bool on(FaultKind k) const { return ppm[static_cast<std::size_t>(k)] != 0; }
  std::uint32_t odds(FaultKind k) const { return ppm[static_cast<std::size_t>(k)]; }
};

FaultProfile draw_fault_profile(Rng& rng, const FaultMask& mask);

}  // namespace casesync::sim
