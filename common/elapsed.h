// Time elapsed between two readings of a clock that may step back (a virtual clock in the
// simulator, a wall clock corrected by NTP): never wraps around, so a backward step reads as
// "no time passed" instead of as 584 million years (which would fire every timer at once).
#pragma once

#include <cstdint>

namespace casesync {

constexpr std::uint64_t elapsed_ms(std::uint64_t now_ms, std::uint64_t since_ms) {
  return now_ms > since_ms ? now_ms - since_ms : 0;
}

}  // namespace casesync
