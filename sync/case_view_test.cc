// Proves the canonical order: parents first, ties by (hlc, origin, seq), the same order and
// digest for every arrival order.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "crypto/crypto.h"
#include "sync/case_view.h"

using namespace casesync;

TEST_CASE("canonical order is independent of arrival order") {
  REQUIRE(crypto::init().is_ok());
  auto keys = crypto::generate_keypair();
  std::vector<EventRecord> recs;
  auto make = [&](const std::string& origin, std::uint64_t seq, std::uint64_t hlc,
                  std::vector<Hash32> parents) {
    Event e;
    e.origin = origin;
    e.seq = seq;
    e.hlc = hlc;
    e.case_id = "c";
    e.kind = "k";
    e.parents = std::move(parents);
    recs.push_back(seal_event(e, keys.secret));
    return recs.back().hash;
  };
  Hash32 root = make("a", 1, 100, {});
  Hash32 x = make("b", 1, 50, {root});  // lower hlc than its parent: parents still come first
  Hash32 y = make("c", 1, 60, {root});
  make("a", 2, 70, {x, y});
  auto base = canonical_order(recs).value();
  REQUIRE(base.size() == 4);
  CHECK(base[0].record.hash == root);
  CHECK(base[1].record.hash == x);
  CHECK(base[2].record.hash == y);
  Hash32 digest = events_digest(base);
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    std::shuffle(recs.begin(), recs.end(), rng);
    CHECK(events_digest(canonical_order(recs).value()) == digest);
  }
}
