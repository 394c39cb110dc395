// The daemon's clock for the protocol core: wall-clock milliseconds at startup plus monotonic
// time since, so timers never run backwards when an administrator (or NTP) steps the wall clock.
// The HLC keeps event timestamps monotonic on top of it.
#pragma once

#include <chrono>
#include <cstdint>

namespace casesync {

class DaemonClock {
 public:
  DaemonClock()
      : wall_at_start_ms_(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count())),
        mono_start_(std::chrono::steady_clock::now()) {}

  std::uint64_t now_ms() const {
    auto elapsed = std::chrono::steady_clock::now() - mono_start_;
    return wall_at_start_ms_ + static_cast<std::uint64_t>(
                                   std::chrono::duration_cast<std::chrono::milliseconds>(elapsed)
                                       .count());
  }

 private:
  std::uint64_t wall_at_start_ms_;
  std::chrono::steady_clock::time_point mono_start_;
};

}  // namespace casesync
