// Routing identity from the peer's side (tests/hostile_peer.cc).
//
// id_takeover, the attack that tries to receive a sibling's traffic:
// a client holding one rostered child's keys (what a stolen terminal gives) connects, listens,
// then says Hello as the sibling — again and again for the whole run, as an attacker who keeps
// reconnecting would. Every other round also claims the sibling's name as its routing id; the
// rounds without a claim always reach the parent's check of the Hello, whatever libzmq's
// handshake race made of the claim in the others (daemon/routing_id.h).
//
// redial, its honest counterpart: a child's own keys dialling again and again like a real child
// (no routing id of its own), each connection saying Hello as itself; every one must be
// answered, whichever routing id libzmq's handshake race gave it.
#pragma once

#include <string>
#include <zmq.hpp>

#include "crypto/crypto.h"

namespace casesync {

struct TakeoverPlan {
  std::string endpoint;            // the parent's ROUTER
  std::string server_sign_public;  // the parent's Ed25519 public key
  std::string as;                  // the child whose keys we hold
  std::string other;               // the sibling we speak as (and whose name we claim as an id)
  long timeout_ms = 5000;          // per handshake
  long duration_ms = 2000;         // keep reconnecting this long (at least one round)
};

// 0 when the parent refused: across every connection, no frame came before we spoke (nothing
// addressed to `other`, nor to anyone, reached a connection that had not shown its key) and no
// Hello answered ours naming `other`; admitted or refused handshakes both count as served, and at
// least one round with a claim and one without ran.
// 1 when something leaked or the parent stopped answering handshakes.
int attack_id_takeover(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as);

// 0 when each of `rounds` connections as `plan.as` had its Hello answered (`plan.other` and
// `plan.duration_ms` are not used); 1 otherwise. `applied_pos`: what we say we applied of the
// target's feed.
int redial_as_itself(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as,
                     int rounds, std::uint64_t applied_pos);

}  // namespace casesync
