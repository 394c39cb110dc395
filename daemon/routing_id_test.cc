// Proves that routing ids are told apart by node and handshake, and that no id this node did not
// assign — another node's, a client's claim, an altered or another process's id — passes check().
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/routing_id.h"

#include <doctest/doctest.h>

#include "crypto/crypto.h"

using namespace casesync;

namespace {
RoutingIds fresh() {
  REQUIRE(crypto::init().is_ok());
  return RoutingIds(crypto::random_bytes(crypto::kMacKeyBytes));
}
}  // namespace

TEST_CASE("an assigned id names its node, and each handshake gets a newer serial") {
  RoutingIds ids = fresh();
  const std::string first = ids.assign("s01-c01");
  const std::string second = ids.assign("s01-c01");
  CHECK(first != second);
  CHECK(first.rfind("s01-c01#", 0) == 0);
  auto a = ids.check(first), b = ids.check(second);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->node == "s01-c01");
  CHECK(b->node == "s01-c01");
  CHECK(b->serial > a->serial);
  CHECK(ids.check(ids.assign("district"))->node == "district");
}

TEST_CASE("claims, altered ids and another process's ids do not pass") {
  RoutingIds ids = fresh();
  const std::string mine = ids.assign("s01-c01");
  CHECK_FALSE(ids.check("s01-c02").has_value());  // what a client claims
  CHECK_FALSE(ids.check("").has_value());
  CHECK_FALSE(ids.check("#").has_value());
  CHECK_FALSE(ids.check(mine.substr(0, mine.size() - 1)).has_value());
  CHECK_FALSE(ids.check(mine + "0").has_value());
  // Another node's name over this node's serial and tag: the tag covers the name.
  std::string other = mine;
  other.replace(0, std::string("s01-c01").size(), "s01-c02");
  CHECK_FALSE(ids.check(other).has_value());
  // A newer serial under the old tag: the tag covers the serial too.
  std::string newer = mine;
  newer[newer.find('#') + 1] = 'f';
  CHECK_FALSE(ids.check(newer).has_value());
  std::string flipped = mine;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  CHECK_FALSE(ids.check(flipped).has_value());
  RoutingIds elsewhere = fresh();
  CHECK_FALSE(elsewhere.check(mine).has_value());
}
