// casesync-hostile-peer: a test tool that plays one hostile peer against a parent of a testbed and
// sends exactly one attack per run, so tests/integration/hostile_test.py can check that the parent
// survives it, refuses it under the right reason and stores nothing forged.
//
//   casesync-hostile-peer --testbed DIR --target NODE --attack NAME [--as CHILD] [--other NODE]
//                         [--seq N] [--prev HEX] [--case ID --case-parent HEX]
//                         [--applied-pos N] [--timeout-ms MS]
//
// The peer speaks as CHILD (a rostered child of NODE whose process the caller stopped first): it
// reads DIR/CHILD/node.key so CurveZMQ and the ZAP allow-list admit it, as a compromised node
// would. --seq/--prev give CHILD's chain head as the target holds it (from the target's
// /api/events), so events that must pass the chain check do; --case/--case-parent name the open
// case (and its head) that `unauthorized` acts on. --applied-pos is what we claim to have applied
// of the target's feed (its sent_acked_pos for CHILD, so it resends nothing).
//
// Attacks (one per run):
//   garbage          raw bytes on the TCP port, no ZMTP             -> the target closes it
//   unknown-curve    CurveZMQ with a key that is not rostered       -> ZAP refuses the handshake
//   oversize         one frame over limits::kFrameBytesMax          -> ZMQ_MAXMSGSIZE drops the link
//   truncated        a valid Batch frame cut in half                -> malformed_frame
//   huge-length      a Hello whose node_id claims 2^40 bytes        -> malformed_frame
//   flip-body        valid event, one bit flipped in its body       -> bad_signature
//   flip-signature   valid event, one bit flipped in its signature  -> bad_signature
//   unknown-key      signed by a fresh key, claiming CHILD          -> bad_signature
//   unknown-origin   an origin the roster does not name             -> unknown_origin
//   revoked-key      signed claiming a revoked node                 -> revoked_origin (exit 3: none)
//   other-origin     signed by CHILD, envelope CHILD, event --other -> origin_mismatch
//   replay           a valid event (CHILD's real key, seq --seq) sent at the next position, the
//                    same batch again, then the same event at a new position -> stored once
//   equivocation     --seq again (already held) with a different body -> equivocation
//   unauthorized     `reopened` by a community on an open case      -> unauthorized
//   hello-seq        a Hello telling the target its own last event is seq --seq with a random
//                    hash (the restore hint your_last_seq/your_last_hash): the target must not
//                    take a child's word for its own chain
//
// Exit status: 0 the attack was delivered and the target answered as a live peer does (Ack for
// a batch, a closed or refused connection for transport attacks); 3 skipped (nothing to attack
// with); 1 anything else (printed); 2 bad usage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <zmq.hpp>

#include "config/roster_file.h"
#include "crypto/crypto.h"
#include "sync/event.h"
#include "sync/hlc.h"
#include "sync/limits.h"
#include "sync/messages.h"

using namespace casesync;

namespace {

constexpr int kExitSkipped = 3;
constexpr long kSettleMs = 300;  // let a frame that gets no answer reach the target before close

struct Options {
  std::string testbed;
  std::string target;
  std::string attack;
  std::string as;
  std::string other;
  std::uint64_t seq = 1;
  std::uint64_t applied_pos = 0;  // what we claim to have applied of the target's feed
  Hash32 prev{};
  std::string case_parent_hex;
  std::string case_id;  // the case `unauthorized` acts on
  long timeout_ms = 5000;
};

struct Target {
  Roster roster;
  std::string endpoint;    // tcp://host:port
  std::string sign_public;
};

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--testbed") o->testbed = v;
    else if (k == "--target") o->target = v;
    else if (k == "--attack") o->attack = v;
    else if (k == "--as") o->as = v;
    else if (k == "--other") o->other = v;
    else if (k == "--applied-pos") o->applied_pos = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--seq") o->seq = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--case-parent") o->case_parent_hex = v;
    else if (k == "--case") o->case_id = v;
    else if (k == "--timeout-ms") o->timeout_ms = std::strtol(v.c_str(), nullptr, 10);
    else if (k == "--prev") {
      auto h = hash_from_hex(v);
      if (!h) return false;
      o->prev = *h;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !o->testbed.empty() && !o->target.empty() && !o->attack.empty() &&
         o->timeout_ms > 0 && o->seq > 0;
}

