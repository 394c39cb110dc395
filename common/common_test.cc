// Proves the shared value types: Status/Result plumbing, hex round trips and roster tree queries.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/elapsed.h"
#include "common/roster.h"
#include "common/status.h"

using namespace casesync;

namespace {
Result<int> half(int x) {
  if (x % 2) return Status::error(Code::kInvalidArgument, "odd");
  return x / 2;
}
Result<int> quarter(int x) {
  ASSIGN_OR_RETURN(int h, half(x));
  return half(h);
}
Roster sample() {
  Roster r;
  r.add({.id = "d", .role = Role::kDistrict});
  r.add({.id = "s1", .role = Role::kStreet, .parent = "d"});
  r.add({.id = "s2", .role = Role::kStreet, .parent = "d"});
  r.add({.id = "c1", .role = Role::kCommunity, .parent = "s1"});
  return r;
}
}  // namespace

TEST_CASE("Result carries a value or the first error") {
  CHECK(quarter(8).value() == 2);
  auto bad = quarter(6);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == Code::kInvalidArgument);
  CHECK(bad.status().with_context("x").to_string() == "invalid argument: x: odd");
}

TEST_CASE("hex round trip and rejection of malformed text") {
  CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(from_hex("00FF10").value() == std::string("\x00\xff\x10", 3));
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
  CHECK_FALSE(hash_from_hex("00").has_value());
}

TEST_CASE("roster tree queries") {
  Roster r = sample();
  CHECK(r.ancestors_of("c1") == std::vector<std::string>{"s1", "d"});
  CHECK(r.in_subtree("c1", "s1"));
  CHECK(r.in_subtree("c1", "d"));
  CHECK_FALSE(r.in_subtree("c1", "s2"));
  CHECK(r.child_toward("d", "c1").value() == "s1");
  CHECK_FALSE(r.child_toward("s2", "c1").has_value());
  CHECK(r.children_of("d") == std::vector<std::string>{"s1", "s2"});
}

TEST_CASE("crc32c matches the published check value and sees one flipped bit") {
  CHECK(crc32c("123456789") == 0xE3069283u);  // RFC 3720 / iSCSI check value
  CHECK(crc32c("") == 0u);
  CHECK(crc32c("4567", crc32c("123")) == crc32c("1234567"));
  std::string frame = "casesync frame body";
  const std::uint32_t before = crc32c(frame);
  frame[3] = static_cast<char>(frame[3] ^ 0x10);
  CHECK(crc32c(frame) != before);
}

TEST_CASE("elapsed_ms never wraps when a clock steps back") {
  CHECK(elapsed_ms(1000, 400) == 600);
  CHECK(elapsed_ms(400, 1000) == 0);
  CHECK(elapsed_ms(5, 5) == 0);
}
