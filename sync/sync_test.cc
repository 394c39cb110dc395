// Proves the sans-I/O sync core: events seal/verify and refuse tampering, the HLC rules hold, and
// nodes wired through an in-memory network batch, window, resend after loss, resume without
// resending acknowledged events, and route cases only where their audience lies.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <set>

#include "crypto/crypto.h"
#include "storage/memory_store.h"
#include "sync/event.h"
#include "sync/evidence_book.h"
#include "sync/frame_compression.h"
#include "sync/health_report.h"
#include "sync/hlc.h"
#include "sync/messages.h"
#include "sync/routing.h"
#include "sync/sync_node.h"

using namespace casesync;

namespace {

// The message type of a frame, whether or not its body is compressed.
MessageType frame_type(const std::string& frame) {
  return static_cast<MessageType>(static_cast<std::uint8_t>(frame[3]) & kFrameTypeMask);
}

struct TestNode {
  std::string id;
  crypto::KeyPair keys;
  std::unique_ptr<MemoryStore> store;
  std::unique_ptr<SyncNode> node;
};

// A district in memory: nodes, a FIFO network with a drop filter and a manual clock.
class Net {
 public:
  // spec: {id, parent}
  explicit Net(std::vector<std::pair<std::string, std::string>> spec, SyncLimits limits = {})
      : limits_(limits) {
    REQUIRE(crypto::init().is_ok());
    for (auto& [id, parent] : spec) {
      auto& n = nodes_[id];
      n.id = id;
      n.keys = crypto::generate_keypair();
      roster_.add({.id = id,
                   .role = parent.empty() ? Role::kDistrict : Role::kStreet,
                   .parent = parent,
                   .sign_public_key = n.keys.public_key});
    }
    for (auto& [id, n] : nodes_) {
      n.store = std::make_unique<MemoryStore>();
      n.node = std::make_unique<SyncNode>(id, roster_, limits, n.store.get(), &n.keys.secret);
      REQUIRE(n.node->start(now).is_ok());
    }
    for (auto& [id, n] : nodes_) {
      if (!n.node->parent().empty()) n.node->on_link_up(n.node->parent(), now);
    }
  }

  SyncNode& operator[](const std::string& id) { return *nodes_.at(id).node; }
  // Replaces the node's database with `backup` as `casesyncctl restore` does, and restarts it.
  void restore(const std::string& id, std::unique_ptr<MemoryStore> backup) {
    replace_database(id, std::move(backup), /*marker=*/true);
  }
  // The same with the file copied back by hand: no restore marker, the node cannot tell.
  void copy_back(const std::string& id, std::unique_ptr<MemoryStore> backup) {
    replace_database(id, std::move(backup), /*marker=*/false);
  }
  // The node's process restarts over the same database (its links come up again from the child).
  void restart(const std::string& id) {
    TestNode& n = nodes_.at(id);
    n.node.reset();
    n.node = std::make_unique<SyncNode>(id, roster_, limits_, n.store.get(), &n.keys.secret);
    REQUIRE(n.node->start(now).is_ok());
    if (!n.node->parent().empty()) n.node->on_link_up(n.node->parent(), now);
  }
  const crypto::SecretKey& secret(const std::string& id) { return nodes_.at(id).keys.secret; }
  MemoryStore& store(const std::string& id) { return *nodes_.at(id).store; }

  // Moves every pending frame; returns how many were delivered.
  std::size_t flush() {
    std::size_t delivered = 0;
    for (int round = 0; round < 10000; ++round) {
      collect();
      if (queue_.empty()) return delivered;
      auto [from, to, frame] = std::move(queue_.front());
      queue_.pop_front();
      if (drop && drop(from, to, frame)) continue;
      frames_by_type[frame_type(frame)]++;
      nodes_.at(to).node->on_frame(from, frame, now);
      delivered++;
    }
    FAIL("network did not settle");
    return delivered;
  }
  void tick(std::uint64_t ms) {
    now += ms;
    for (auto& [id, n] : nodes_) n.node->on_tick(now);
    flush();
  }
  // Creates case "<at>-<name>" at node `at`.
  Result<EventRecord> create(const std::string& at, const std::string& name) {
    return nodes_.at(at).node->author(created(at + "-" + name), now);
  }
  Result<EventRecord> write(const std::string& at, const std::string& case_id,
                            const std::string& kind, std::map<std::string, std::string> body = {}) {
    return nodes_.at(at).node->author({case_id, kind, std::move(body)}, now);
  }
  static EventDraft created(const std::string& case_id) {
    return {case_id, "case_created", {{"matter", "QY-001"}, {"applicant", "Li Wei"}}};
  }
  std::set<std::string> cases_at(const std::string& id) {
    std::set<std::string> out;
    auto rows = nodes_.at(id).store->list_cases(100000);
    for (auto& c : rows.value()) out.insert(c.case_id);
    return out;
  }
  std::uint64_t events_at(const std::string& id) {
    return nodes_.at(id).store->stats().value().event_count;
  }

  std::uint64_t now = 1'700'000'000'000;
  std::function<bool(const std::string&, const std::string&, const std::string&)> drop;
  std::map<MessageType, std::size_t> frames_by_type;
  std::map<std::string, std::vector<Alert>> alerts_;  // every alert so far, by node

 private:
  void replace_database(const std::string& id, std::unique_ptr<MemoryStore> backup, bool marker) {
    TestNode& n = nodes_.at(id);
    n.node.reset();
    n.store = std::move(backup);
    n.node = std::make_unique<SyncNode>(id, roster_, limits_, n.store.get(), &n.keys.secret);
    if (marker) REQUIRE(n.node->restored_from_backup(now).is_ok());
    REQUIRE(n.node->start(now).is_ok());
    if (!n.node->parent().empty()) n.node->on_link_up(n.node->parent(), now);
  }
  void collect() {
    for (auto& [id, n] : nodes_) {
      Effects e = n.node->take_effects();
      for (auto& s : e.sends) queue_.push_back({id, s.peer, std::move(s.frame)});
      for (auto& a : e.alerts) alerts_[id].push_back(std::move(a));
    }
  }
  SyncLimits limits_;
  Roster roster_;
  std::map<std::string, TestNode> nodes_;
  std::deque<std::tuple<std::string, std::string, std::string>> queue_;
};

Event sample_event() {
  Event e;
  e.origin = "c01";
  e.seq = 7;
  e.hlc = HybridClock::pack(1000, 3);
  e.case_id = "case-1";
  e.kind = "case_created";
  e.body = {{"matter", "QY-001"}, {"applicant", "Li Wei"}};
  return e;
}

}  // namespace

TEST_CASE("event seal and open round trip; any flipped bit is refused") {
  REQUIRE(crypto::init().is_ok());
  auto keys = crypto::generate_keypair();
  EventRecord r = seal_event(sample_event(), keys.secret);
  auto opened = open_event(r, keys.public_key);
  REQUIRE(opened.is_ok());
  CHECK(opened->field("applicant") == "Li Wei");
  CHECK(r.hash == crypto::hash(r.signed_bytes));

  for (std::size_t i = 0; i < r.signed_bytes.size(); i += 3) {
    EventRecord t = r;
    t.signed_bytes[i] = static_cast<char>(t.signed_bytes[i] ^ 0x01);
    CHECK_FALSE(open_event(t, keys.public_key).is_ok());
  }
  EventRecord bad_sig = r;
  bad_sig.signature[5] = static_cast<char>(bad_sig.signature[5] ^ 0x80);
  CHECK_FALSE(open_event(bad_sig, keys.public_key).is_ok());
  auto other = crypto::generate_keypair();
  CHECK_FALSE(open_event(r, other.public_key).is_ok());
  EventRecord wrong_origin = r;
  wrong_origin.origin = "c02";
  // Signed by c01's key but presented as c02's: the envelope and the content disagree.
  CHECK(open_event(wrong_origin, keys.public_key).status().code() == Code::kUnauthorized);
}

