// Proves the simulator runs: placeholder until the real test is written.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
TEST_CASE("placeholder") { CHECK(true); }
