// id_takeover, the attack of tests/hostile_peer.cc that tries to receive a sibling's traffic:
// a client holding one rostered child's keys (what a stolen terminal gives) connects under the
// routing id of a sibling, listens, then says Hello as the sibling — again and again for the
// whole run, as an attacker who keeps reconnecting would.
#pragma once

#include <string>
#include <zmq.hpp>

#include "crypto/crypto.h"

namespace casesync {

struct TakeoverPlan {
  std::string endpoint;            // the parent's ROUTER
  std::string server_sign_public;  // the parent's Ed25519 public key
  std::string as;                  // the child whose keys we hold
  std::string other;               // the sibling whose routing id we claim
  long timeout_ms = 5000;          // per handshake
  long duration_ms = 2000;         // keep reconnecting this long (at least one round)
};

// 0 when the parent refused: across every connection, no frame came before we spoke (nothing
// addressed to `other`, nor to anyone, reached a connection that had not shown its key) and no
// Hello answered ours naming `other`; admitted or refused handshakes both count as served.
// 1 when something leaked or the parent stopped answering handshakes.
int attack_id_takeover(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as);

}  // namespace casesync