TEST_CASE("decoding refuses lengths beyond the bytes that arrived") {
  std::string bytes = encode_event(sample_event());
  // Version byte, then the origin's 8-byte length: claim 2^40 bytes.
  std::string lie = bytes.substr(0, 1);
  std::uint64_t huge = 1ull << 40;
  lie.append(reinterpret_cast<const char*>(&huge), 8);
  lie.append("c0");
  auto r = decode_event(lie);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("exceeds") != std::string::npos);
  CHECK_FALSE(decode_event(bytes.substr(0, bytes.size() - 1)).is_ok());
  CHECK_FALSE(decode_event(bytes + "x").is_ok());
  CHECK_FALSE(decode_message("XX\x01\x01").is_ok());
  CHECK_FALSE(decode_message(std::string("CS\x09\x01", 4)).is_ok());
}

TEST_CASE("messages round trip") {
  BatchMsg b;
  b.first_pos = 42;
  b.events.push_back({"c01", std::string(100, 'x'), std::string(64, 's')});
  auto m = decode_message(encode_message(b));
  REQUIRE(m.is_ok());
  auto& got = std::get<BatchMsg>(m.value());
  CHECK(got.first_pos == 42);
  CHECK(got.last_pos() == 42);
  CHECK(got.events[0].signed_bytes.size() == 100);
  auto h = decode_message(encode_message(HelloMsg{"s01", 9, 123, 456, 1}));
  REQUIRE(h.is_ok());
  CHECK(std::get<HelloMsg>(h.value()).applied_pos == 9);
}

TEST_CASE("HLC: monotonic on send, ahead of remote on receive, steady through a backward clock") {
  HybridClock c;
  auto a = c.now(1000);
  CHECK(HybridClock::millis(a) == 1000);
  auto b = c.now(1000);
  CHECK(b > a);
  CHECK(HybridClock::counter(b) == 1);
  auto remote = HybridClock::pack(5000, 7);
  auto r = c.observe(remote, 1200);
  CHECK(r > remote);
  CHECK(HybridClock::millis(r) == 5000);
  auto back = c.now(900);  // wall clock jumped backwards
  CHECK(back > r);
  auto fwd = c.now(9000);
  CHECK(HybridClock::millis(fwd) == 9000);
  CHECK(HybridClock::counter(fwd) == 0);
  HybridClock full(HybridClock::pack(10, HybridClock::kCounterMask));
  CHECK(HybridClock::millis(full.now(10)) == 11);  // counter overflow carries
}

namespace {
// d -> s1, s2; c1 under s1, c2 under `c2_parent`.
Roster routing_roster(const char* c2_parent) {
  Roster r;
  r.add({.id = "d", .role = Role::kDistrict});
  r.add({.id = "s1", .role = Role::kStreet, .parent = "d"});
  r.add({.id = "s2", .role = Role::kStreet, .parent = "d"});
  r.add({.id = "c1", .role = Role::kCommunity, .parent = "s1"});
  r.add({.id = "c2", .role = Role::kCommunity, .parent = c2_parent});
  return r;
}
}  // namespace

TEST_CASE("routing: upward always from the subtree, downward only where the audience lies") {
  const Roster r = routing_roster("s1");
  Event e;
  e.origin = "c1";
  e.case_id = "x";
  e.kind = "case_created";
  auto at_s1 = decide_route({&r, "s1", "d", {"c1", "c2"}, "c1"}, e, {"c1"}, {"c1"});
  CHECK(at_s1.to_parent);
  CHECK(at_s1.children.empty());
  CHECK(at_s1.children_backfill.empty());
  Event f;
  f.origin = "d";
  f.case_id = "x";
  f.kind = kForwardKind;
  f.body = {{"to", "c2"}};
  auto at_d = decide_route({&r, "d", "", {"s1", "s2"}, ""}, f, {"c1", "d", "c2"}, {"d", "c2"});
  CHECK_FALSE(at_d.to_parent);
  CHECK(at_d.children == std::vector<std::string>{"s1"});  // s1 already had the case via c1
  auto at_s1_fwd = decide_route({&r, "s1", "d", {"c1", "c2"}, "d"}, f, {"c1", "d", "c2"}, {"c2"});
  CHECK_FALSE(at_s1_fwd.to_parent);
  CHECK(at_s1_fwd.children == std::vector<std::string>{"c1"});
  CHECK(at_s1_fwd.children_backfill == std::vector<std::string>{"c2"});
}

TEST_CASE("routing: a second create of a case from another subtree brings it the whole case") {
  const Roster r = routing_roster("s2");
  Event e;
  e.origin = "c2";
  e.case_id = "portal:R-1";
  e.kind = "case_created";
  // c1 created the case first; c2's create arrives at d from s2, whose subtree lacks c1's.
  auto at_d = decide_route({&r, "d", "", {"s1", "s2"}, "s2"}, e, {"c1", "c2"}, {"c2"});
  CHECK(at_d.children == std::vector<std::string>{"s1"});
  CHECK(at_d.children_backfill == std::vector<std::string>{"s2"});
  // The first create of a case goes nowhere back down.
  Event first = e;
  first.origin = "c1";
  auto at_s1 = decide_route({&r, "s1", "d", {"c1"}, "c1"}, first, {"c1"}, {"c1"});
  CHECK(at_s1.children_backfill.empty());
  CHECK(at_s1.children.empty());
}

TEST_CASE("batches and window: 2000 events flow in batches with at most `window` in flight") {
  SyncLimits limits;
  limits.batch_events_max = 100;
  limits.window_batches_max = 3;
  Net net({{"d", ""}, {"s1", "d"}}, limits);
  net.flush();
  std::vector<EventDraft> drafts;
  for (int i = 0; i < 2000; ++i) drafts.push_back(Net::created("s1-" + std::to_string(i)));
  REQUIRE(net["s1"].author_batch(std::move(drafts), net.now).is_ok());
  // Nothing has been delivered yet: at most `window` batches were put on the wire.
  auto sends = net["s1"].take_effects().sends;
  std::size_t batches = 0;
  for (auto& s : sends) batches += frame_type(s.frame) == MessageType::kBatch;
  // Before the link has measured anything, one small batch is in flight; never more than `window`.
  CHECK(batches >= 1);
  CHECK(batches <= 3);
  for (auto& s : sends) net["d"].on_frame("s1", s.frame, net.now);
  net.flush();
  CHECK(net.events_at("d") == 2000);
  // 20 full batches at least (3 delivered by hand); the first are smaller while the link has not
  // yet measured its delivery rate.
  CHECK(net.frames_by_type[MessageType::kBatch] + batches >= 20);
}

// A model of a 64 kbit/s terminal link with 300 ms round trip: the bottleneck serves 8,000
// bytes/s in order, acks come back 150 ms after a batch is through. The link must keep the
// pipe full (goodput near the cap) while keeping only a few kilobytes in flight, so that a reset
// loses little and urgent events do not queue behind minutes of backlog.
// Priorities: after an outage with a long backlog, the acceptance of today's case reaches the
// district before the backlog written before it (UrgentMsg), and the feed still delivers
// everything exactly once.
TEST_CASE("urgent events overtake the backlog; the feed still delivers everything once") {
  SyncLimits limits;
  limits.batch_events_max = 50;
  limits.window_batches_max = 2;
  Net net({{"d", ""}, {"s1", "d"}}, limits);
  net.flush();
  REQUIRE(net.create("d", "x").is_ok());
  auto fwd = net.write("d", "d-x", kForwardKind, {{"to", "s1"}});
  REQUIRE(fwd.is_ok());
  net.flush();
  REQUIRE(net.cases_at("s1").count("d-x"));
  // The link to the district breaks; s1 keeps working: a backlog, then today's acceptance.
  net.drop = [](const std::string& from, const std::string&, const std::string&) { return from == "s1"; };
  REQUIRE(net.create("s1", "backlog").is_ok());
  // 900 notes: under limits::kCaseEventsMax, still 18 batches of backlog behind a window of 2.
  std::vector<EventDraft> notes;
  for (int i = 0; i < 900; ++i) notes.push_back({"s1-backlog", "note", {{"text", std::to_string(i)}}});
  REQUIRE(net["s1"].author_batch(std::move(notes), net.now).is_ok());
  auto accepted = net.write("s1", "d-x", "accepted", {{"hop", "d:" + std::to_string(fwd->seq)}});
  REQUIRE(accepted.is_ok());
  net.flush();
  net["s1"].on_link_down("d", net.now);
  net.drop = nullptr;
  net["s1"].on_link_up("d", net.now);
  net.flush();
  for (int i = 0; i < 5; ++i) net.tick(1000);
  // Where the acceptance landed in the district's log, among s1's events.
  auto log = net.store("d").events_after(0, 100000).value();
  std::size_t accepted_at = 0, s1_events = 0;
  for (const auto& r : log) {
    if (r.origin != "s1") continue;
    s1_events++;
    if (r.seq == accepted->seq) accepted_at = s1_events;
  }
  CHECK(s1_events == accepted->seq);  // every s1 event, none twice (the store refuses a second)
  REQUIRE(accepted_at > 0);
  CHECK(accepted_at <= 3 * limits.batch_events_max);  // not behind 2,000 notes
  CHECK(net["s1"].counters().peers.at("d").urgent_out >= 1);
  CHECK(net["d"].counters().peers.at("s1").urgent_in >= 1);
}

