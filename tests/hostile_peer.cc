// casesync-hostile-peer: a test tool that plays one hostile peer against a parent of a testbed
// (or, for parent-flood, a hostile parent against its child) and sends exactly one attack per
// run, so tests/integration/hostile_test.py can check that the node survives it, refuses it under
// the right reason, stores nothing forged, and cuts off a peer that keeps at it.
//
//   casesync-hostile-peer --testbed DIR --target NODE --attack NAME [--as CHILD] [--other NODE]
//                         [--seq N] [--prev HEX] [--case ID --case-parent HEX]
//                         [--applied-pos N] [--timeout-ms MS] [--duration-ms MS] [--rounds N]
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
//   revoked-key      signed claiming a revoked node                 -> bad_signature (exit 3: none)
//   other-origin     signed by CHILD, envelope CHILD, event --other -> origin_mismatch
//   replay           a valid event (CHILD's real key, seq --seq) sent at the next position, the
//                    same batch again, then the same event at a new position -> stored once
//   equivocation     --seq again (already held) with a different body -> equivocation
//   unauthorized     `reopened` by a community on an open case      -> unauthorized
//   hello-seq        a Hello telling the target its own last event is seq --seq, "signed" with
//                    noise (the restore hint your_last_seq + that event): the target must not
//                    take a child's word for its own chain -> unproven_hello_claim
//   flood            bursts of malformed frames until the target cuts the connection, then
//                    dialling again for --duration-ms: each dial must be refused (banned)
//   parent-flood     plays NODE itself (stopped first) to the child that dials it, answering with
//                    malformed frames: the child must hang up, stay away for --duration-ms (its
//                    ban of NODE) and dial again later
//   id_takeover      CHILD's keys, reconnecting for --duration-ms (every other time claiming
//                    --other's name as routing id): listens, then says Hello as --other;
//                    nothing may reach it (tests/hostile_takeover.h)
//   redial           not an attack: CHILD's keys dialling --rounds times like a real child,
//                    each connection saying Hello as CHILD; every Hello must be answered
//   backdated_complete  `completed` signed with CHILD's key on --case (whose holder is --other),
//                    built on --case-parent only (its creation) at --hlc-ms (1 ms after it): a
//                    branch off CHILD's own history placed before its forward -> unauthorized
//   invented_parent  `completed` on --case naming --case-parent and a parent no node holds
//                    -> held as missing_parent, never stored
//                    (both exit 0 only when the target's next Hello answer shows that it did not
//                    store the event: its your_last_seq stays below --seq)
//   log_injection    two events signed by CHILD with a forged log line ("\n<0>node=district
//                    FORGED") in them: one in its kind (refused as unauthorized, and logged),
//                    one in its case_id (the decoder refuses it: malformed_event)
//
// Exit status: 0 the attack was delivered and the target answered as a live peer does (Ack for
// a batch, a closed or refused connection for transport attacks, a cut and refused redials for
// flood); 3 skipped (nothing to attack with); 4 the handshake as CHILD was refused; 1 anything
// else (printed); 2 bad usage.
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
#include <thread>
#include <variant>
#include <zmq.hpp>

#include "config/roster_file.h"
#include "crypto/crypto.h"
#include "sync/event.h"
#include "sync/hlc.h"
#include "sync/limits.h"
#include "sync/messages.h"
#include "tests/hostile_takeover.h"
#include "tests/peer_session.h"

using namespace casesync;

namespace {

constexpr int kExitSkipped = 3;
constexpr int kExitRefused = 4;  // the target refused our handshake as CHILD
constexpr long kSettleMs = 300;  // let a frame that gets no answer reach the target before close
constexpr int kLingerMs = 2000;  // flush the attack before the socket closes
constexpr int kFloodBurstFrames = 50;  // malformed frames per burst: enough to pass any limit
constexpr long kFloodBurstGapMs = 10;  // between bursts, watching for the cut
constexpr long kRedialGapMs = 50;      // between dials while banned

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
  std::uint64_t hlc_ms = 0;  // backdated_complete: the time it claims (0: now)
  long timeout_ms = 5000;
  long duration_ms = 2000;  // flood: how long to keep dialling after the cut
  int rounds = 20;          // redial: how many connections
};

