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
constexpr long kCutSeenMs = 100;  // a cut after the Hello was mostly reported during its wait

struct Tally {
  int rounds[2] = {0, 0};  // [without a claim, claiming other's name]
  int admitted = 0;
  int refused = 0;
  int unanswered = 0;     // handshakes that timed out
  int frames_before = 0;  // frames that reached a connection before it spoke
  int hellos_answered = 0;
  int cut_after_hello = 0;  // connections the parent closed after our Hello (a claim it saw)
};

void one_round(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as,
               bool claim, Tally* t) {
  t->rounds[claim]++;
  PeerSession s(ctx, /*linger_ms=*/0);
  if (claim) s.claim_routing_id(plan.other);
  s.curve(plan.server_sign_public, as.public_key, as.secret);
  s.connect(plan.endpoint);
  switch (s.await_handshake(plan.timeout_ms)) {
    case Handshake::kRefused: t->refused++; return;
    case Handshake::kTimedOut: t->unanswered++; return;
    case Handshake::kSucceeded: t->admitted++; break;
  }
  // Silent: whatever arrives now was addressed to us before we showed anything.
  t->frames_before += s.await_message(kListenMs, [](const Message&) { return true; });
  HelloMsg hello;
  hello.node_id = plan.other;
  t->hellos_answered += say_hello(s, hello, kListenMs).is_ok();
  // Only told, not judged: a cut shows the parent saw our claim (libzmq kept it), no cut that it
  // refused the Hello itself.
  t->cut_after_hello += s.await_event(ZMQ_EVENT_DISCONNECTED, kCutSeenMs) != 0;
}
}  // namespace

int attack_id_takeover(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as) {
  Tally t;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(plan.duration_ms);
  bool claim = false;
  do {
    one_round(ctx, plan, as, claim, &t);
    claim = !claim;
    std::this_thread::sleep_for(std::chrono::milliseconds(kRoundGapMs));
  } while (std::chrono::steady_clock::now() < end || t.rounds[1] == 0);
  std::printf("hostile-peer: id_takeover: as %s speaking as %s (%d rounds claiming its name as "
              "routing id, %d not): %d connections admitted, %d refused, %d unanswered; %d "
              "received a frame before speaking; %d Hellos as %s answered; %d cut after the "
              "Hello\n",
              plan.as.c_str(), plan.other.c_str(), t.rounds[1], t.rounds[0], t.admitted,
              t.refused, t.unanswered, t.frames_before, t.hellos_answered, plan.other.c_str(),
              t.cut_after_hello);
  const bool served = t.admitted + t.refused > 0 && t.unanswered == 0;
  return served && t.frames_before == 0 && t.hellos_answered == 0 ? 0 : 1;
}

int redial_as_itself(zmq::context_t& ctx, const TakeoverPlan& plan, const crypto::KeyPair& as,
                     int rounds, std::uint64_t applied_pos) {
  int answered = 0, refused = 0, unanswered = 0;
  for (int i = 0; i < rounds; ++i) {
    PeerSession s(ctx, /*linger_ms=*/0);
    s.curve(plan.server_sign_public, as.public_key, as.secret);
    s.connect(plan.endpoint);
    const Handshake hs = s.await_handshake(plan.timeout_ms);
    if (hs != Handshake::kSucceeded) {
      (hs == Handshake::kRefused ? refused : unanswered)++;
      continue;
    }
    HelloMsg hello;
    hello.node_id = plan.as;
    hello.applied_pos = applied_pos;
    (say_hello(s, hello, plan.timeout_ms).is_ok() ? answered : unanswered)++;
  }
  std::printf("hostile-peer: redial: %d connections as %s: %d Hellos answered, %d handshakes "
              "refused, %d unanswered\n",
              rounds, plan.as.c_str(), answered, refused, unanswered);
  return answered == rounds ? 0 : 1;
}

}  // namespace casesync