TEST_CASE("a child's Hello backs off while its parent is down, capped, with jitter") {
  SyncLimits limits;
  limits.heartbeat_interval_ms = 1000;
  PeerLink link("d", limits, PeerCheckpoint{});
  std::uint64_t now = 10'000;
  REQUIRE(link.hello_due(now));
  // The wait after each attempt, without jitter: one interval, then doubling up to
  // kHelloBackoffMaxMs (8 s).
  std::vector<std::uint64_t> waits;
  for (int attempt = 0; attempt < 6; ++attempt) {
    link.on_hello_sent(now, /*jitter=*/0);
    std::uint64_t waited = 0;
    while (!link.hello_due(now + waited)) waited += 100;
    waits.push_back(waited);
    now += waited;
  }
  CHECK(waits == std::vector<std::uint64_t>{1000, 2000, 4000, 8000, 8000, 8000});
  // Jitter shortens a wait by up to a quarter, never lengthens it.
  link.on_hello_sent(now, /*jitter=*/999);
  CHECK_FALSE(link.hello_due(now + 5900));
  CHECK(link.hello_due(now + 6100));
  // Up again, then down: the backoff starts over.
  link.on_hello(0, now);
  link.set_down();
  CHECK(link.hello_due(now));
}

TEST_CASE("flow control: a slow link is kept full with little in flight") {
  SyncLimits limits;
  PeerLink link("d", limits, PeerCheckpoint{});
  std::uint64_t now = 1000;
  link.on_hello(0, now);
  constexpr std::uint64_t kRateBps = 8000, kOneWayMs = 150, kEventBytes = 350;
  std::uint64_t next_pos = 1, bottleneck_free_at = 0, delivered_bytes = 0, max_in_flight = 0;
  std::multimap<std::uint64_t, std::uint64_t> acks;  // due ms -> last position
  for (; now < 120'000; now += 10) {
    while (!acks.empty() && acks.begin()->first <= now) {
      REQUIRE(link.on_ack(acks.begin()->second, now) != PeerLink::AckResult::kBeyondSent);
      acks.erase(acks.begin());
    }
    while (link.window_open()) {
      const std::uint64_t events = std::max<std::uint64_t>(1, link.batch_bytes_target() / kEventBytes);
      const std::uint64_t bytes = events * kEventBytes;
      const std::uint64_t first = next_pos, last = next_pos + events - 1;
      link.on_batch_sent(first, last, bytes, now);
      next_pos = last + 1;
      const std::uint64_t start = std::max(now + kOneWayMs, bottleneck_free_at);
      bottleneck_free_at = start + bytes * 1000 / kRateBps;
      acks.emplace(bottleneck_free_at + kOneWayMs, last);
      if (now > 30'000) delivered_bytes += bytes;
    }
    max_in_flight = std::max(max_in_flight, now > 30'000 ? link.in_flight_bytes() : 0);
    REQUIRE(link.due_resends(now).empty());  // no spurious timeouts on a steady link
  }
  const double goodput = static_cast<double>(delivered_bytes) / 90.0 / kRateBps;
  CAPTURE(goodput);
  CAPTURE(max_in_flight);
  CAPTURE(link.batch_bytes_target());
  CAPTURE(link.min_rtt_ms());
  CHECK(goodput >= 0.9);
  CHECK(max_in_flight <= 16 * 1024);
  CHECK(link.batch_bytes_target() <= 4096);
}

TEST_CASE("large batches go out compressed; the counters hold both sizes") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  std::vector<EventDraft> drafts;
  for (int i = 0; i < 300; ++i) drafts.push_back(Net::created("s1-z" + std::to_string(i)));
  REQUIRE(net["s1"].author_batch(std::move(drafts), net.now).is_ok());
  std::size_t batches = 0, compressed = 0;
  for (auto& s : net["s1"].take_effects().sends) {
    batches += frame_type(s.frame) == MessageType::kBatch;
    compressed += (static_cast<std::uint8_t>(s.frame[3]) & kFrameFlagZstd) != 0;
    net["d"].on_frame("s1", s.frame, net.now);
  }
  CHECK(batches > 0);
  CHECK(compressed == batches);
  net.flush();
  CHECK(net.events_at("d") == 300);
  const PeerCounters& pc = net["s1"].counters().peers.at("d");
  CHECK(pc.bytes_out < pc.bytes_out_uncompressed);
  CHECK(net["d"].counters().peers.at("s1").bytes_in == pc.bytes_out);
}

TEST_CASE("a lost batch is resent after the timeout and the rest are not stalled") {
  SyncLimits limits;
  limits.batch_events_max = 10;
  limits.window_batches_max = 4;
  limits.resend_timeout_ms = 500;
  Net net({{"d", ""}, {"s1", "d"}}, limits);
  net.flush();
  bool dropped = false;
  net.drop = [&](const std::string& from, const std::string&, const std::string& frame) {
    if (from == "s1" && !dropped && frame_type(frame) == MessageType::kBatch) {
      dropped = true;
      return true;
    }
    return false;
  };
  std::vector<EventDraft> drafts;
  for (int i = 0; i < 40; ++i) drafts.push_back(Net::created("s1-" + std::to_string(i)));
  REQUIRE(net["s1"].author_batch(std::move(drafts), net.now).is_ok());
  net.flush();
  CHECK(dropped);
  // The fast resend (duplicate ack) or the timer brings the lost batch; later ones waited in
  // the receiver's ahead buffer instead of being sent again.
  net.tick(600);
  CHECK(net.events_at("d") == 40);
  CHECK(net["s1"].counters().peers.at("d").batches_resent <= 2);
}

TEST_CASE("resume after reconnect resends nothing that was acknowledged") {
  SyncLimits limits;
  limits.batch_events_max = 50;
  Net net({{"d", ""}, {"s1", "d"}}, limits);
  net.flush();
  for (int i = 0; i < 100; ++i) REQUIRE(net.create("s1", "a" + std::to_string(i)).is_ok());
  net.flush();
  REQUIRE(net.events_at("d") == 100);
  const auto out_before = net["s1"].counters().peers.at("d").events_out;
  // The link breaks: everything sent from now on is lost until the child says hello again.
  net.drop = [](const std::string&, const std::string&, const std::string&) { return true; };
  for (int i = 0; i < 30; ++i) REQUIRE(net.create("s1", "b" + std::to_string(i)).is_ok());
  net.flush();
  net["s1"].on_link_down("d", net.now);
  net.drop = nullptr;
  net["s1"].on_link_up("d", net.now);
  net.flush();
  CHECK(net.events_at("d") == 130);
  // 30 lost in the outage, 30 after the resume: never the first 100 again.
  CHECK(net["s1"].counters().peers.at("d").events_out - out_before <= 60);
  CHECK(net["d"].counters().events_duplicate == 0);
}

// Outbox caps (sync/outbox_cap.h): while the street and the district cannot reach each other,
// both outboxes between them pass a tiny cap and are dropped; the marks survive a restart; when
// the link heals each side gets a catch-up re-send and ends with every event it would have got.
TEST_CASE("outboxes over their cap are dropped, and the peer back gets everything it lacked") {
  SyncLimits limits;
  limits.outbox_bytes_max = 4096;
  limits.batch_events_max = 8;
  Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}}, limits);
  REQUIRE(net.create("d", "old").is_ok());
  REQUIRE(net.write("d", "d-old", kForwardKind, {{"to", "s1"}}).is_ok());
  net.flush();
  auto cut = [](const std::string& a, const std::string& b, const std::string&) {
    return (a == "s1" && b == "d") || (a == "d" && b == "s1");
  };
  net.drop = cut;
  net.tick(limits.peer_timeout_ms + 1000);  // both ends time the link out
  for (int i = 0; i < 40; ++i) {
    REQUIRE(net.create("c1", "a" + std::to_string(i)).is_ok());
    REQUIRE(net.create("s1", "b" + std::to_string(i)).is_ok());
    REQUIRE(net.write("d", "d-old", "note", {{"text", "n" + std::to_string(i)}}).is_ok());
  }
  // Two checks: the community's events reach the street after its first one and refill it.
  net.tick(OutboxCap::kCheckIntervalMs + 100);
  net.tick(OutboxCap::kCheckIntervalMs + 100);
  for (const auto& [node, peer] : {std::pair<std::string, std::string>{"s1", "d"}, {"d", "s1"}}) {
    CAPTURE(node);
    const PeerCounters& pc = net[node].counters().peers.at(peer);
    CHECK(pc.outbox_caps >= 1);
    CHECK(pc.outbox_dropped_events > 0);
    auto links = net[node].links();
    auto l = std::find_if(links.begin(), links.end(), [&](auto& x) { return x.peer == peer; });
    REQUIRE(l != links.end());
    CHECK(l->outbox_capped);
    CHECK(l->backlog_events == 0);  // nothing of it was ever sent: all dropped
  }
  // The marks are on disk: a restart keeps them.
  net.restart("s1");
  net.drop = cut;
  net.tick(1000);
  auto links = net["s1"].links();
  CHECK(std::any_of(links.begin(), links.end(), [](auto& x) { return x.peer == "d" && x.outbox_capped; }));
  net.drop = nullptr;
  for (int i = 0; i < 20; ++i) net.tick(1000);
  CHECK(net.events_at("d") == net.events_at("s1"));
  CHECK(net.cases_at("d") == net.cases_at("s1"));
  CHECK(net.events_at("d") == 2 + 40 * 3 + 1);  // and the receipt s1 signed for the forward
  for (const std::string node : {"d", "s1"}) {
    CAPTURE(node);
    for (const auto& l : net[node].links()) CHECK_FALSE(l.outbox_capped);
    CHECK(net[node].counters().equivocations == 0);
  }
  CHECK(net["s1"].counters().peers.at("d").catch_up_events > 0);
  CHECK(net["d"].counters().peers.at("s1").catch_up_events > 0);
}