struct Target {
  Roster roster;
  std::string endpoint;    // tcp://host:port
  std::string sign_public;
};

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
    else if (k == "--rounds") o->rounds = std::atoi(v.c_str());
    else if (k == "--case-parent") o->case_parent_hex = v;
    else if (k == "--case") o->case_id = v;
    else if (k == "--hlc-ms") o->hlc_ms = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--timeout-ms") o->timeout_ms = std::strtol(v.c_str(), nullptr, 10);
    else if (k == "--duration-ms") o->duration_ms = std::strtol(v.c_str(), nullptr, 10);
    else if (k == "--prev") {
      auto h = hash_from_hex(v);
      if (!h) return false;
      o->prev = *h;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !o->testbed.empty() && !o->target.empty() && !o->attack.empty() &&
         o->timeout_ms > 0 && o->duration_ms >= 0 && o->seq > 0;
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
  if (a == "log_injection") {
    // Short enough for limits::kKindBytesMax and kCaseIdBytesMax: refused for what it holds.
    const std::string forged = "\n<0>node=district FORGED";
    Event in_case = case_created(o.as, o.seq, o.prev, "c");
    in_case.case_id += forged;
    Event in_kind = case_created(o.as, o.seq, o.prev, "k");
    in_kind.kind = "x" + forged;
    // The kind first: a refused event lets the batch go on, one that does not decode ends it.
    return std::vector<WireEvent>{wire(o.as, seal_event(in_kind, child)),
                                  wire(o.as, seal_event(in_case, child))};
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
  if (a == "backdated_complete" || a == "invented_parent") {
    auto parent = hash_from_hex(o.case_parent_hex);
    if (!parent || o.case_id.empty()) {
      return Status::error(Code::kInvalidArgument, a + " needs --case and --case-parent");
    }
    Event e;
    e.origin = o.as;
    e.seq = o.seq;
    e.hlc = HybridClock::pack(o.hlc_ms != 0 ? o.hlc_ms : wall_ms(), 0);
    e.case_id = o.case_id;
    e.parents = {*parent};
    if (a == "invented_parent") {
      Hash32 invented{};
      for (std::size_t i = 0; i < invented.size(); ++i) invented[i] = static_cast<unsigned char>(0xA5 ^ i);
      e.parents.push_back(invented);
    }
    e.prev = o.prev;
    e.kind = "completed";
    e.body = {{"outcome", "denied"}};
    return std::vector<WireEvent>{wire(o.as, seal_event(e, child))};
  }
  return Status::error(Code::kInvalidArgument, "unknown attack " + a);
}

// After a causal attack: the target's Hello answer names our last event it holds. 0 when it
// did not store the attack (refused or held), 1 when it did.
int judge_by_hello(PeerSession& s, const Options& o) {
  HelloMsg h;
  h.node_id = o.as;
  h.applied_pos = o.applied_pos;
  auto answer = exchange_hello(s, h, o.timeout_ms);
  if (!answer.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", answer.status().to_string().c_str());
    return 1;
  }
  const bool stored = answer->your_last_seq >= o.seq;
  std::printf("hostile-peer: %s: %s (the target holds %s's events through seq %llu)\n",
              o.attack.c_str(), stored ? "STORED by the target" : "not stored by the target",
              o.as.c_str(), static_cast<unsigned long long>(answer->your_last_seq));
  return stored ? 1 : 0;
}

// ---------------------------------------------------------------- the session

// Says Hello as the child and returns the target's applied position of the child's feed.
Result<std::uint64_t> hello(PeerSession& s, const Options& o) {
  HelloMsg h;
  h.node_id = o.as;
  h.applied_pos = o.applied_pos;
  if (o.attack == "hello-seq") {
    h.your_last_seq = o.seq;
    const crypto::KeyPair noise = crypto::generate_keypair();
    h.your_last_bytes = noise.public_key;  // not an event of the target's, not its signature
    h.your_last_signature = std::string(64, '\x01');
  }
  return say_hello(s, h, o.timeout_ms);
}

// Sends a batch at `pos` and waits for the target's answer. Every batch is answered with a
// cumulative Ack; a refused event is not acknowledged past (it might be transit damage that a
// resend repairs), so any Ack is the answer, whatever position it names.
Status batch_acked(PeerSession& s, std::uint64_t pos, std::vector<WireEvent> events, long timeout_ms) {
  BatchMsg b;
  b.first_pos = pos;
  b.events = std::move(events);
  s.send(encode_message(b));
  bool acked = s.await_message(timeout_ms,
                               [](const Message& m) { return std::holds_alternative<AckMsg>(m); });
  if (!acked) {
    return Status::error(Code::kUnavailable,
                         "no Ack for the batch at positions " + std::to_string(pos) + ".." +
                             std::to_string(b.last_pos()));
  }
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
  PeerSession s(ctx, kLingerMs);
  crypto::KeyPair stranger = crypto::generate_keypair();
  s.curve(t.sign_public, stranger.public_key, stranger.secret);
  s.connect(t.endpoint);
  const Handshake hs = s.await_handshake(o.timeout_ms);
  std::printf("hostile-peer: unknown-curve: %s\n", hs == Handshake::kRefused    ? "handshake refused"
                                                   : hs == Handshake::kSucceeded ? "handshake ACCEPTED"
                                                                                 : "no answer");
  return hs == Handshake::kRefused ? 0 : 1;
}

// Speaks as the child over CurveZMQ and runs `body` after the handshake.
int as_child(zmq::context_t& ctx, const Target& t, const Options& o,
             const std::function<int(PeerSession&, const crypto::KeyPair&)>& body) {
  auto child = crypto::load_keypair(o.testbed + "/" + o.as + "/node.key");
  if (!child.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", child.status().to_string().c_str());
    return 1;
  }
  PeerSession s(ctx, kLingerMs);
  s.curve(t.sign_public, child->public_key, child->secret);
  s.connect(t.endpoint);
  const Handshake hs = s.await_handshake(o.timeout_ms);
  if (hs != Handshake::kSucceeded) {
    std::fprintf(stderr, "hostile-peer: no CurveZMQ handshake as %s (%s)\n", o.as.c_str(),
                 hs == Handshake::kRefused ? "refused" : "no answer");
    return hs == Handshake::kRefused ? kExitRefused : 1;
  }
  return body(s, *child);
}

// A valid Batch frame cut in half: refused as malformed_frame.
std::string truncated_batch(const Options& o) {
  BatchMsg b;
  b.first_pos = 1;
  b.events.push_back({o.as, std::string(200, 'e'), std::string(64, 's')});
  std::string frame = encode_message(b);
  frame.resize(frame.size() / 2);
  return frame;
}

int attack_frame(PeerSession& s, const Options& o) {
  if (o.attack == "oversize") {
    s.send(std::string(limits::kFrameBytesMax + 1, 'x'));
    bool dropped = s.await_event(ZMQ_EVENT_DISCONNECTED, o.timeout_ms) != 0;
    std::printf("hostile-peer: oversize: %s\n", dropped ? "connection dropped by the target"
                                                        : "connection NOT dropped");
    return dropped ? 0 : 1;
  }
  std::string frame;
  if (o.attack == "truncated") {
    frame = truncated_batch(o);
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

int attack_batch(PeerSession& s, const Options& o, const Target& t, const crypto::KeyPair& child) {
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
  if (o.attack == "backdated_complete" || o.attack == "invented_parent") return judge_by_hello(s, o);
  std::printf("hostile-peer: %s: acknowledged at position %llu as %s\n", o.attack.c_str(),
              static_cast<unsigned long long>(pos), o.as.c_str());
  return 0;
}

// Bursts of malformed frames until the target cuts the connection (true) or the timeout.
bool flood_until_cut(PeerSession& s, const Options& o, std::uint64_t* frames_sent) {
  const std::string junk = truncated_batch(o);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < kFloodBurstFrames; ++i) *frames_sent += s.try_send(junk);
    if (s.await_event(ZMQ_EVENT_DISCONNECTED, kFloodBurstGapMs) != 0) return true;
  }
  return false;
}

// flood: garbage as CHILD until cut off, then dialling again as CHILD until --duration-ms is
// over; libzmq's own reconnect and every later dial must be refused at the handshake.
int attack_flood(zmq::context_t& ctx, const Target& t, const Options& o,
                 const crypto::KeyPair& child, PeerSession& first) {
  std::uint64_t frames = 0;
  if (!flood_until_cut(first, o, &frames)) {
    std::printf("hostile-peer: flood: %llu malformed frames sent, connection NOT cut\n",
                static_cast<unsigned long long>(frames));
    return 1;
  }
  // libzmq redials at once by itself; that first reconnect must be refused already.
  int refused = first.await_handshake(o.timeout_ms) == Handshake::kRefused ? 1 : 0;
  int admitted = refused ? 0 : 1;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.duration_ms);
  while (std::chrono::steady_clock::now() < end) {
    PeerSession again(ctx, /*linger_ms=*/0);
    again.curve(t.sign_public, child.public_key, child.secret);
    again.connect(t.endpoint);
    const Handshake hs = again.await_handshake(o.timeout_ms);
    refused += hs == Handshake::kRefused;
    admitted += hs == Handshake::kSucceeded;
    std::this_thread::sleep_for(std::chrono::milliseconds(kRedialGapMs));  // pacing, not a wait
  }
  std::printf("hostile-peer: flood: cut off after %llu malformed frames; then %d dials refused, "
              "%d admitted\n",
              static_cast<unsigned long long>(frames), refused, admitted);
  return refused > 0 && admitted == 0 ? 0 : 1;
}

