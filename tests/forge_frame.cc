// forge_frame: a test tool that plays a forger. It connects to a parent's ROUTER under a child's
// routing id (the child must be stopped), says Hello like that child, then sends one Batch whose
// event claims the child as its origin but carries a signature that does not verify. The parent
// must refuse the event (reject reason bad_signature) and its health view must raise
// security_alert; tests/integration/health_test.py checks that.
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
#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>
#include <zmq.hpp>

#include "crypto/crypto.h"
#include "sync/event.h"
#include "sync/hlc.h"
#include "sync/messages.h"

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

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

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
Status use_curve(const Options& o, zmq::socket_t& dealer) {
  ASSIGN_OR_RETURN(crypto::KeyPair child, crypto::load_keypair(o.key_file));
  ASSIGN_OR_RETURN(std::string parent, crypto::load_public_key(o.parent_pub));
  const std::string server = crypto::curve_public_from_sign_public(parent);
  const std::string pub = crypto::curve_public_from_sign_public(child.public_key);
  const std::string secret = crypto::curve_secret_from_sign_secret(child.secret);
  dealer.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), server.size()));
  dealer.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub.data(), pub.size()));
  dealer.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  return Status::ok();
}

// Waits for the ZMTP handshake. Returns 0 when it succeeded, kExitRefusedHandshake when the peer
// refused it, 1 on timeout.
int await_handshake(zmq::socket_t& monitor, long timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t event, address;
    if (!monitor.recv(event)) continue;
    if (event.more()) (void)monitor.recv(address);
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof(id));
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) return 0;
    if (id & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)) {
      return kExitRefusedHandshake;
    }
  }
  return 1;
}

// Receives frames until `want` accepts a decoded message. False on timeout.
template <class Want>
bool await_message(zmq::socket_t& dealer, long timeout_ms, Want want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t frame;
    if (!dealer.recv(frame)) continue;
    auto m = decode_message(frame.to_string_view());
    if (m.is_ok() && want(*m)) return true;
  }
  return false;
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
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::routing_id, o.as);
  if (!o.key_file.empty()) {
    if (Status st = use_curve(o, dealer); !st.is_ok()) {
      std::fprintf(stderr, "forge_frame: %s\n", st.message().c_str());
      return 1;
    }
  }
  const std::string mon = "inproc://forge-monitor";
  if (zmq_socket_monitor(dealer.handle(), mon.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) {
    std::fprintf(stderr, "forge_frame: zmq_socket_monitor failed\n");
    return 1;
  }
  zmq::socket_t monitor(ctx, zmq::socket_type::pair);
  monitor.connect(mon);
  dealer.connect(o.endpoint);
  int hs = await_handshake(monitor, o.timeout_ms);
  if (hs == kExitRefusedHandshake) {
    std::printf("forge_frame: %s refused a %s ZeroMQ handshake\n", o.endpoint.c_str(),
                o.key_file.empty() ? "plain (NULL mechanism)" : "CurveZMQ");
    return hs;
  }
  if (hs != 0) {
    std::fprintf(stderr, "forge_frame: no handshake with %s within %ld ms\n", o.endpoint.c_str(),
                 o.timeout_ms);
    return 1;
  }
  HelloMsg hello;
  hello.node_id = o.as;
  hello.applied_pos = o.applied_pos;
  hello.wall_ms = wall_ms();
  hello.hlc = HybridClock::pack(hello.wall_ms, 0);
  dealer.send(zmq::buffer(encode_message(hello)));
  std::uint64_t parent_applied = 0;
  if (!await_message(dealer, o.timeout_ms, [&](const Message& m) {
        auto* h = std::get_if<HelloMsg>(&m);
        if (h) parent_applied = h->applied_pos;
        return h != nullptr;
      })) {
    std::fprintf(stderr, "forge_frame: %s never answered the Hello of %s\n", o.endpoint.c_str(),
                 o.as.c_str());
    return 1;
  }
  BatchMsg batch;
  batch.first_pos = parent_applied + 1;
  batch.events.push_back(forged_event(o.as));
  dealer.send(zmq::buffer(encode_message(batch)));
  if (!await_message(dealer, o.timeout_ms, [&](const Message& m) {
        auto* a = std::get_if<AckMsg>(&m);
        // Answered either way: a refused event is not acknowledged past.
        return a != nullptr;
      })) {
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