// Restore from an older backup (docs/ARCHITECTURE.md, "Restore"): every neighbour re-sends what
// the restored node lost — from its retained outbox, or in full when the backup is older than
// that — the parent returns the node's own later events, and the node never signs a sequence
// number twice.
TEST_CASE("a node restored from an older backup gets back all it lost and never equivocates") {
  for (std::uint32_t retain : {100000u, 0u}) {
    CAPTURE(retain);
    SyncLimits limits;
    limits.outbox_retain_events = retain;
    Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}}, limits);
    net.flush();
    for (int i = 0; i < 5; ++i) REQUIRE(net.create("c1", "a" + std::to_string(i)).is_ok());
    REQUIRE(net.create("s1", "a").is_ok());
    net.flush();
    auto backup = net.store("s1").backup();
    // After the backup: s1 writes, its child writes through it, the district writes down to it.
    for (int i = 0; i < 5; ++i) REQUIRE(net.create("s1", "b" + std::to_string(i)).is_ok());
    for (int i = 0; i < 5; ++i) REQUIRE(net.create("c1", "b" + std::to_string(i)).is_ok());
    REQUIRE(net.create("d", "x").is_ok());
    REQUIRE(net.write("d", "d-x", kForwardKind, {{"to", "s1"}}).is_ok());  // s1 signs a receipt
    net.flush();
    net.tick(1000);
    const std::uint64_t held_before = net.events_at("s1");
    REQUIRE(held_before == 19);

    net.restore("s1", std::move(backup));
    REQUIRE(net.events_at("s1") < held_before);
    CHECK_FALSE(net.write("s1", "s1-a", "note", {{"text", "too early"}}).is_ok());
    for (int i = 0; i < 5; ++i) net.tick(1000);
    CHECK(net.events_at("s1") == held_before);
    CHECK(net.cases_at("s1") == net.cases_at("d"));
    // The next write takes a fresh sequence number: the district stores it, no equivocation.
    auto after = net.write("s1", "s1-a", "note", {{"text", "after the restore"}});
    REQUIRE(after.is_ok());
    CHECK(after->seq == 8);
    net.tick(1000);
    CHECK(net.events_at("d") == held_before + 1);
    CHECK(net["d"].counters().equivocations == 0);
    CHECK(net["s1"].counters().equivocations == 0);
    CHECK(net["c1"].counters().equivocations == 0);
  }
}

TEST_CASE("a parent restored from an older backup gets its children's events and its own again") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  for (int i = 0; i < 5; ++i) REQUIRE(net.create("s1", "a" + std::to_string(i)).is_ok());
  net.flush();
  auto backup = net.store("d").backup();
  for (int i = 0; i < 5; ++i) REQUIRE(net.create("s1", "b" + std::to_string(i)).is_ok());
  net.flush();
  net.tick(1000);
  REQUIRE(net.events_at("d") == 10);
  // The district's own events, sent down to s1 (which signs a receipt): s1 holds them.
  REQUIRE(net.create("d", "own").is_ok());
  REQUIRE(net.write("d", "d-own", kForwardKind, {{"to", "s1"}}).is_ok());
  net.flush();
  net.tick(1000);
  const std::uint64_t held_before = net.events_at("d");
  REQUIRE(held_before == 13);
  net.restore("d", std::move(backup));
  REQUIRE(net.events_at("d") == 5);
  CHECK_FALSE(net.create("d", "too-early").is_ok());  // signs nothing before s1 answered
  for (int i = 0; i < 5; ++i) net.tick(1000);
  CHECK_FALSE(net["d"].restoring());
  CHECK(net.events_at("d") == held_before);  // s1's, and the district's own that s1 held
  REQUIRE(net.create("s1", "c").is_ok());
  // Its sequence continues after the own events s1 returned: never a number signed twice.
  auto own = net.create("d", "after");
  REQUIRE(own.is_ok());
  CHECK(own->seq == 3);
  net.tick(1000);
  CHECK(net.events_at("d") == held_before + 2);
  CHECK(net["d"].counters().equivocations == 0);
  CHECK(net["s1"].counters().equivocations == 0);
}

// Seed 20261206072 (F20's seed after the routing change of F23): the district and a street were
// both restored; the district finished on the street's word while the street was still being
// re-synced by its community, the only node left holding district's own event. The street
// learned it back after, and routing sends up only the street's own subtree's events: the district
// signed its seq again. A restored parent now waits for a restoring child to finish, and an own
// event of a neighbour learned from elsewhere goes back to it.
TEST_CASE("a restored parent gets back its own event that only a restored child's child held") {
  Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}});
  net.flush();
  REQUIRE(net.create("c1", "x").is_ok());
  REQUIRE(net.write("c1", "c1-x", kForwardKind, {{"to", "d"}}).is_ok());
  net.flush();
  net.tick(1000);
  auto backup_d = net.store("d").backup();
  auto backup_s1 = net.store("s1").backup();
  auto own = net.write("d", "c1-x", "note", {{"text", "from the district"}});
  REQUIRE(own.is_ok());
  net.flush();
  REQUIRE(net.write("c1", "c1-x", "note", {{"text", "after the district's note"}}).is_ok());
  net.flush();
  net.tick(1000);
  REQUIRE(net.store("c1").get_event("d", own->seq).value().has_value());
  bool hold = true;  // c1 answers s1 only after the district has heard s1
  net.drop = [&](const std::string& from, const std::string& to, const std::string&) {
    return hold && from == "c1" && to == "s1";
  };
  net.restore("s1", std::move(backup_s1));
  net.restore("d", std::move(backup_d));
  for (int i = 0; i < 5; ++i) net.tick(1000);
  CHECK(net["d"].restoring());  // s1 answered, but it is being restored itself
  hold = false;
  for (int i = 0; i < 20; ++i) net.tick(1000);
  CHECK_FALSE(net["s1"].restoring());
  CHECK_FALSE(net["d"].restoring());
  CHECK(net.store("d").get_event("d", own->seq).value().has_value());
  auto next = net.write("d", "c1-x", "note", {{"text", "after the restore"}});
  REQUIRE(next.is_ok());
  CHECK(next->seq == own->seq + 1);
  net.tick(1000);
  for (const char* n : {"d", "s1", "c1"}) CHECK(net[n].counters().equivocations == 0);
}

