// Proves the outbox cap's verdict: bytes past sync.outbox_bytes_max or an oldest pending event
// older than sync.outbox_age_max_ms breach it, anything within (or an empty outbox) does not.
#include <doctest/doctest.h>

#include "sync/outbox_cap.h"

using namespace casesync;

TEST_CASE("cap_breach: bytes first, then age, both bounds exclusive") {
  SyncLimits limits;
  limits.outbox_bytes_max = 10'000;
  limits.outbox_age_max_ms = 60'000;
  const std::uint64_t now = 1'700'000'000'000;
  CHECK(cap_breach(0, 0, now, limits) == CapBreach::kWithin);
  CHECK(cap_breach(10'000, now - 60'000, now, limits) == CapBreach::kWithin);
  CHECK(cap_breach(10'001, now, now, limits) == CapBreach::kBytes);
  CHECK(cap_breach(10'001, now - 600'000, now, limits) == CapBreach::kBytes);
  CHECK(cap_breach(1, now - 60'001, now, limits) == CapBreach::kAge);
  // An event stamped by a clock ahead of ours is young, not negative-aged.
  CHECK(cap_breach(1, now + 3'600'000, now, limits) == CapBreach::kWithin);
  CHECK(std::string(cap_breach_name(CapBreach::kAge)) == "age");
}
