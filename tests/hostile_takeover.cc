#include "tests/hostile_takeover.h"

#include <chrono>
#include <cstdio>
#include <thread>
#include <variant>

#include "sync/messages.h"
#include "tests/peer_session.h"

namespace casesync {

namespace {
// Longer than a heartbeat interval (1 s by default): a connection that held the sibling's id
// would get the parent's heartbeat to the sibling within it.
constexpr long kListenMs = 1500;
constexpr long kRoundGapMs = 50;  // between reconnects: pacing, not a wait for anything

struct Tally {
  int admitted = 0;
  int refused = 0;
  int unanswered = 0;     // handshakes that timed out
  int frames_before = 0;  // frames that reached a connection before it spoke
  int hellos_answered = 0;
};

void one_round(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as,
               Tally* t) {
  PeerSession s(ctx, plan.other, /*linger_ms=*/0);
  s.curve(plan.server_sign_public, as.public_key, as.secret);
  s.connect(plan.endpoint);
  switch (s.await_handshake(plan.timeout_ms)) {
    case Handshake::kRefused: t->refused++; return;
    case Handshake::kTimedOut: t->unanswered++; return;
    case Handshake::kSucceeded: t->admitted++; break;
  }
  // Silent: whatever arrives now was addressed to the id we claimed.
  t->frames_before += s.await_message(kListenMs, [](const Message&) { return true; });
  HelloMsg hello;
  hello.node_id = plan.other;
  t->hellos_answered += say_hello(s, hello, kListenMs).is_ok();
}
}  // namespace

int attack_id_takeover(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as) {
  Tally t;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(plan.duration_ms);
  do {
    one_round(ctx, plan, as, &t);
    std::this_thread::sleep_for(std::chrono::milliseconds(kRoundGapMs));
  } while (std::chrono::steady_clock::now() < end);
  std::printf("hostile-peer: id_takeover: as %s claiming %s: %d connections admitted, %d refused, "
              "%d unanswered; %d received a frame before speaking; %d Hellos as %s answered\n",
              plan.as.c_str(), plan.other.c_str(), t.admitted, t.refused, t.unanswered,
              t.frames_before, t.hellos_answered, plan.other.c_str());
  const bool served = t.admitted + t.refused > 0 && t.unanswered == 0;
  return served && t.frames_before == 0 && t.hellos_answered == 0 ? 0 : 1;
}

}  // namespace casesync