// Seed 20261215019 (F25): a street's database copied back by hand; its clerk wrote before the
// district's first Hello arrived, so its outbox toward the district again reached the position
// the district had applied (events relayed from its community after the backup), the rollback
// went unnoticed, and the district took the new events' positions for ones it already held.
TEST_CASE("a database copied back by hand is caught at the parent's first Hello despite new writes") {
  Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}});
  net.flush();
  REQUIRE(net.create("s1", "a").is_ok());
  net.flush();
  net.tick(1000);
  auto backup = net.store("s1").backup();
  for (int i = 0; i < 3; ++i) REQUIRE(net.create("c1", "b" + std::to_string(i)).is_ok());
  net.flush();
  net.tick(1000);
  REQUIRE(net.cases_at("d").count("c1-b2"));
  net.copy_back("s1", std::move(backup));
  for (int i = 0; i < 3; ++i) REQUIRE(net.create("s1", "new" + std::to_string(i)).is_ok());
  net.flush();
  CHECK(net["s1"].restoring());
  for (int i = 0; i < 20; ++i) net.tick(1000);
  CHECK_FALSE(net["s1"].restoring());
  for (const char* c : {"s1-new0", "s1-new1", "s1-new2", "c1-b0", "c1-b1", "c1-b2"}) {
    CAPTURE(c);
    CHECK(net.cases_at("d").count(c));
    CHECK(net.cases_at("s1").count(c));
  }
}

// Sim seed 20261300021: a community copied back by hand twice from the same backup; the second
// time its database's epoch was older than the restore its parent had already seen, so every
// Hello it sent was refused as stale, for good. The parent's reply names the epoch it knows, and
// the node restores again with a later one.
TEST_CASE("a database copied back from before its own last restore restores again") {
  Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}});
  net.flush();
  REQUIRE(net.create("c1", "a").is_ok());
  net.flush();
  net.tick(1000);
  auto backup = net.store("c1").backup();
  auto second_copy = net.store("c1").backup();
  REQUIRE(net.create("c1", "b").is_ok());
  net.flush();
  net.tick(1000);
  net.copy_back("c1", std::move(backup));
  net.flush();
  for (int i = 0; i < 20 && net["c1"].restoring(); ++i) net.tick(1000);
  REQUIRE_FALSE(net["c1"].restoring());
  const std::uint64_t first_epoch = net["c1"].restore_epoch();
  REQUIRE(first_epoch > 0);
  net.tick(1000);
  net.copy_back("c1", std::move(second_copy));  // epoch 0 again: older than the parent knows
  net.flush();
  for (int i = 0; i < 20 && (net["c1"].restoring() || net["c1"].restore_epoch() <= first_epoch); ++i) {
    net.tick(1000);
  }
  CHECK(net["c1"].restore_epoch() > first_epoch);
  CHECK_FALSE(net["c1"].restoring());
  REQUIRE(net.create("c1", "after").is_ok());
  net.flush();
  net.tick(1000);
  CHECK(net.cases_at("d").count("c1-after"));
  CHECK(net.cases_at("c1").count("c1-b"));  // what it lost came back
}

// Seed 20261204431 (F15 in docs/SIMULATOR.md): a street dialled the restored district before it
// knew of the restore, so the link came up on the street's Hello; the street's one answer with
// the new restore epoch was lost, and nothing else carries the epoch. The district waited for it
// for good and signed nothing. It must ask again on a link that is up.
TEST_CASE("a restored node asks a neighbour again when its answer is lost on a link that is up") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  REQUIRE(net.create("s1", "a").is_ok());
  net.flush();
  auto backup = net.store("d").backup();
  REQUIRE(net.create("s1", "b").is_ok());
  net.flush();
  net.tick(1000);
  int hellos_up = 0;
  net.drop = [&](const std::string& from, const std::string& to, const std::string& frame) {
    if (from != "s1" || to != "d" || frame_type(frame) != MessageType::kHello) return false;
    return ++hellos_up == 2;  // the first is the dial, the second the answer with the new epoch
  };
  net.restore("d", std::move(backup));
  net["s1"].on_link_down("d", net.now);
  net["s1"].on_link_up("d", net.now);
  net.flush();
  REQUIRE(hellos_up >= 2);
  for (int i = 0; i < 10; ++i) net.tick(1000);
  CHECK_FALSE(net["d"].restoring());
  CHECK(net.events_at("d") == 2);
  CHECK(net.create("d", "after").is_ok());
}

// Seed 20261205008: a community whose full disk refused every re-sync kept its link down and
// asked for a Hello on every frame; each Hello was answered with several frames, each of which
// asked again, and the frames multiplied without bound in no time. A link that is down asks at
// the Hello backoff's pace, however many frames arrive.
TEST_CASE("frames on a link that is down ask for a Hello at the backoff's pace, not one each") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  int hellos_from_d = 0;
  net.drop = [&](const std::string& from, const std::string& to, const std::string& frame) {
    if (frame_type(frame) != MessageType::kHello) return false;
    if (from == "d" && to == "s1") ++hellos_from_d;
    return from == "s1";  // the answers never arrive: d's link to s1 stays down
  };
  net["d"].on_link_down("s1", net.now);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(net.create("s1", "a" + std::to_string(i)).is_ok());
    net.flush();
  }
  CHECK(hellos_from_d >= 1);
  CHECK(hellos_from_d <= 2);
  hellos_from_d = 0;
  for (int i = 0; i < 30; ++i) net.tick(100);  // 3 s: a few backoff steps, not one per frame
  CHECK(hellos_from_d <= 4);
}

// Seed 20261206058: a community on its fallback parent (the district) sent its events there and
// was then revoked; its street never got them, because the district took the author's subtree
// to hold what the author wrote. An event that came up a fallback link goes down to the child
// above its author as well.
TEST_CASE("an event from a fallback child goes down to the street above its author too") {
  Roster roster;
  roster.add({.id = "d", .role = Role::kDistrict, .parent = ""});
  roster.add({.id = "s1", .role = Role::kStreet, .parent = "d"});
  roster.add({.id = "c1", .role = Role::kCommunity, .parent = "s1", .fallback_parents = {"d"}});
  Event e;
  e.origin = "c1";
  e.case_id = "c1-x";
  e.kind = "note";
  const std::vector<std::string> audience = {"c1"};
  RouteInput in{&roster, "d", "", {"s1", "c1"}, "c1"};
  RouteDecision via_fallback = decide_route(in, e, audience, {});
  CHECK(via_fallback.children == std::vector<std::string>{"s1"});
  // The same event relayed by the street itself does not go back down to it.
  in.from_peer = "s1";
  CHECK(decide_route(in, e, audience, {}).children.empty());
}

// Seed 476292693678: a community on its fallback parent (another street) created a case; the
// district took the community's own street to hold it, as if the street had relayed it, and the
// street never got the case. An event from below one child does not count as held by another.
TEST_CASE("a case that came up through another street reaches the street above its author") {
  Roster roster;
  roster.add({.id = "d", .role = Role::kDistrict, .parent = ""});
  roster.add({.id = "s1", .role = Role::kStreet, .parent = "d"});
  roster.add({.id = "s2", .role = Role::kStreet, .parent = "d"});
  roster.add({.id = "c1", .role = Role::kCommunity, .parent = "s1", .fallback_parents = {"s2"}});
  Event e;
  e.origin = "c1";
  e.case_id = "c1-x";
  e.kind = "case_created";
  const std::vector<std::string> audience = {"c1"};
  RouteInput in{&roster, "d", "", {"s1", "s2"}, "s2"};
  RouteDecision d = decide_route(in, e, audience, audience);
  CHECK(d.children_backfill == std::vector<std::string>{"s1"});
  CHECK(d.children.empty());
  // The backfill of a street holds its community's own events (backfill_skips: only the
  // child's own events are left out).
  CHECK(backfill_skips("s1", "c1") == false);
  CHECK(backfill_skips("c1", "c1") == true);
}

