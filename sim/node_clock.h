// NodeClock: one node's wall clock as its protocol core sees it (the now_ms of every call): the
// virtual time plus a fixed offset, a drift, and the steps an administrator or NTP made. Steps
// may go backwards: the daemon's clock never does for timers, but the HLC must stay monotonic
// whatever now_ms it is given, and the simulator checks that.
#pragma once

#include <cstdint>

namespace casesync::sim {

// Virtual time 0 is this wall-clock instant (Nov 2023), so HLC values look like real ones.
inline constexpr std::uint64_t kEpochMs = 1'700'000'000'000;

class NodeClock {
 public:
  NodeClock() = default;
  NodeClock(std::int64_t offset_ms, std::int32_t drift_ppm)
      : offset_ms_(offset_ms), drift_ppm_(drift_ppm) {}

  std::uint64_t now(std::uint64_t virtual_ms) const {
    const std::int64_t v = static_cast<std::int64_t>(virtual_ms);
    const std::int64_t drift = v * drift_ppm_ / 1'000'000;
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(kEpochMs) + v + offset_ms_ + drift);
  }
  void step(std::int64_t delta_ms) { offset_ms_ += delta_ms; }
  std::int64_t offset_ms() const { return offset_ms_; }

 private:
  std::int64_t offset_ms_ = 0;
  std::int32_t drift_ppm_ = 0;
};

}  // namespace casesync::sim