Result<Target> load_target(const Options& o) {
  ASSIGN_OR_RETURN(Roster roster, load_roster(o.testbed + "/roster.toml"));
  const RosterNode* t = roster.find(o.target);
  if (!t || t->endpoint.empty()) {
    return Status::error(Code::kInvalidArgument, o.target + " is not a rostered parent");
  }
  Target out{roster, t->endpoint, t->sign_public_key};
  return out;
}

// ---------------------------------------------------------------- events

Event case_created(const std::string& origin, std::uint64_t seq, const Hash32& prev,
                   const std::string& applicant) {
  Event e;
  e.origin = origin;
  e.seq = seq;
  e.hlc = HybridClock::pack(wall_ms(), 0);
  e.case_id = origin + "-hostile-" + std::to_string(seq) + "-" + applicant;
  e.prev = prev;
  e.kind = "case_created";
  e.body = {{"matter", "QY-001"}, {"applicant", applicant}};
  return e;
}

WireEvent wire(const std::string& envelope_origin, const EventRecord& r) {
  return {envelope_origin, r.signed_bytes, r.signature};
}

// The event one attack sends, or nullopt for a transport-level attack. Sets *skip when the
// testbed has nothing to attack with.
Result<std::vector<WireEvent>> attack_events(const Options& o, const Target& t,
                                             const crypto::SecretKey& child, bool* skip) {
  const std::string& a = o.attack;
  if (a == "flip-body" || a == "flip-signature") {
    EventRecord r = seal_event(case_created(o.as, o.seq, o.prev, "flipped"), child);
    std::string& victim = a == "flip-body" ? r.signed_bytes : r.signature;
    victim[victim.size() - 3] = static_cast<char>(victim[victim.size() - 3] ^ 0x04);
    return std::vector<WireEvent>{wire(o.as, r)};
  }
  if (a == "unknown-key") {
    crypto::KeyPair stranger = crypto::generate_keypair();
    return std::vector<WireEvent>{
        wire(o.as, seal_event(case_created(o.as, o.seq, o.prev, "stranger"), stranger.secret))};
  }
  if (a == "unknown-origin") {
    crypto::KeyPair stranger = crypto::generate_keypair();
    const std::string nobody = "zz-nobody";
    return std::vector<WireEvent>{
        wire(nobody, seal_event(case_created(nobody, 1, Hash32{}, "nobody"), stranger.secret))};
  }
  if (a == "revoked-key") {
    for (const auto& [id, n] : t.roster.nodes()) {
      if (!n.revoked) continue;
      crypto::KeyPair stranger = crypto::generate_keypair();
      return std::vector<WireEvent>{
          wire(id, seal_event(case_created(id, 1, Hash32{}, "revoked"), stranger.secret))};
    }
    *skip = true;
    return std::vector<WireEvent>{};
  }
  if (a == "other-origin") {
    if (o.other.empty()) return Status::error(Code::kInvalidArgument, "other-origin needs --other");
    // A genuine signature of CHILD over an event that claims another origin.
    return std::vector<WireEvent>{
        wire(o.as, seal_event(case_created(o.other, 1, Hash32{}, "other"), child))};
  }
  if (a == "replay") {
    return std::vector<WireEvent>{wire(o.as, seal_event(case_created(o.as, o.seq, o.prev, "replayed"), child))};
  }
  if (a == "equivocation") {
    return std::vector<WireEvent>{wire(o.as, seal_event(case_created(o.as, o.seq, o.prev, "twin"), child))};
  }
  if (a == "unauthorized") {
    auto parent = hash_from_hex(o.case_parent_hex);
    if (!parent || o.case_id.empty()) {
      return Status::error(Code::kInvalidArgument, "unauthorized needs --case and --case-parent");
    }
    Event e;
    e.origin = o.as;
    e.seq = o.seq;
    e.hlc = HybridClock::pack(wall_ms(), 0);
    e.case_id = o.case_id;
    e.parents = {*parent};
    e.prev = o.prev;
    e.kind = "reopened";  // a district's act; a community may never author it
    e.body = {{"reason", "hostile"}};
    return std::vector<WireEvent>{wire(o.as, seal_event(e, child))};
  }
  return Status::error(Code::kInvalidArgument, "unknown attack " + a);
}