TEST_CASE("a case reaches its street and district, not a sibling; a forward reaches its target") {
  Net net({{"d", ""}, {"s1", "d"}, {"s2", "d"}, {"c1", "s1"}, {"c2", "s1"}, {"c3", "s2"}});
  net.flush();
  REQUIRE(net.create("c1", "x").is_ok());
  net.flush();
  CHECK(net.cases_at("s1").count("c1-x"));
  CHECK(net.cases_at("d").count("c1-x"));
  CHECK_FALSE(net.cases_at("c2").count("c1-x"));
  CHECK_FALSE(net.cases_at("s2").count("c1-x"));

  REQUIRE(net.create("d", "y").is_ok());
  auto fwd = net.write("d", "d-y", kForwardKind, {{"to", "c2"}});
  REQUIRE(fwd.is_ok());
  net.flush();
  CHECK(net.cases_at("c2").count("d-y"));
  CHECK(net.cases_at("s1").count("d-y"));
  CHECK_FALSE(net.cases_at("c1").count("d-y"));
  CHECK_FALSE(net.cases_at("s2").count("d-y"));
  CHECK_FALSE(net.cases_at("c3").count("d-y"));
  // c2's daemon signed the delivery receipt on its own; c2 then answers: both climb back.
  std::string hop = "d:" + std::to_string(fwd->seq);
  REQUIRE(net.write("c2", "d-y", "replied", {{"hop", hop}, {"outcome", "approved"}}).is_ok());
  net.flush();
  auto at_d = net.store("d").case_events("d-y").value();
  REQUIRE(at_d.size() == 4);
  std::set<std::string> kinds_at_d;
  for (auto& r : at_d) kinds_at_d.insert(r.kind);
  CHECK(kinds_at_d == std::set<std::string>{"case_created", "forwarded", "delivered", "replied"});
}

TEST_CASE("equivocation: same (origin, seq), different hash: counted, evidence kept, lower hash wins") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  auto original = net.create("s1", "x");
  REQUIRE(original.is_ok());
  net.flush();
  Event forged = decode_event(original->signed_bytes).value();
  forged.body["applicant"] = "someone else";
  EventRecord r = seal_event(forged, net.secret("s1"));
  std::uint64_t applied = 0;
  for (auto& l : net["d"].links()) applied = l.peer == "s1" ? l.recv_applied_pos : applied;
  BatchMsg b;
  b.first_pos = applied + 1;
  b.events.push_back({r.origin, r.signed_bytes, r.signature});
  net["d"].on_frame("s1", encode_message(b), net.now);
  CHECK(net["d"].counters().equivocations == 1);
  auto held = net.store("d").get_event("s1", 1).value();
  REQUIRE(held.has_value());
  // Every node keeps the same version: the lower hash (EvidenceBook::wins), whichever came first.
  CHECK(held->hash == std::min(original->hash, r.hash));
  const Equivocation* e = net["d"].evidence().find("s1", 1);
  REQUIRE(e != nullptr);
  CHECK(e->winner.hash == std::min(original->hash, r.hash));
  REQUIRE(e->losers.size() == 1);
  CHECK(e->losers[0].hash == std::max(original->hash, r.hash));
  bool alerted = false;
  for (auto& a : net["d"].take_effects().alerts) {
    alerted |= a.kind == AlertKind::kEquivocation && a.origin == "s1";
  }
  CHECK(alerted);
}

// Sim seed 20261300021: a community copied back twice from one backup signed seq 1 a third way.
// Every version is kept as evidence (not only the first two), the lowest hash wins in whatever
// order they arrive, every other version stands in for its children, and all of it is reloaded.
TEST_CASE("an equivocation of three versions: the lowest hash wins in any order, every loser stands in") {
  REQUIRE(crypto::init().is_ok());
  auto keys = crypto::generate_keypair();
  std::vector<EventRecord> v;
  for (const char* who : {"Li Wei", "Wang Fang", "Zhao Lei"}) {
    Event e = sample_event();
    e.body["applicant"] = who;
    v.push_back(seal_event(e, keys.secret));
  }
  const Hash32 lowest = std::min({v[0].hash, v[1].hash, v[2].hash});
  for (auto order : {std::array{0, 1, 2}, std::array{2, 1, 0}, std::array{1, 2, 0}}) {
    MemoryStore store;
    EvidenceBook book;
    REQUIRE(store.begin().is_ok());
    CHECK(book.add(store, v[order[0]], v[order[1]]).value());
    CHECK(book.add(store, v[order[1]], v[order[2]]).value());
    CHECK_FALSE(book.add(store, v[order[2]], v[order[0]]).value());  // nothing new
    REQUIRE(store.commit().is_ok());
    const Equivocation* e = book.find("c01", 7);
    REQUIRE(e != nullptr);
    CHECK(e->winner.hash == lowest);
    CHECK(e->losers.size() == 2);
    for (const auto& r : v) CHECK(book.stands_in(r.hash) == (r.hash != lowest));
    CHECK(EvidenceBook::to_messages(*e).size() == 2);
    EvidenceBook reloaded;
    REQUIRE(reloaded.load(store).is_ok());
    REQUIRE(reloaded.find("c01", 7) != nullptr);
    CHECK(reloaded.find("c01", 7)->winner.hash == lowest);
    CHECK(reloaded.find("c01", 7)->losers.size() == 2);
  }
}

// F26 (sim seeds 20261216085, 20261218013): c1, copied back by hand, signed seqs 1-2 twice; the
// winner of seq 2 forwards to s2 and builds on the loser of seq 1. s2 holds neither version and
// never will by the feed (its sender refused it as ahead of its past), so it takes the winner from
// the evidence once the evidence for that past is here, in either order.
TEST_CASE("a node owed an equivocation's winner takes it from the evidence once its past stands in") {
  Net net({{"d", ""}, {"s1", "d"}, {"s2", "d"}, {"c1", "s1"}, {"c2", "s2"}});
  net.flush();
  auto seal = [&](Event e) { return seal_event(e, net.secret("c1")); };
  Event created;
  created.origin = "c1";
  created.seq = 1;
  created.hlc = HybridClock::pack(1000, 0);
  created.case_id = "c1-x";
  created.kind = "case_created";
  created.body = {{"matter", "QY-001"}, {"applicant", "Li Wei"}};
  // Two versions of seq 1 and of seq 2, picked so that the kept version of seq 2 (the lower
  // hash) builds on the version of seq 1 that is NOT kept.
  EventRecord win1, lose1, win2, lose2;
  for (int n = 0;; ++n) {
    Event a = created, b = created;
    b.body["applicant"] = "Wang Fang " + std::to_string(n);
    EventRecord ra = seal(a), rb = seal(b);
    win1 = ra.hash < rb.hash ? ra : rb;
    lose1 = ra.hash < rb.hash ? rb : ra;
    Event fwd;
    fwd.origin = "c1";
    fwd.seq = 2;
    fwd.hlc = HybridClock::pack(2000, 0);
    fwd.case_id = "c1-x";
    fwd.parents = {lose1.hash};
    fwd.prev = lose1.hash;
    fwd.kind = std::string(kForwardKind);
    fwd.body = {{"to", "s2"}};
    Event edit = fwd;
    edit.parents = {win1.hash};
    edit.prev = win1.hash;
    edit.kind = "edited";
    edit.body = {{"applicant", "Zhao Lei"}};
    EventRecord rf = seal(fwd), re = seal(edit);
    if (rf.hash < re.hash) {
      win2 = rf;
      lose2 = re;
      break;
    }
  }
  auto evidence = [](const EventRecord& a, const EventRecord& b) {
    EvidenceMsg m;
    m.versions = {{a.origin, a.signed_bytes, a.signature}, {b.origin, b.signed_bytes, b.signature}};
    return encode_message(m);
  };
  // Seq 2's evidence first: its past does not stand in yet, so nothing is stored.
  net["s2"].on_frame("d", evidence(win2, lose2), net.now);
  CHECK_FALSE(net.store("s2").get_event("c1", 2).value().has_value());
  net["s2"].on_frame("d", evidence(lose1, win1), net.now);
  auto held = net.store("s2").get_event("c1", 2).value();
  REQUIRE(held.has_value());
  CHECK(held->hash == win2.hash);
  // c2, below s2, is in no audience the case has: it stores nothing.
  net["c2"].on_frame("s2", evidence(win2, lose2), net.now);
  net["c2"].on_frame("s2", evidence(win1, lose1), net.now);
  CHECK_FALSE(net.store("c2").get_event("c1", 2).value().has_value());
}

