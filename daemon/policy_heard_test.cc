// Proves the policy lag clock starts when a newer version was first known and survives a restart.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/policy_heard.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace casesync {
namespace {

std::string scratch(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("policy_heard_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::filesystem::remove(path);
  return path;
}

TEST_CASE("the first time a version is known counts; hearing it again does not move the clock") {
  PolicyHeard h = PolicyHeard::load(scratch("a"));
  CHECK(h.newest() == 0);
  CHECK(h.newer_known_since_ms(0) == 0);
  REQUIRE(h.note(2, 1000).is_ok());
  REQUIRE(h.note(2, 5000).is_ok());
  REQUIRE(h.note(3, 7000).is_ok());
  CHECK(h.newest() == 3);
  CHECK(h.newer_known_since_ms(1) == 1000);  // behind since version 2 was known
  CHECK(h.newer_known_since_ms(2) == 7000);  // behind only since version 3
  CHECK(h.newer_known_since_ms(3) == 0);
  REQUIRE(h.note(0, 9000).is_ok());  // the built-in default is never "newer"
  CHECK(h.newer_known_since_ms(0) == 1000);
}

TEST_CASE("a restart keeps the times; damaged lines are skipped") {
  const std::string path = scratch("b");
  {
    PolicyHeard h = PolicyHeard::load(path);
    REQUIRE(h.note(4, 1234).is_ok());
  }
  { std::ofstream(path, std::ios::app) << "garbage\n0 5\n"; }
  PolicyHeard again = PolicyHeard::load(path);
  CHECK(again.newest() == 4);
  CHECK(again.newer_known_since_ms(3) == 1234);
}

TEST_CASE("only the newest kVersionsMax versions are remembered") {
  PolicyHeard h = PolicyHeard::load(scratch("c"));
  for (std::uint64_t v = 1; v <= PolicyHeard::kVersionsMax + 5; ++v) REQUIRE(h.note(v, v * 10).is_ok());
  CHECK(h.newer_known_since_ms(0) == 6 * 10);  // versions 1..5 forgotten
  CHECK(h.newest() == PolicyHeard::kVersionsMax + 5);
}

}  // namespace
}  // namespace casesync
