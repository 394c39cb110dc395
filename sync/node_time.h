// NodeTime: the core's two readings of time from the one wall clock the edge passes in. Event
// timestamps and the wall-clock fields of messages use the wall clock as given (the HLC absorbs
// its steps); timers use a monotonic time derived from it, which advances by the time between
// two readings and ignores a jump back or a jump of more than kStepMsMin — a clock step, not
// time passing. So NTP fixing a wall clock that was hours off (simulator finding F14) neither
// freezes a timer for hours nor fires them all at once, and the daemon can read the real wall
// clock on every tick.
#pragma once

#include <cstdint>

namespace casesync {

class NodeTime {
 public:
  // Readings further apart than this are a step: the daemon ticks every 50 ms, the simulator
  // likewise, so a longer gap is the clock moving, not time passing.
  static constexpr std::uint64_t kStepMsMin = 10'000;

  // Takes a wall-clock reading and returns the monotonic time for timers.
  std::uint64_t read(std::uint64_t wall_ms) {
    if (!started_) {
      started_ = true;
      mono_ms_ = wall_ms;
    } else if (wall_ms >= wall_ms_ && wall_ms - wall_ms_ <= kStepMsMin) {
      mono_ms_ += wall_ms - wall_ms_;
    } else {
      steps_++;
    }
    wall_ms_ = wall_ms;
    return mono_ms_;
  }
  std::uint64_t wall_ms() const { return wall_ms_; }
  std::uint64_t mono_ms() const { return mono_ms_; }
  std::uint64_t steps() const { return steps_; }  // clock steps seen

 private:
  bool started_ = false;
  std::uint64_t wall_ms_ = 0;
  std::uint64_t mono_ms_ = 0;
  std::uint64_t steps_ = 0;
};

}  // namespace casesync