TEST_CASE("forged, unknown-origin and garbage input is refused and counted by reason") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  auto stranger = crypto::generate_keypair();
  Event e = sample_event();
  e.origin = "s1";
  EventRecord forged = seal_event(e, stranger.secret);  // claims s1, signed by someone else
  e.origin = "nobody";
  EventRecord unknown = seal_event(e, stranger.secret);
  BatchMsg b;
  b.first_pos = 1;
  b.events.push_back({forged.origin, forged.signed_bytes, forged.signature});
  b.events.push_back({unknown.origin, unknown.signed_bytes, unknown.signature});
  net["d"].on_frame("s1", encode_message(b), net.now);
  // The batch stops at the first bad event (it may be damage on the way: the sender resends);
  // the unknown origin is judged when it arrives first.
  BatchMsg b2;
  b2.first_pos = 1;
  b2.events.push_back({unknown.origin, unknown.signed_bytes, unknown.signature});
  net["d"].on_frame("s1", encode_message(b2), net.now);
  net["d"].on_frame("s1", "garbage bytes", net.now);
  net["d"].on_frame("intruder", encode_message(AckMsg{1}), net.now);
  const auto& c = net["d"].counters();
  // Held, not refused: damage on the way, or a roster newer than ours (sync/admission.h).
  CHECK(c.held.at("bad_signature") == 1);
  CHECK(c.held.at("unknown_origin") == 1);
  CHECK(c.rejects.at("malformed_frame") == 1);
  CHECK(c.rejects.at("unknown_peer") == 1);
  CHECK(net.events_at("d") == 0);
  for (auto& l : net["d"].links()) {
    if (l.peer == "s1") CHECK(l.recv_applied_pos == 0);  // nothing acknowledged past a bad event
  }
}

// A verifier under test control: sequential verdicts, except that it can refuse one message.
class VetoVerifier final : public crypto::BatchVerifier {
 public:
  std::vector<bool> verify_all(std::string_view domain,
                               std::span<const crypto::SignedMessage> items) override {
    auto verdicts = sequential_.verify_all(domain, items);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].message == vetoed) verdicts[i] = false;
    }
    calls++;
    items_seen += items.size();
    return verdicts;
  }
  std::string vetoed;
  std::size_t calls = 0, items_seen = 0;

 private:
  crypto::SequentialVerifier sequential_;
};

TEST_CASE("the injected verifier sees every batch, and an event it refuses is never applied") {
  SyncLimits limits;
  limits.resend_timeout_ms = 200;
  Net net({{"d", ""}, {"s1", "d"}}, limits);
  VetoVerifier verifier;
  net["d"].set_verifier(&verifier);
  net.flush();
  std::vector<EventDraft> drafts;
  for (int i = 0; i < 10; ++i) drafts.push_back(Net::created("s1-v" + std::to_string(i)));
  auto records = net["s1"].author_batch(std::move(drafts), net.now);
  REQUIRE(records.is_ok());
  verifier.vetoed = (*records)[3].signed_bytes;
  net.flush();
  CHECK(verifier.calls == 1);
  CHECK(verifier.items_seen == 10);
  CHECK(net.events_at("d") == 3);  // those before the refused one, acknowledged; none after
  CHECK(net.store("d").get_event("s1", 4).value() == std::nullopt);
  CHECK(net["d"].counters().held.at("bad_signature") == 1);
  verifier.vetoed.clear();
  net.tick(300);  // the sender resends what was not acknowledged
  CHECK(net.events_at("d") == 10);
  CHECK(verifier.items_seen == 10 + 7);  // only the unapplied tail is verified again
}

TEST_CASE("a failed commit acknowledges nothing; the batch is applied once the disk recovers") {
  SyncLimits limits;
  limits.resend_timeout_ms = 200;
  Net net({{"d", ""}, {"s1", "d"}}, limits);
  net.flush();
  net.store("d").set_fail_commits(true);
  for (int i = 0; i < 5; ++i) REQUIRE(net.create("s1", "k" + std::to_string(i)).is_ok());
  net.flush();
  CHECK(net.events_at("d") == 0);
  CHECK(net["d"].disk_trouble());
  for (auto& l : net["s1"].links()) CHECK(l.sent_acked_pos == 0);
  net.store("d").set_fail_commits(false);
  for (int i = 0; i < 4 && net.events_at("d") < 5; ++i) net.tick(300);  // each batch's timer
  CHECK(net.events_at("d") == 5);
  CHECK_FALSE(net["d"].disk_trouble());
}

TEST_CASE("an oversized local write is the caller's error (kInvalidArgument), nothing is signed") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  REQUIRE(net.create("s1", "big").is_ok());
  auto big = net.write("s1", "s1-big", "note", {{"text", std::string(limits::kEventBytesMax, 'x')}});
  REQUIRE_FALSE(big.is_ok());
  CHECK(big.status().code() == Code::kInvalidArgument);
  // The sequence was not used: the next write still succeeds and reaches the parent.
  REQUIRE(net.write("s1", "s1-big", "note", {{"text", "small"}}).is_ok());
  net.flush();
  CHECK(net.cases_at("d").count("s1-big"));
}

// The policy bundle rides the roster's DocGossip: installed at the district, it reaches every
// node; a forged one from a peer is refused and counted; an older one is answered with ours.
TEST_CASE("the policy bundle spreads down the tree; forged and older ones are refused") {
  Net net({{"d1", ""}, {"s1", "d1"}, {"c1", "s1"}});
  // Stands in for the root's signature check (config/policy_bundle.h does it for real).
  auto opener = [](const SignedDoc& d) {
    return d.signature == "root" ? Status::ok()
                                 : Status::error(Code::kPermission, "not signed by the root");
  };
  for (const char* id : {"d1", "s1", "c1"}) net[id].set_policy_source({}, opener);
  net.flush();
  CHECK(net["c1"].policy_version() == 0);
  REQUIRE(net["d1"].install_policy({1, "policy one", "root"}, net.now).is_ok());
  net.flush();
  CHECK(net["s1"].policy_version() == 1);
  CHECK(net["c1"].policy_version() == 1);
  CHECK(net["c1"].policy().text == "policy one");
  CHECK(net.frames_by_type[MessageType::kDoc] >= 2);

  // Another key's bundle, newer: refused and counted, the node keeps its policy.
  net["c1"].on_frame("s1", encode_message(DocMsg{"policy", 9, "forged", "another key"}), net.now);
  CHECK(net["c1"].policy_version() == 1);
  CHECK(net["c1"].counters().rejects.at("bad_policy") == 1);
  // An older bundle: not installed through the API either.
  CHECK_FALSE(net["d1"].install_policy({1, "policy one again", "root"}, net.now).is_ok());
  // A peer that sends an older one is brought up to date, not blamed.
  REQUIRE(net["d1"].install_policy({2, "policy two", "root"}, net.now).is_ok());
  net.flush();
  net["s1"].on_frame("c1", encode_message(DocMsg{"policy", 1, "policy one", "root"}), net.now);
  net.flush();
  CHECK(net["s1"].policy_version() == 2);
  CHECK(net["c1"].policy_version() == 2);
  CHECK(net["s1"].counters().rejects.count("bad_policy") == 0);
  // A kind nobody knows: refused and counted.
  net["c1"].on_frame("s1", encode_message(DocMsg{"unheard", 1, "x", "root"}), net.now);
  CHECK(net["c1"].counters().rejects.at("unknown_doc_kind") == 1);
}

