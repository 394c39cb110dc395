// The daemon's clock for the protocol core: the wall clock, read afresh on every call, so a
// terminal that booted with a wrong RTC is right again as soon as NTP fixes it. The core keeps
// its timers on a monotonic time it derives from these readings and the HLC keeps event
// timestamps monotonic (sync/node_time.h), so a step of the wall clock fires no timer early and
// freezes none.
#pragma once

#include <chrono>
#include <cstdint>

namespace casesync {

class DaemonClock {
 public:
  std::uint64_t now_ms() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }
  // For the loop's own pacing (tick interval, watchdog), which must not jump with the wall clock.
  std::uint64_t mono_ms() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }
};

}  // namespace casesync
