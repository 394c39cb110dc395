// Proves that the event decoder refuses a case id outside its character set — a control
// character in a peer's case id would forge a log line — and names the byte, not the id.
#include <doctest/doctest.h>

#include "sync/event.h"

using namespace casesync;

namespace {
Event with_case_id(const std::string& id) {
  Event e;
  e.origin = "s01-c01";
  e.seq = 1;
  e.case_id = id;
  e.kind = "case_created";
  return e;
}
}  // namespace

TEST_CASE("case ids made by nodes decode") {
  for (const char* id : {"s01-c01-000042", "district-000001", "s01-bench-7", "c_1.v2:x", "A-Z"}) {
    CAPTURE(id);
    CHECK(decode_event(encode_event(with_case_id(id))).is_ok());
  }
}

TEST_CASE("a case id with a control character, a space or non-ASCII bytes is refused") {
  for (const std::string& id : {std::string("s01-c01-1\n<0>node=district FORGED"),
                               std::string("s01-c01-1\r"), std::string("a b"),
                               std::string("s01-c01-\x7f"), std::string("s01-c01-1", 10),
                               std::string("办件-1"), std::string("a/b")}) {
    CAPTURE(id);
    auto r = decode_event(encode_event(with_case_id(id)));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kCorruption);
    CHECK(r.status().message().find("character set") != std::string::npos);
    CHECK(r.status().message().find("FORGED") == std::string::npos);
  }
}
