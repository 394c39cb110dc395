// Proves that a child's frames go to its newest connection that has spoken, that an older one
// cannot take them back, and that banning or revoking a child yields every connection to close.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/child_routes.h"

#include <doctest/doctest.h>

using namespace casesync;

namespace {
RoutingIds::Assigned as(const std::string& node, std::uint64_t serial) { return {node, serial}; }
}  // namespace

TEST_CASE("a node is routed to once it has spoken, then to its newest connection") {
  ChildRoutes r;
  CHECK(r.route("c1") == nullptr);
  r.heard(10, "c1#1", as("c1", 1));
  REQUIRE(r.route("c1") != nullptr);
  CHECK(*r.route("c1") == "c1#1");
  // Restarted after kill -9: the new connection speaks while the old one still lingers.
  r.heard(11, "c1#2", as("c1", 2));
  CHECK(*r.route("c1") == "c1#2");
  // A frame still in flight on the old connection does not take the route back.
  r.heard(10, "c1#1", as("c1", 1));
  CHECK(*r.route("c1") == "c1#2");
  r.heard(12, "c2#3", as("c2", 3));
  CHECK(*r.route("c2") == "c2#3");
  CHECK(*r.route("c1") == "c1#2");
}

TEST_CASE("an unreachable route is dropped until the node speaks again") {
  ChildRoutes r;
  r.heard(10, "c1#1", as("c1", 1));
  r.heard(11, "c1#2", as("c1", 2));
  r.unreachable("c1");
  CHECK(r.route("c1") == nullptr);
  // The older connection is still alive and speaks: it carries the node's traffic again.
  r.heard(10, "c1#1", as("c1", 1));
  CHECK(*r.route("c1") == "c1#1");
}

TEST_CASE("take() yields every connection of the node and forgets its route") {
  ChildRoutes r;
  r.heard(10, "c1#1", as("c1", 1));
  r.heard(11, "c1#2", as("c1", 2));
  r.heard(12, "c2#3", as("c2", 3));
  CHECK(r.take("c1") == std::vector<int>{10, 11});
  CHECK(r.route("c1") == nullptr);
  CHECK(*r.route("c2") == "c2#3");
  CHECK(r.take("c1").empty());
}

TEST_CASE("a closed fd is never cut again, even if its number comes back") {
  ChildRoutes r;
  r.heard(10, "c1#1", as("c1", 1));
  r.disconnected(10);
  CHECK(r.take("c1").empty());
  // fd 10 reused by another child's connection: cutting c1 must not close it.
  r.heard(10, "c1#1", as("c1", 1));
  r.disconnected(10);
  r.heard(10, "c2#2", as("c2", 2));
  CHECK(r.take("c1").empty());
  CHECK(r.take("c2") == std::vector<int>{10});
}
