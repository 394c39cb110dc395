#include "sync/hlc.h"

#include <algorithm>

namespace casesync {

std::uint64_t HybridClock::advance(std::uint64_t candidate) {
  // Packed values compare like (ms, counter) pairs, and last_ + 1 carries a full counter into
  // the next millisecond, which is exactly the HLC rule.
  last_ = std::max(candidate, last_ + 1);
  return last_;
}

std::uint64_t HybridClock::now(std::uint64_t wall_ms) { return advance(pack(wall_ms, 0)); }

std::uint64_t HybridClock::observe(std::uint64_t remote_hlc, std::uint64_t wall_ms) {
  return advance(std::max(pack(wall_ms, 0), remote_hlc + 1));
}

}  // namespace casesync