// Reads what children sent; floods each child that spoke with malformed frames when `flood`.
// Returns the monitor events seen meanwhile (ORed), waiting at most `wait_ms` for one.
int serve_children(zmq::socket_t& router, zmq::socket_t& monitor, const std::string& junk,
                   bool flood, long wait_ms) {
  zmq::message_t id, frame;
  while (router.recv(id, zmq::recv_flags::dontwait)) {
    while (id.more() && router.recv(frame, zmq::recv_flags::dontwait) && frame.more()) {
    }
    for (int i = 0; flood && i < kFloodBurstFrames; ++i) {
      if (!router.send(zmq::buffer(id.to_string()), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) break;
      (void)router.send(zmq::buffer(junk), zmq::send_flags::dontwait);
    }
  }
  return next_monitor_event(monitor, wait_ms);
}

// parent-flood: plays NODE itself (stopped first; its key from DIR/NODE/node.key) to the child
// that dials it, answering with malformed frames until the child hangs up. The child must then
// stay away for --duration-ms (it banned us) and dial again within --timeout-ms after that.
int attack_parent_flood(zmq::context_t& ctx, const Target& t, const Options& o) {
  auto me = crypto::load_keypair(o.testbed + "/" + o.target + "/node.key");
  if (!me.is_ok()) {
    std::fprintf(stderr, "hostile-peer: %s\n", me.status().to_string().c_str());
    return 1;
  }
  zmq::socket_t router(ctx, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::curve_server, 1);
  const std::string secret = crypto::curve_secret_from_sign_secret(me->secret);
  router.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  const std::string mon = "inproc://hostile-parent-monitor";
  if (zmq_socket_monitor(router.handle(), mon.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0) {
    throw zmq::error_t();
  }
  zmq::socket_t monitor(ctx, zmq::socket_type::pair);
  monitor.connect(mon);
  router.bind(t.endpoint);
  const std::string junk = truncated_batch(o);
  using Clock = std::chrono::steady_clock;
  const auto phase = [](long ms) { return Clock::now() + std::chrono::milliseconds(ms); };
  bool joined = false, hung_up = false, back = false;
  int early = 0;
  for (auto end = phase(o.timeout_ms); !hung_up && Clock::now() < end;) {
    const int ev = serve_children(router, monitor, junk, /*flood=*/true, kFloodBurstGapMs);
    joined |= ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    hung_up = joined && ev == ZMQ_EVENT_DISCONNECTED;
  }
  for (auto end = phase(o.duration_ms); hung_up && Clock::now() < end;) {
    early += serve_children(router, monitor, junk, false, kFloodBurstGapMs) ==
             ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
  }
  for (auto end = phase(o.timeout_ms); hung_up && !back && Clock::now() < end;) {
    back = serve_children(router, monitor, junk, false, kFloodBurstGapMs) ==
           ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
  }
  zmq_socket_monitor(router.handle(), nullptr, 0);
  std::printf("hostile-peer: parent-flood: %s; %d dials back during --duration-ms; %s\n",
              !joined ? "no child dialled us" : hung_up ? "the child hung up" : "the child stayed",
              early, back ? "then it dialled again" : "it never dialled again");
  return hung_up && early == 0 && back ? 0 : 1;
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
  if (o.attack == "parent-flood") return attack_parent_flood(ctx, *t, o);
  if (o.as.empty()) {
    std::fprintf(stderr, "hostile-peer: --attack %s needs --as CHILD\n", o.attack.c_str());
    return 2;
  }
  if (o.attack == "id_takeover" || o.attack == "redial") {
    auto keys = crypto::load_keypair(o.testbed + "/" + o.as + "/node.key");
    if (!keys.is_ok() || (o.other.empty() && o.attack == "id_takeover")) {
      std::fprintf(stderr, "hostile-peer: %s needs --as CHILD (its key file)%s: %s\n",
                   o.attack.c_str(), o.attack == "id_takeover" ? " and --other" : "",
                   keys.is_ok() ? "no --other" : keys.status().to_string().c_str());
      return 2;
    }
    TakeoverPlan plan{t->endpoint, t->sign_public, o.as, o.other, o.timeout_ms, o.duration_ms};
    if (o.attack == "redial") return redial_as_itself(ctx, plan, *keys, o.rounds, o.applied_pos);
    return attack_id_takeover(ctx, plan, *keys);
  }
  const bool frame_attack =
      o.attack == "oversize" || o.attack == "truncated" || o.attack == "huge-length";
  return as_child(ctx, *t, o, [&](PeerSession& s, const crypto::KeyPair& child) {
    if (o.attack == "flood") return attack_flood(ctx, *t, o, child, s);
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
                 "[--applied-pos N] [--timeout-ms MS] [--duration-ms MS] [--rounds N]\n");
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