// ---------------------------------------------------------------- the ZeroMQ session

class Session {
 public:
  Session(zmq::context_t& ctx, const std::string& routing_id)
      : dealer_(ctx, zmq::socket_type::dealer), monitor_(ctx, zmq::socket_type::pair) {
    dealer_.set(zmq::sockopt::linger, 2000);  // flush the attack before the socket closes
    dealer_.set(zmq::sockopt::routing_id, routing_id);
    const std::string mon = "inproc://hostile-monitor";
    if (zmq_socket_monitor(dealer_.handle(), mon.c_str(), ZMQ_EVENT_ALL) != 0) {
      throw zmq::error_t();
    }
    monitor_.connect(mon);
  }
  ~Session() { zmq_socket_monitor(dealer_.handle(), nullptr, 0); }

  void curve(const std::string& server_sign_public, const std::string& sign_public,
             const crypto::SecretKey& secret) {
    const std::string server = crypto::curve_public_from_sign_public(server_sign_public);
    const std::string pub = crypto::curve_public_from_sign_public(sign_public);
    const std::string sec = crypto::curve_secret_from_sign_secret(secret);
    dealer_.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.data(), server.size()));
    dealer_.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub.data(), pub.size()));
    dealer_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(sec.data(), sec.size()));
  }
  void connect(const std::string& endpoint) { dealer_.connect(endpoint); }

  // The first monitor event among `wanted` within the timeout, or 0.
  std::uint16_t await_event(int wanted, long timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{monitor_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t event, address;
      if (!monitor_.recv(event)) continue;
      if (event.more()) (void)monitor_.recv(address);
      std::uint16_t id = 0;
      std::memcpy(&id, event.data(), sizeof(id));
      if (id & wanted) return id;
    }
    return 0;
  }

  // Receives frames until `want` accepts a decoded message. False on timeout.
  bool await_message(long timeout_ms, const std::function<bool(const Message&)>& want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{dealer_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t frame;
      if (!dealer_.recv(frame)) continue;
      auto m = decode_message(frame.to_string_view());
      if (m.is_ok() && want(*m)) return true;
    }
    return false;
  }

  void send(const std::string& frame) { dealer_.send(zmq::buffer(frame)); }

 private:
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
};

constexpr int kHandshakeFailed = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// Says Hello as the child and returns the target's applied position of the child's feed.
Result<std::uint64_t> hello(Session& s, const Options& o) {
  HelloMsg h;
  h.node_id = o.as;
  h.applied_pos = o.applied_pos;
  if (o.attack == "hello-seq") {
    h.your_last_seq = o.seq;
    const crypto::KeyPair noise = crypto::generate_keypair();
    h.your_last_hash = noise.public_key;  // 32 bytes no event of the target hashes to
  }
  h.wall_ms = wall_ms();
  h.hlc = HybridClock::pack(h.wall_ms, 0);
  s.send(encode_message(h));
  std::uint64_t applied = 0;
  bool got = s.await_message(o.timeout_ms, [&](const Message& m) {
    auto* r = std::get_if<HelloMsg>(&m);
    if (r) applied = r->applied_pos;
    return r != nullptr;
  });
  if (!got) return Status::error(Code::kUnavailable, "the target never answered our Hello");
  return applied;
}

