// Proves that a child's frames go to its newest connection the core accepted a frame from, that
// a connection that only spoke refused words gets nothing, that an older one cannot take the
// route back, and that banning or revoking a child yields every connection to close.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/child_routes.h"

#include <doctest/doctest.h>

using namespace casesync;

namespace {
RoutingIds::Assigned as(const std::string& node, std::uint64_t serial) { return {node, serial}; }

// A frame of `node`'s handshake `serial` on `fd` under `routing_id`, taken by the core.
void spoke(ChildRoutes& r, int fd, const std::string& routing_id, const std::string& node,
           std::uint64_t serial) {
  r.heard(fd, as(node, serial));
  r.accepted(routing_id, as(node, serial));
}
}  // namespace

TEST_CASE("a node is routed to once the core took a frame of it, then to its newest connection") {
  ChildRoutes r;
  CHECK(r.route("c1") == nullptr);
  spoke(r, 10, "c1#1", "c1", 1);
  REQUIRE(r.route("c1") != nullptr);
  CHECK(*r.route("c1") == "c1#1");
  // Restarted after kill -9: the new connection speaks while the old one still lingers; libzmq
  // kept the (empty) claim of this one, so its id is the ROUTER's own.
  const std::string generated("\0\x12\x34\x56\x78", 5);
  spoke(r, 11, generated, "c1", 2);
  CHECK(*r.route("c1") == generated);
  // A frame still in flight on the old connection does not take the route back.
  spoke(r, 10, "c1#1", "c1", 1);
  CHECK(*r.route("c1") == generated);
  spoke(r, 12, "c2#3", "c2", 3);
  CHECK(*r.route("c2") == "c2#3");
  CHECK(*r.route("c1") == generated);
}

TEST_CASE("a connection whose frames were refused is never routed to, but can be cut") {
  ChildRoutes r;
  spoke(r, 10, "c1#1", "c1", 1);
  // c1's key again (stolen), its Hello naming c2: heard, refused by the core.
  r.heard(11, as("c1", 2));
  CHECK(*r.route("c1") == "c1#1");
  r.heard(12, as("c3", 3));
  CHECK(r.route("c3") == nullptr);
  CHECK(r.take("c1") == std::vector<int>{10, 11});
  CHECK(r.take("c3") == std::vector<int>{12});
}

TEST_CASE("an unreachable route is dropped until a frame of the node is accepted again") {
  ChildRoutes r;
  spoke(r, 10, "c1#1", "c1", 1);
  spoke(r, 11, "c1#2", "c1", 2);
  r.unreachable("c1");
  CHECK(r.route("c1") == nullptr);
  // The older connection is still alive and speaks: it carries the node's traffic again.
  spoke(r, 10, "c1#1", "c1", 1);
  CHECK(*r.route("c1") == "c1#1");
}

TEST_CASE("heard() tells a connection's first frame from its later ones") {
  ChildRoutes r;
  CHECK(r.heard(10, as("c1", 1)));
  CHECK_FALSE(r.heard(10, as("c1", 1)));
  CHECK(r.heard(10, as("c1", 2)));  // the fd number came back for another handshake
  CHECK_FALSE(r.heard(-1, as("c1", 3)));  // no fd: nothing to tell
}

TEST_CASE("take() yields every connection of the node and forgets its route") {
  ChildRoutes r;
  spoke(r, 10, "c1#1", "c1", 1);
  spoke(r, 11, "c1#2", "c1", 2);
  spoke(r, 12, "c2#3", "c2", 3);
  CHECK(r.take("c1") == std::vector<int>{10, 11});
  CHECK(r.route("c1") == nullptr);
  CHECK(*r.route("c2") == "c2#3");
  CHECK(r.take("c1").empty());
}

TEST_CASE("a closed fd is never cut again, even if its number comes back") {
  ChildRoutes r;
  spoke(r, 10, "c1#1", "c1", 1);
  r.disconnected(10);
  CHECK(r.take("c1").empty());
  // fd 10 reused by another child's connection: cutting c1 must not close it.
  spoke(r, 10, "c1#1", "c1", 1);
  r.disconnected(10);
  spoke(r, 10, "c2#2", "c2", 2);
  CHECK(r.take("c1").empty());
  CHECK(r.take("c2") == std::vector<int>{10});
}
