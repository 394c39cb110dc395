// Hybrid logical clock (Kulkarni et al.): 48 bits of wall-clock milliseconds and a 16-bit counter
// in one uint64, so timestamps order like numbers, stay close to real time, and never go
// backwards even when the wall clock does. The owner persists last() so a restart cannot reuse a
// timestamp. Pure: the wall time is passed in.
#pragma once

#include <cstdint>

namespace casesync {

class HybridClock {
 public:
  static constexpr std::uint64_t kCounterBits = 16;
  static constexpr std::uint64_t kCounterMask = (1ull << kCounterBits) - 1;

  static std::uint64_t pack(std::uint64_t ms, std::uint64_t counter) {
    return (ms << kCounterBits) | (counter & kCounterMask);
  }
  static std::uint64_t millis(std::uint64_t hlc) { return hlc >> kCounterBits; }
  static std::uint64_t counter(std::uint64_t hlc) { return hlc & kCounterMask; }

  explicit HybridClock(std::uint64_t last = 0) : last_(last) {}

  // A timestamp for a local event or an outgoing message.
  std::uint64_t now(std::uint64_t wall_ms);
  // Merges a timestamp received from a peer; returns the new local time (> both inputs).
  std::uint64_t observe(std::uint64_t remote_hlc, std::uint64_t wall_ms);
  std::uint64_t last() const { return last_; }

 private:
  // Moves to max(candidate, last+1) so every result is strictly increasing; a counter overflow
  // carries into the milliseconds instead of wrapping.
  std::uint64_t advance(std::uint64_t candidate);
  std::uint64_t last_;
};

}  // namespace casesync