// Sends a batch at `pos` and waits for the target's answer. Every batch is answered with a
// cumulative Ack; a refused event is not acknowledged past (it might be transit damage that a
// resend repairs), so any Ack is the answer, whatever position it names.
Status batch_acked(Session& s, std::uint64_t pos, std::vector<WireEvent> events, long timeout_ms) {
  BatchMsg b;
  b.first_pos = pos;
  b.events = std::move(events);
  const std::uint64_t last = b.last_pos();
  s.send(encode_message(b));
  bool acked = s.await_message(timeout_ms, [&](const Message& m) {
    auto* a = std::get_if<AckMsg>(&m);
    return a != nullptr && (a->applied_pos >= last || a->applied_pos < pos);
  });
  if (!acked) return Status::error(Code::kUnavailable, "no Ack through position " + std::to_string(last));
  return Status::ok();
}

// ---------------------------------------------------------------- attacks

// Raw bytes on the TCP port: the target must close the connection. 0 when it did.
int attack_garbage(const Target& t, long timeout_ms) {
  const std::string hostport = t.endpoint.substr(t.endpoint.find("://") + 3);
  const std::string host = hostport.substr(0, hostport.rfind(':'));
  const int port = std::atoi(hostport.substr(hostport.rfind(':') + 1).c_str());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::fprintf(stderr, "hostile-peer: cannot connect to %s\n", t.endpoint.c_str());
    ::close(fd);
    return 1;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 151 + 7) & 0xff));
  (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  char buf[512];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int rc = 1;
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      rc = 0;  // closed (or reset) by the target
      break;
    }
    if (n < 0) break;  // timed out with the connection still open
  }
  ::close(fd);
  std::printf("hostile-peer: garbage: %s\n", rc == 0 ? "connection closed by the target"
                                                    : "connection still open");
  return rc;
}

int attack_unknown_curve(zmq::context_t& ctx, const Target& t, const Options& o) {
  Session s(ctx, o.as.empty() ? "zz-stranger" : o.as);
  crypto::KeyPair stranger = crypto::generate_keypair();
  s.curve(t.sign_public, stranger.public_key, stranger.secret);
  s.connect(t.endpoint);
  std::uint16_t ev = s.await_event(kHandshakeFailed | ZMQ_EVENT_HANDSHAKE_SUCCEEDED, o.timeout_ms);
  const bool refused = ev & kHandshakeFailed;
  std::printf("hostile-peer: unknown-curve: %s\n",
              refused ? "handshake refused" : ev ? "handshake ACCEPTED" : "no answer");
  return refused ? 0 : 1;
}

// Speaks as the child over CurveZMQ and runs `body` after the handshake.
int as_child(zmq::context_t& ctx, const Target& t, const Options& o,
             const std::function<int(Session&, const crypto::KeyPair&)>& body) {
  auto child = crypto::load_keypair(o.testbed + "/" + o.as + "/node.key");
  if (!child.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", child.status().to_string().c_str());
    return 1;
  }
  Session s(ctx, o.as);
  s.curve(t.sign_public, child->public_key, child->secret);
  s.connect(t.endpoint);
  std::uint16_t ev = s.await_event(kHandshakeFailed | ZMQ_EVENT_HANDSHAKE_SUCCEEDED, o.timeout_ms);
  if (ev != ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
    std::fprintf(stderr, "hostile-peer: no CurveZMQ handshake as %s (event %u)\n", o.as.c_str(), ev);
    return 1;
  }
  return body(s, *child);
}

