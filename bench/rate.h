// Rate: how many operations a loop did per second of wall time, measured by repeating a step
// until a minimum duration has passed. Every machine-limit probe of the benchmark uses it, so
// they all time the same way (steady clock, warm-up excluded, at least `duration_min`).
#pragma once

#include <chrono>
#include <cstdint>

namespace casesync::bench {

struct Rate {
  std::uint64_t ops = 0;
  double seconds = 0;
  double per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

// Calls `step()` — which performs `ops_per_step` operations — `warmup_steps` times untimed, then
// until `duration_min` has passed.
// REQUIRES: ops_per_step > 0.
template <class Step>
Rate measure_rate(std::chrono::milliseconds duration_min, std::uint64_t ops_per_step,
                  int warmup_steps, Step&& step) {
  for (int i = 0; i < warmup_steps; ++i) step();
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  Rate rate;
  for (auto now = start; now - start < duration_min; now = Clock::now()) {
    step();
    rate.ops += ops_per_step;
  }
  rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return rate;
}

}  // namespace casesync::bench
