// Proves that routing ids are told apart by node and handshake, that no id this node did not
// assign — another node's, a client's claim, an altered or another process's id — passes check(),
// and that a frame is admitted under either outcome of libzmq's handshake race but never a claim.
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

// libzmq's handshake race (daemon/routing_id.h): a frame's routing id is either the id our ZAP
// reply assigned or the client's own claim, and its "Identity" property is always ours.
TEST_CASE("a frame is admitted under its assigned id or the ROUTER's own, never under a claim") {
  RoutingIds ids = fresh();
  const std::string assigned = ids.assign("s01-c01");
  const std::string generated("\0\x9a\x01\x02\x03", 5);  // what the ROUTER makes of no claim
  // Our assignment won: the usual case on an idle machine.
  auto won = ids.connection(assigned, assigned, "s01-c01");
  REQUIRE(won.has_value());
  CHECK(won->node == "s01-c01");
  CHECK(won->serial == ids.check(assigned)->serial);
  // The child's empty claim won: an honest child under load, never refused.
  auto lost = ids.connection(generated, assigned, "s01-c01");
  REQUIRE(lost.has_value());
  CHECK(lost->serial == won->serial);
  // A claim won: the sibling's name, our own id form, anything a client chose.
  CHECK_FALSE(ids.connection("s01-c02", assigned, "s01-c01").has_value());
  CHECK_FALSE(ids.connection("s01-c01", assigned, "s01-c01").has_value());
  CHECK_FALSE(ids.connection(ids.assign("s01-c02"), assigned, "s01-c01").has_value());
  CHECK_FALSE(ids.connection(std::string("\0\x01", 2), assigned, "s01-c01").has_value());
  CHECK_FALSE(ids.connection(std::string("\0\x01\x02\x03\x04\x05", 6), assigned, "s01-c01")
                  .has_value());
}

TEST_CASE("the frame's assigned id must be this node's and name the authenticated node") {
  RoutingIds ids = fresh();
  const std::string generated("\0\x9a\x01\x02\x03", 5);
  const std::string for_c2 = ids.assign("s01-c02");
  CHECK_FALSE(ids.connection(for_c2, for_c2, "s01-c01").has_value());     // another key's id
  CHECK_FALSE(ids.connection(generated, for_c2, "s01-c01").has_value());
  CHECK_FALSE(ids.connection(generated, "", "s01-c01").has_value());      // no ZAP Identity
  CHECK_FALSE(ids.connection(generated, "s01-c01", "s01-c01").has_value());  // not assigned
  const std::string mine = ids.assign("s01-c01");
  CHECK_FALSE(ids.connection(mine, mine, "").has_value());                 // no User-Id
  RoutingIds elsewhere = fresh();
  CHECK_FALSE(elsewhere.connection(mine, mine, "s01-c01").has_value());
}