int attack_frame(Session& s, const Options& o) {
  if (o.attack == "oversize") {
    s.send(std::string(limits::kFrameBytesMax + 1, 'x'));
    bool dropped = s.await_event(ZMQ_EVENT_DISCONNECTED, o.timeout_ms) != 0;
    std::printf("hostile-peer: oversize: %s\n", dropped ? "connection dropped by the target"
                                                        : "connection NOT dropped");
    return dropped ? 0 : 1;
  }
  std::string frame;
  if (o.attack == "truncated") {
    BatchMsg b;
    b.first_pos = 1;
    b.events.push_back({o.as, std::string(200, 'e'), std::string(64, 's')});
    frame = encode_message(b);
    frame.resize(frame.size() / 2);
  } else {
    // "CS", version, Hello, then the node_id's 64-bit length: 2^40, with nothing behind it.
    // The checksum is valid, so the bounded archive, not the checksum, has to refuse it.
    const std::uint64_t huge = 1ull << 40;
    frame = seal_frame(MessageType::kHello,
                       std::string_view(reinterpret_cast<const char*>(&huge), sizeof(huge)));
  }
  s.send(frame);
  // No answer comes to a malformed frame; a Heartbeat behind it proves the target read past it.
  s.send(encode_message(HeartbeatMsg{0, wall_ms(), 0}));
  (void)s.await_message(kSettleMs, [](const Message&) { return false; });
  std::printf("hostile-peer: %s: sent a %zu-byte frame\n", o.attack.c_str(), frame.size());
  return 0;
}

int attack_batch(Session& s, const Options& o, const Target& t, const crypto::KeyPair& child) {
  if (o.attack == "hello-seq") {
    auto applied = hello(s, o);
    std::printf("hostile-peer: hello-seq: %s\n", applied.is_ok() ? "answered" : "no answer");
    return applied.is_ok() ? 0 : 1;
  }
  bool skip = false;
  auto events = attack_events(o, t, child.secret, &skip);
  if (!events.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", events.status().to_string().c_str());
    return 2;
  }
  if (skip) {
    std::printf("hostile-peer: %s: skipped (the roster has nothing to attack with)\n",
                o.attack.c_str());
    return kExitSkipped;
  }
  auto applied = hello(s, o);
  if (!applied.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", applied.status().to_string().c_str());
    return 1;
  }
  const std::uint64_t pos = *applied + 1;
  Status st = batch_acked(s, pos, *events, o.timeout_ms);
  if (st.is_ok() && o.attack == "replay") {
    st = batch_acked(s, pos, *events, o.timeout_ms);          // the same batch again
    if (st.is_ok()) st = batch_acked(s, pos + 1, *events, o.timeout_ms);  // the event, anew
  }
  if (!st.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s: %s\n", o.attack.c_str(), st.to_string().c_str());
    return 1;
  }
  std::printf("hostile-peer: %s: acknowledged at position %llu as %s\n", o.attack.c_str(),
              static_cast<unsigned long long>(pos), o.as.c_str());
  return 0;
}

int run(const Options& o) {
  auto t = load_target(o);
  if (!t.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", t.status().to_string().c_str());
    return 2;
  }
  if (o.attack == "garbage") return attack_garbage(*t, o.timeout_ms);
  zmq::context_t ctx(1);
  if (o.attack == "unknown-curve") return attack_unknown_curve(ctx, *t, o);
  if (o.as.empty()) {
    std::fprintf(stderr, "hostile-peer: --attack %s needs --as CHILD\n", o.attack.c_str());
    return 2;
  }
  const bool frame_attack =
      o.attack == "oversize" || o.attack == "truncated" || o.attack == "huge-length";
  return as_child(ctx, *t, o, [&](Session& s, const crypto::KeyPair& child) {
    return frame_attack ? attack_frame(s, o) : attack_batch(s, o, *t, child);
  });
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: casesync-hostile-peer --testbed DIR --target NODE --attack NAME "
                 "[--as CHILD] [--other NODE] [--seq N] [--prev HEX] [--case ID --case-parent HEX] "
                 "[--applied-pos N] [--timeout-ms MS]\n");
    return 2;
  }
  if (!crypto::init().is_ok()) return 1;
  try {
    return run(o);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "hostile-peer: ZeroMQ: %s\n", e.what());
    return 1;
  }
}
