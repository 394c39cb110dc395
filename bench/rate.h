// Rate: how many operations a loop did per second, measured by repeating a step until a minimum
// duration has passed. Every machine-limit probe uses it, so they all time the same way: steady
// clock, warm-up excluded, at least `duration_min`. It also reads the calling thread's CPU time:
// on a busy machine the wall-clock rate falls while the rate per CPU-second does not, and the
// report shows both so a reader can tell a slow machine from a shared one.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace casesync::bench {

struct Rate {
  std::uint64_t ops = 0;
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // this thread's CPU time over the same interval
  double per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double per_cpu_s() const { return cpu_seconds > 0 ? static_cast<double>(ops) / cpu_seconds : 0; }
};

inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Calls `step()` — which performs `ops_per_step` operations — `warmup_steps` times untimed, then
// until `duration_min` has passed.
// REQUIRES: ops_per_step > 0.
template <class Step>
Rate measure_rate(std::chrono::milliseconds duration_min, std::uint64_t ops_per_step,
                  int warmup_steps, Step&& step) {
  for (int i = 0; i < warmup_steps; ++i) step();
  using Clock = std::chrono::steady_clock;
  const double cpu_start = thread_cpu_seconds();
  const auto start = Clock::now();
  Rate rate;
  for (auto now = start; now - start < duration_min; now = Clock::now()) {
    step();
    rate.ops += ops_per_step;
  }
  rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rate.cpu_seconds = thread_cpu_seconds() - cpu_start;
  return rate;
}

}  // namespace casesync::bench
