// PeerSession: what the test tools that play a child (tests/forge_frame.cc,
// tests/hostile_peer.cc) share — a DEALER to a parent's ROUTER that, like casesyncd, claims no
// routing id unless told to (id_takeover does), CurveZMQ keys derived from Ed25519 identities the way the daemon derives them, a socket monitor
// to see the handshake succeed, fail or the connection drop, bounded waits for frames, and the
// Hello that opens a session.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <zmq.hpp>

#include "common/status.h"
#include "crypto/crypto.h"
#include "sync/messages.h"

namespace casesync {

// Milliseconds since the epoch, for the wall times a Hello and a Heartbeat carry.
std::uint64_t wall_ms();

// The monitor events of a refused handshake (RFC 27 ZAP, or a protocol mismatch).
inline constexpr int kHandshakeFailedEvents = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

enum class Handshake { kSucceeded, kRefused, kTimedOut };

// The next event of a socket monitor (its id) within the timeout, or 0.
std::uint16_t next_monitor_event(zmq::socket_t& monitor, long timeout_ms);

class PeerSession {
 public:
  // `linger_ms`: how long closing waits to flush frames not yet sent. "ctx" must outlive this.
  PeerSession(zmq::context_t& ctx, int linger_ms);
  ~PeerSession();
  PeerSession(const PeerSession&) = delete;
  PeerSession& operator=(const PeerSession&) = delete;

  // Speak CurveZMQ to the server with that Ed25519 public key, as the holder of `secret`.
  // Without it the session speaks plain ZeroMQ (the NULL mechanism). Before connect().
  void curve(const std::string& server_sign_public, const std::string& sign_public,
             const crypto::SecretKey& secret);
  // Claims `routing_id` as this client's own, as a hostile or outdated child would; a parent
  // must refuse every frame that arrives under it. Before connect().
  void claim_routing_id(const std::string& routing_id);
  void connect(const std::string& endpoint);

  // The first monitor event among `wanted` within the timeout, or 0.
  std::uint16_t await_event(int wanted, long timeout_ms);
  Handshake await_handshake(long timeout_ms);
  // Receives frames until `want` accepts a decoded message. False on timeout.
  bool await_message(long timeout_ms, const std::function<bool(const Message&)>& want);
  void send(const std::string& frame);
  // Sends without waiting; false when the frame could not be queued.
  bool try_send(const std::string& frame);

 private:
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
};

// Says `hello` (its wall time and HLC filled in now) and waits for the parent's Hello; returns
// the position of our feed the parent says it applied.
// Says `hello` and returns the parent's answer (its your_last_seq: our last event it holds).
Result<HelloMsg> exchange_hello(PeerSession& session, HelloMsg hello, long timeout_ms);
Result<std::uint64_t> say_hello(PeerSession& session, HelloMsg hello, long timeout_ms);

}  // namespace casesync
