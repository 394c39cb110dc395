// Proves the penalty policy on a fake clock: the sliding window, the ban and its end, doubling to
// the cap with bounded jitter, forgiveness after a quiet period, and peers judged apart.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/peer_penalty.h"

#include <doctest/doctest.h>

#include <set>

namespace casesync {
namespace {

constexpr std::uint64_t kStart = 1'000'000;  // any clock reading; the policy only subtracts

PenaltyConfig config() {
  PenaltyConfig c;
  c.rejects_max = 5;
  c.window_ms = 10'000;
  c.ban_ms = 4'000;
  c.ban_max_ms = 20'000;
  c.forgive_after_ms = 60'000;
  return c;
}

// The shortest a ban of this doubling step may be after jitter.
std::uint64_t floor_of(std::uint64_t step_ms) {
  return step_ms -
         static_cast<std::uint64_t>(static_cast<double>(step_ms) * PeerPenalty::kJitterFraction);
}

// Refused inputs one per ms from `at` until a ban; returns it (fails the test when none comes).
Ban provoke(PeerPenalty& p, const std::string& peer, std::uint64_t at) {
  for (std::uint32_t i = 0; i <= p.config().rejects_max; ++i) {
    if (auto ban = p.on_rejected(peer, 1, at + i)) return *ban;
  }
  FAIL("no ban after rejects_max + 1 refused inputs");
  return {};
}

TEST_CASE("rejects_max refused inputs in the window are tolerated; one more bans") {
  PeerPenalty p(config(), 1);
  for (std::uint64_t i = 0; i < 5; ++i) CHECK_FALSE(p.on_rejected("c01", 1, kStart + i));
  CHECK(p.ban_of("c01") == nullptr);
  auto ban = p.on_rejected("c01", 1, kStart + 5);
  REQUIRE(ban);
  CHECK(ban->offence == 1);
  CHECK(ban->rejects == 6);
  CHECK(ban->since_ms == kStart + 5);
  CHECK(ban->until_ms - ban->since_ms <= 4'000);
  CHECK(ban->until_ms - ban->since_ms >= floor_of(4'000));
  REQUIRE(p.ban_of("c01") != nullptr);
  CHECK(p.ban_of("c01")->until_ms == ban->until_ms);
  CHECK(p.bans_total() == 1);
}

TEST_CASE("several refusals from one frame count as several") {
  PeerPenalty p(config(), 1);
  CHECK_FALSE(p.on_rejected("c01", 5, kStart));
  CHECK(p.on_rejected("c01", 1, kStart));
  PeerPenalty q(config(), 1);
  CHECK(q.on_rejected("c01", 1000, kStart));  // bounded: no matter how many at once
  CHECK_FALSE(q.on_rejected("c01", 0, kStart));
}

TEST_CASE("the window slides: the same refusals spread thinner never ban") {
  PeerPenalty p(config(), 1);
  // One every 2.5 s: never more than 4 inside any 10 s window.
  for (std::uint64_t i = 0; i < 100; ++i) {
    CHECK_FALSE(p.on_rejected("c01", 1, kStart + i * 2'500));
  }
  // An input exactly `window` old has left it.
  PeerPenalty q(config(), 1);
  for (std::uint64_t i = 0; i < 5; ++i) CHECK_FALSE(q.on_rejected("c01", 1, kStart));
  CHECK_FALSE(q.on_rejected("c01", 1, kStart + 10'000));
  CHECK(q.on_rejected("c01", 5, kStart + 10'001));
}

TEST_CASE("a ban ends at its time, and only then") {
  PeerPenalty p(config(), 7);
  const Ban ban = provoke(p, "c01", kStart);
  CHECK(p.take_expired(ban.until_ms - 1).empty());
  CHECK(p.ban_of("c01") != nullptr);
  CHECK(p.take_expired(ban.until_ms) == std::vector<std::string>{"c01"});
  CHECK(p.ban_of("c01") == nullptr);
  CHECK(p.take_expired(ban.until_ms + 1).empty());  // reported once
  CHECK(p.bans_in_force().empty());
}

TEST_CASE("refusals while banned neither extend the ban nor start another") {
  PeerPenalty p(config(), 7);
  const Ban ban = provoke(p, "c01", kStart);
  CHECK_FALSE(p.on_rejected("c01", 100, kStart + 100));
  CHECK(p.ban_of("c01")->until_ms == ban.until_ms);
  CHECK(p.bans_total() == 1);
  // The window starts empty after a ban: the peer gets its full allowance back.
  p.take_expired(ban.until_ms);
  for (std::uint64_t i = 0; i < 5; ++i) CHECK_FALSE(p.on_rejected("c01", 1, ban.until_ms + i));
}

TEST_CASE("each repeat offence doubles the ban up to ban_max, jitter within bounds") {
  const std::uint64_t steps[] = {4'000, 8'000, 16'000, 20'000, 20'000};
  PeerPenalty p(config(), 42);
  std::uint64_t now = kStart;
  for (std::uint32_t offence = 1; offence <= 5; ++offence) {
    const Ban ban = provoke(p, "c01", now);
    CAPTURE(offence);
    CHECK(ban.offence == offence);
    const std::uint64_t length = ban.until_ms - ban.since_ms;
    CHECK(length <= steps[offence - 1]);
    CHECK(length >= floor_of(steps[offence - 1]));
    now = ban.until_ms;
    CHECK(p.take_expired(now).size() == 1);
  }
  CHECK(p.bans_by_peer().at("c01") == 5);
}

TEST_CASE("jitter: seeds spread first bans over the allowed range; one seed repeats itself") {
  std::set<std::uint64_t> lengths;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    PeerPenalty p(config(), seed);
    const Ban ban = provoke(p, "c01", kStart);
    lengths.insert(ban.until_ms - ban.since_ms);
  }
  CHECK(lengths.size() > 10);
  CHECK(*lengths.begin() >= floor_of(4'000));
  CHECK(*lengths.rbegin() <= 4'000);
  PeerPenalty a(config(), 9), b(config(), 9);
  CHECK(provoke(a, "c01", kStart).until_ms == provoke(b, "c01", kStart).until_ms);
}

TEST_CASE("a quiet forgive_after after the ban ends makes the next ban a first one again") {
  PeerPenalty p(config(), 3);
  Ban ban = provoke(p, "c01", kStart);
  p.take_expired(ban.until_ms);
  // Back soon: the second offence.
  ban = provoke(p, "c01", ban.until_ms + 1'000);
  CHECK(ban.offence == 2);
  p.take_expired(ban.until_ms);
  // A stray refusal now and then is within the allowance and restarts the quiet period.
  CHECK_FALSE(p.on_rejected("c01", 1, ban.until_ms + 59'000));
  ban = provoke(p, "c01", ban.until_ms + 118'000);
  CHECK(ban.offence == 3);
  p.take_expired(ban.until_ms);
  // Quiet for forgive_after since the ban ended: forgiven.
  ban = provoke(p, "c01", ban.until_ms + 60'000);
  CHECK(ban.offence == 1);
  CHECK(ban.until_ms - ban.since_ms <= 4'000);
}

TEST_CASE("peers are judged apart") {
  PeerPenalty p(config(), 5);
  for (std::uint64_t i = 0; i < 5; ++i) {
    CHECK_FALSE(p.on_rejected("c01", 1, kStart + i));
    CHECK_FALSE(p.on_rejected("c02", 1, kStart + i));
  }
  CHECK(p.on_rejected("c01", 1, kStart + 10));
  CHECK(p.ban_of("c02") == nullptr);
  CHECK(p.bans_in_force().size() == 1);
  CHECK(p.bans_by_peer().count("c02") == 0);
}

}  // namespace
}  // namespace casesync