// A node that was down while the policy was published catches up by its Hello.
TEST_CASE("a node offline at publish gets the policy when it reconnects") {
  Net net({{"d1", ""}, {"s1", "d1"}});
  auto opener = [](const SignedDoc&) { return Status::ok(); };
  for (const char* id : {"d1", "s1"}) net[id].set_policy_source({}, opener);
  net.flush();
  net.drop = [](const std::string&, const std::string&, const std::string&) { return true; };
  net["s1"].on_link_down("d1", net.now);
  net["d1"].on_link_down("s1", net.now);
  REQUIRE(net["d1"].install_policy({3, "three", "root"}, net.now).is_ok());
  net.flush();
  CHECK(net["s1"].policy_version() == 0);
  net.drop = nullptr;
  net["s1"].on_link_up("d1", net.now);
  net.flush();
  CHECK(net["s1"].policy_version() == 3);
  const HealthReport r = net["s1"].own_health(net.now);
  CHECK(r.policy_version == 3);
  auto decoded = decode_health(encode_health(r));  // as its parent reads it
  REQUIRE(decoded.is_ok());
  CHECK(decoded->policy_version == 3);
}

namespace {
// What c1 (a community) signs with its own key against a case it created and forwarded up:
// `completed` at its next seq, built on `parents`, at `hlc` (issue 25's backdated completion).
EventRecord forged_completion(Net& net, const EventRecord& created, std::vector<Hash32> parents,
                              std::uint64_t hlc) {
  const auto head = net.store("c1").get_event("c1", net.store("c1").last_seq("c1").value()).value();
  Event e;
  e.origin = "c1";
  e.seq = head->seq + 1;
  e.prev = head->hash;
  e.hlc = hlc;
  e.case_id = created.case_id;
  e.parents = std::move(parents);
  e.kind = "completed";
  e.body = {{"outcome", "denied"}};
  return seal_event(e, net.secret("c1"));
}

void send_from_c1(Net& net, const EventRecord& r) {
  std::uint64_t applied = 0;
  for (auto& l : net["s1"].links()) applied = l.peer == "c1" ? l.recv_applied_pos : applied;
  BatchMsg b;
  b.first_pos = applied + 1;
  b.events.push_back({r.origin, r.signed_bytes, r.signature});
  net["s1"].on_frame("c1", encode_message(b), net.now);
}
}  // namespace

TEST_CASE("a backdated branch off the origin's own history is refused, counted and alerted") {
  Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}});
  net.flush();
  auto created = net.create("c1", "x");
  REQUIRE(created.is_ok());
  REQUIRE(net.write("c1", created->case_id, kForwardKind, {{"to", "s1"}}).is_ok());
  net.flush();
  net["s1"].take_effects();
  // Built on the creation only, 1 ms after it: in that claimed past c1 still holds the case.
  EventRecord r = forged_completion(net, *created, {created->hash}, created->hlc + (1u << 16));
  send_from_c1(net, r);
  CHECK(net["s1"].counters().rejects.at("unauthorized") == 1);
  CHECK_FALSE(net.store("s1").get_event("c1", r.seq).value().has_value());
  bool alerted = false;
  for (auto& a : net["s1"].take_effects().alerts) {
    alerted |= a.kind == AlertKind::kSecurity && a.origin == "c1" &&
               a.detail.find("own previous event") != std::string::npos;
  }
  CHECK(alerted);
}

TEST_CASE("an invented parent makes the event wait as missing_parent, never pass") {
  Net net({{"d", ""}, {"s1", "d"}, {"c1", "s1"}});
  net.flush();
  auto created = net.create("c1", "x");
  REQUIRE(created.is_ok());
  net.flush();
  Hash32 invented{};
  invented[0] = 0x42;
  EventRecord r = forged_completion(net, *created, {created->hash, invented}, created->hlc + (1u << 16));
  send_from_c1(net, r);
  CHECK(net["s1"].counters().held.at("missing_parent") == 1);
  CHECK_FALSE(net.store("s1").get_event("c1", r.seq).value().has_value());
}

TEST_CASE("a case holds at most limits::kCaseEventsMax events; the next write says so") {
  Net net({{"d", ""}, {"s1", "d"}});
  auto created = net.create("d", "long");
  REQUIRE(created.is_ok());
  std::vector<EventDraft> notes;
  for (std::size_t i = 1; i < limits::kCaseEventsMax; ++i) {
    notes.push_back({created->case_id, "note", {{"text", std::to_string(i)}}});
  }
  REQUIRE(net["d"].author_batch(std::move(notes), net.now).is_ok());
  auto one_more = net.write("d", created->case_id, "note", {{"text", "one more"}});
  REQUIRE_FALSE(one_more.is_ok());
  CHECK(one_more.status().message().find("the most one case may hold") != std::string::npos);
}

TEST_CASE("an event signed with this node's key beyond its own head is never adopted outside a restore") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  auto mine = net.create("s1", "x");
  REQUIRE(mine.is_ok());
  net.flush();
  net["s1"].take_effects();
  // Another holder of s1's key continues s1's chain and the district relays it down.
  Event e = decode_event(mine->signed_bytes).value();
  e.seq = mine->seq + 1;
  e.prev = mine->hash;
  e.case_id = "s1-elsewhere";
  EventRecord r = seal_event(e, net.secret("s1"));
  std::uint64_t applied = 0;
  for (auto& l : net["s1"].links()) applied = l.peer == "d" ? l.recv_applied_pos : applied;
  BatchMsg b;
  b.first_pos = applied + 1;
  b.events.push_back({r.origin, r.signed_bytes, r.signature});
  net["s1"].on_frame("d", encode_message(b), net.now);
  CHECK(net["s1"].counters().held.at("key_in_use_elsewhere") == 1);
  CHECK_FALSE(net.store("s1").get_event("s1", r.seq).value().has_value());
  bool alerted = false;
  for (auto& a : net["s1"].take_effects().alerts) {
    alerted |= a.kind == AlertKind::kSecurity && a.origin == "s1" &&
               a.detail.find("key is in use elsewhere") != std::string::npos;
  }
  CHECK(alerted);
  // Its own next write still takes the next seq of its own chain.
  auto next = net.create("s1", "y");
  REQUIRE(next.is_ok());
  CHECK(next->seq == mine->seq + 1);
}

TEST_CASE("batches past the ahead buffer count against the peer; unsigned ones are never kept") {
  Net net({{"d", ""}, {"s1", "d"}});
  net.flush();
  auto created = net.create("s1", "x");
  REQUIRE(created.is_ok());
  net["d"].take_effects();
  // s1's feed is not flushed: every batch below starts past a gap at position 1.
  std::uint64_t applied = 0;
  for (auto& l : net["d"].links()) applied = l.peer == "s1" ? l.recv_applied_pos : applied;
  auto ahead = [&](std::uint64_t k, std::string signature) {
    BatchMsg b;
    b.first_pos = applied + 2 + k;
    b.events.push_back({created->origin, created->signed_bytes, std::move(signature)});
    return encode_message(b);
  };
  std::string forged = created->signature;
  forged[0] = static_cast<char>(forged[0] ^ 1);
  for (std::uint64_t k = 0; k < 2 * PeerLink::kAheadBatchesMax; ++k) net["d"].on_frame("s1", ahead(k, forged), net.now);
  CHECK(net["d"].counters().rejects.count("ahead_buffer_full") == 0);  // none kept, none counted
  for (std::uint64_t k = 0; k <= PeerLink::kAheadBatchesMax; ++k) {
    net["d"].on_frame("s1", ahead(k, created->signature), net.now);
  }
  CHECK(net["d"].counters().rejects.at("ahead_buffer_full") == 1);
  bool blamed = false;
  for (auto& m : net["d"].take_effects().misbehaved) blamed |= m.peer == "s1" && m.reason == "ahead_buffer_full";
  CHECK(blamed);
}
