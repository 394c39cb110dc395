// Proves how ended connections are told apart from the monitor event sequences libzmq 4.3.4
// emits (each sequence below was observed with a real ROUTER): garbage, failed handshakes, an
// oversize first frame, an ordinary end; and that overlapping connections are each counted once.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/connection_ledger.h"

#include <doctest/doctest.h>

namespace casesync {
namespace {

TEST_CASE("raw garbage: accepted and disconnected with no handshake event") {
  ConnectionLedger l;
  l.accepted(15);
  CHECK(l.disconnected(15) == ConnectionEnd::kNotZmtp);
  CHECK(l.count(ConnectionEnd::kNotZmtp) == 1);
  CHECK(l.open_connections() == 0);
}

TEST_CASE("failed handshakes: the failure event comes right before its disconnect") {
  const std::pair<HandshakeFailure, ConnectionEnd> cases[] = {
      {HandshakeFailure::kProtocol, ConnectionEnd::kProtocolError},         // plain ZeroMQ vs CURVE
      {HandshakeFailure::kAuth, ConnectionEnd::kAuthRefused},               // ZAP said 400
      {HandshakeFailure::kNoDetail, ConnectionEnd::kHandshakeIncomplete}};  // closed mid-way
  for (const auto& [failure, end] : cases) {
    ConnectionLedger l;
    l.accepted(16);
    l.handshake_failed(failure);
    CHECK(l.disconnected(16) == end);
    CHECK(l.count(end) == 1);
    // The failure applies to that one disconnect only.
    l.accepted(16);
    CHECK(l.disconnected(16) == ConnectionEnd::kNotZmtp);
  }
}

TEST_CASE("an oversize first frame: the handshake succeeded, then the end, with no frame") {
  ConnectionLedger l;
  l.accepted(16);
  l.handshake_succeeded();
  CHECK(l.disconnected(16) == ConnectionEnd::kNoFrameAfterHandshake);
  // The success was used up: the next silent connection is garbage again.
  l.accepted(16);
  CHECK(l.disconnected(16) == ConnectionEnd::kNotZmtp);
}

TEST_CASE("a connection that delivered frames ends as an ordinary end") {
  ConnectionLedger l;
  l.accepted(16);
  l.handshake_succeeded();
  l.frame_from(16);
  l.frame_from(16);
  CHECK(l.disconnected(16) == ConnectionEnd::kClosedAfterFrames);
}

TEST_CASE("garbage during a peer's session is still garbage") {
  ConnectionLedger l;
  l.accepted(16);  // a child
  l.handshake_succeeded();
  l.frame_from(16);
  l.accepted(17);  // raw bytes from elsewhere
  CHECK(l.disconnected(17) == ConnectionEnd::kNotZmtp);
  l.accepted(18);  // and an oversize first frame
  l.handshake_succeeded();
  CHECK(l.disconnected(18) == ConnectionEnd::kNoFrameAfterHandshake);
  CHECK(l.disconnected(16) == ConnectionEnd::kClosedAfterFrames);
}

TEST_CASE("a frame tells which of two overlapping handshakes succeeded") {
  ConnectionLedger l;
  l.accepted(16);  // garbage, still open
  l.accepted(17);  // a child
  l.handshake_succeeded();
  l.frame_from(17);
  CHECK(l.disconnected(16) == ConnectionEnd::kNotZmtp);
  CHECK(l.disconnected(17) == ConnectionEnd::kClosedAfterFrames);
}

TEST_CASE("overlapping silent connections: guessed by age, but each counted exactly once") {
  ConnectionLedger l;
  l.accepted(16);  // really garbage
  l.accepted(17);  // really an oversize first frame
  l.handshake_succeeded();
  // The success is given to the older connection: the two are swapped, the totals are right.
  CHECK(l.disconnected(16) == ConnectionEnd::kNoFrameAfterHandshake);
  CHECK(l.disconnected(17) == ConnectionEnd::kNotZmtp);
  CHECK(l.count(ConnectionEnd::kNoFrameAfterHandshake) == 1);
  CHECK(l.count(ConnectionEnd::kNotZmtp) == 1);
}

TEST_CASE("a success read after its connection's first frame is not left over") {
  ConnectionLedger l;
  l.accepted(16);
  l.frame_from(16);  // the router was read before the monitor
  l.handshake_succeeded();
  l.accepted(17);
  CHECK(l.disconnected(17) == ConnectionEnd::kNotZmtp);
  CHECK(l.disconnected(16) == ConnectionEnd::kClosedAfterFrames);
}

TEST_CASE("an fd number reused after an end we missed starts a new connection") {
  ConnectionLedger l;
  l.accepted(16);
  l.handshake_succeeded();
  l.frame_from(16);
  l.accepted(16);
  CHECK(l.disconnected(16) == ConnectionEnd::kNotZmtp);
  CHECK(l.disconnected(99) == ConnectionEnd::kNotZmtp);  // never accepted: nothing to go on
  CHECK(l.open_connections() == 0);
}

TEST_CASE("every end has a snake_case name") {
  for (ConnectionEnd e : kConnectionEnds) {
    const std::string name = connection_end_name(e);
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
  }
  CHECK(std::string(connection_end_name(ConnectionEnd::kNoFrameAfterHandshake)) ==
        "no_frame_after_handshake");
}

}  // namespace
}  // namespace casesync
