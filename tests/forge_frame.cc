// forge_frame: a test tool that plays a forger. It connects to a parent's ROUTER as a child (the
// child must be stopped), says Hello like that child, then sends one Batch whose event claims
// the child as its origin but carries a signature that does not verify. The parent must refuse
// the event (reject reason bad_signature) and its health view must raise security_alert;
// tests/integration/health_test.py checks that.
//
//   forge_frame --endpoint tcp://127.0.0.1:PORT --as NODE [--applied-pos N] [--timeout-ms MS]
//               [--key CHILD_SECRET_FILE --parent-pub PARENT_PUBLIC_FILE]
//
// --applied-pos is what the forger claims to have applied of the parent's feed; pass the parent's
// sent_acked_pos for that child so the parent resends nothing. Without --key the forger speaks
// plain ZeroMQ (an outsider); with --key it holds the child's identity key and passes CurveZMQ
// (a compromised node), whose keys derive from the Ed25519 identity as the daemon's do.
//
// Exit status: 0 the parent acknowledged the forged batch (processed it, and refused the event);
// 77 the parent refused the ZeroMQ handshake (plain ZeroMQ while CurveZMQ is on, or the reverse);
// 1 anything else (printed); 2 bad usage.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <zmq.hpp>

#include "crypto/crypto.h"
#include "sync/event.h"
#include "sync/hlc.h"
#include "sync/messages.h"
#include "tests/peer_session.h"

using namespace casesync;

namespace {

constexpr int kExitRefusedHandshake = 77;
constexpr std::uint64_t kForgedSeq = 999999;  // any: the signature is checked before the seq

struct Options {
  std::string endpoint;
  std::string as;
  std::uint64_t applied_pos = 0;
  long timeout_ms = 5000;
  std::string key_file;    // the child's secret key: speak CurveZMQ as the child
  std::string parent_pub;  // the parent's public key file
};

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--endpoint")
      o->endpoint = v;
    else if (k == "--as")
      o->as = v;
    else if (k == "--applied-pos")
      o->applied_pos = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--timeout-ms")
      o->timeout_ms = std::strtol(v.c_str(), nullptr, 10);
    else if (k == "--key")
      o->key_file = v;
    else if (k == "--parent-pub")
      o->parent_pub = v;
    else
      return false;
  }
  return argc % 2 == 1 && !o->endpoint.empty() && !o->as.empty() && o->timeout_ms > 0 &&
         o->key_file.empty() == o->parent_pub.empty();
}

// The CurveZMQ client keys of the impersonated child, and the parent's server key.
Status use_curve(const Options& o, PeerSession& session) {
  ASSIGN_OR_RETURN(crypto::KeyPair child, crypto::load_keypair(o.key_file));
  ASSIGN_OR_RETURN(std::string parent, crypto::load_public_key(o.parent_pub));
  session.curve(parent, child.public_key, child.secret);
  return Status::ok();
}

WireEvent forged_event(const std::string& origin) {
  Event e;
  e.origin = origin;
  e.seq = kForgedSeq;
  e.hlc = HybridClock::pack(wall_ms(), 0);
  e.case_id = origin + "-" + std::to_string(kForgedSeq);
  e.kind = "case_created";
  e.body = {{"matter", "QY-001"}, {"applicant", "forged"}};
  crypto::KeyPair someone_else = crypto::generate_keypair();
  EventRecord r = seal_event(e, someone_else.secret);
  r.signature[0] = static_cast<char>(r.signature[0] ^ 0x01);  // and a flipped bit, to be sure
  return {origin, r.signed_bytes, r.signature};
}

int run(const Options& o) {
  zmq::context_t ctx(1);
  PeerSession session(ctx, /*linger_ms=*/0);
  if (!o.key_file.empty()) {
    if (Status st = use_curve(o, session); !st.is_ok()) {
      std::fprintf(stderr, "forge_frame: %s\n", st.message().c_str());
      return 1;
    }
  }
  session.connect(o.endpoint);
  const Handshake hs = session.await_handshake(o.timeout_ms);
  if (hs == Handshake::kRefused) {
    std::printf("forge_frame: %s refused a %s ZeroMQ handshake\n", o.endpoint.c_str(),
                o.key_file.empty() ? "plain (NULL mechanism)" : "CurveZMQ");
    return kExitRefusedHandshake;
  }
  if (hs == Handshake::kTimedOut) {
    std::fprintf(stderr, "forge_frame: no handshake with %s within %ld ms\n", o.endpoint.c_str(),
                 o.timeout_ms);
    return 1;
  }
  HelloMsg hello;
  hello.node_id = o.as;
  hello.applied_pos = o.applied_pos;
  auto parent_applied = say_hello(session, hello, o.timeout_ms);
  if (!parent_applied.is_ok()) {
    std::fprintf(stderr, "forge_frame: %s: %s as %s\n", o.endpoint.c_str(),
                 parent_applied.status().message().c_str(), o.as.c_str());
    return 1;
  }
  BatchMsg batch;
  batch.first_pos = *parent_applied + 1;
  batch.events.push_back(forged_event(o.as));
  session.send(encode_message(batch));
  // Answered either way: a refused event is not acknowledged past.
  if (!session.await_message(o.timeout_ms,
                             [](const Message& m) { return std::holds_alternative<AckMsg>(m); })) {
    std::fprintf(stderr, "forge_frame: no Ack for the forged batch at position %llu\n",
                 static_cast<unsigned long long>(batch.first_pos));
    return 1;
  }
  std::printf("forge_frame: %s processed the forged batch at position %llu as %s\n",
              o.endpoint.c_str(), static_cast<unsigned long long>(batch.first_pos), o.as.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: forge_frame --endpoint tcp://HOST:PORT --as NODE [--applied-pos N] "
                 "[--timeout-ms MS] [--key CHILD_SECRET_FILE --parent-pub PARENT_PUBLIC_FILE]\n");
    return 2;
  }
  if (!crypto::init().is_ok()) return 1;
  try {
    return run(o);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "forge_frame: ZeroMQ: %s\n", e.what());
    return 1;
  }
}
