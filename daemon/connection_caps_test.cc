// Proves the API's connection caps: one address cannot take more than its share, the node never
// more than its total, and a closed connection frees its slot.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "daemon/connection_caps.h"

using namespace casesync;
using Admit = ConnectionCaps::Admit;

TEST_CASE("per client, then overall; releasing frees the slot") {
  ConnectionCaps caps(3, 2);
  CHECK(caps.admit("127.0.0.5") == Admit::kYes);
  CHECK(caps.admit("127.0.0.5") == Admit::kYes);
  CHECK(caps.admit("127.0.0.5") == Admit::kClientFull);
  CHECK(caps.admit("127.0.0.6") == Admit::kYes);
  CHECK(caps.admit("127.0.0.7") == Admit::kNodeFull);
  CHECK(caps.open() == 3);
  CHECK(caps.open_from("127.0.0.5") == 2);
  caps.release("127.0.0.5");
  CHECK(caps.admit("127.0.0.7") == Admit::kYes);
  caps.release("127.0.0.7");
  caps.release("127.0.0.6");
  caps.release("127.0.0.5");
  CHECK(caps.open() == 0);
  CHECK(caps.open_from("127.0.0.5") == 0);
}
