// Rng: the simulator's only source of randomness. xoshiro256** seeded through splitmix64, so a
// seed names one run on every machine and compiler (std::uniform_*_distribution is not portable
// across standard libraries, which would break "same seed, same run" between CI and a laptop).
#pragma once

#include <cassert>
#include <cstdint>

namespace casesync::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_) word = splitmix64(&seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n). REQUIRES: n > 0. The modulo bias (< n / 2^64) is irrelevant here.
  std::uint64_t below(std::uint64_t n) {
    assert(n > 0);
    return next() % n;
  }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi) {
    assert(lo <= hi);
    return lo + below(hi - lo + 1);
  }
  // True with probability `per_million` / 1e6: integer odds keep runs free of float rounding.
  bool chance(std::uint64_t per_million) { return below(1'000'000) < per_million; }

  // An independent stream for one purpose (network, workload, faults), so adding a draw in one
  // place does not reshuffle every other decision of the run.
  Rng fork() { return Rng(next()); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t* state) {
    std::uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

}  // namespace casesync::sim
