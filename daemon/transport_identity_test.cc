// Proves, with a real Transport and real CurveZMQ on loopback, that a child which claims no
// routing id is served on every dial whichever id libzmq's handshake race left it with, that a
// connection is sent nothing until a frame of its is accepted, and that the newest accepted
// connection of a node gets its traffic (a child restarted after kill -9).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "crypto/crypto.h"
#include "daemon/transport.h"

using namespace casesync;

namespace {
constexpr long kWaitMs = 10000;  // bound on every wait: generous for a busy machine
constexpr int kDials = 200;      // about half take the race's other path on a busy machine

struct Keys {
  std::string curve_public;
  std::string curve_secret;
};

Keys curve_keys(const crypto::KeyPair& k) {
  return {crypto::curve_public_from_sign_public(k.public_key),
          crypto::curve_secret_from_sign_secret(k.secret)};
}

// A parent's Transport on a free loopback port, admitting `child` as "c1".
struct Parent {
  zmq::context_t ctx;
  Keys keys;
  std::optional<Transport> transport;

  explicit Parent(const Keys& child) : keys(curve_keys(crypto::generate_keypair())) {
    TransportOptions o;
    o.self_id = "s01";
    o.listen_endpoint = "tcp://127.0.0.1:*";
    o.curve_public = keys.curve_public;
    o.curve_secret = keys.curve_secret;
    transport.emplace(&ctx, o);
    REQUIRE(transport->start().is_ok());
    (void)transport->set_allowed_clients({{child.curve_public, "c1"}});
  }
  ~Parent() { transport->close(); }

  // One loop turn like NodeRuntime::run: poll, hand frames to `on_frame`.
  void turn(const Transport::Handlers& h) {
    std::vector<zmq::pollitem_t> items;
    transport->add_poll_items(&items);
    zmq::poll(items, std::chrono::milliseconds(10));
    transport->handle(items, 0, h);
  }
};

// A child's DEALER as casesyncd opens it: its keys, no routing id of its own.
zmq::socket_t dial(zmq::context_t& ctx, const Parent& p, const Keys& k) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_serverkey, p.keys.curve_public);
  s.set(zmq::sockopt::curve_publickey, k.curve_public);
  s.set(zmq::sockopt::curve_secretkey, k.curve_secret);
  s.connect(p.transport->bound_endpoint());
  return s;
}

std::optional<std::string> receive(zmq::socket_t& s, long timeout_ms) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
  zmq::message_t m;
  if (!(item.revents & ZMQ_POLLIN) || !s.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
  return m.to_string();
}

Transport::Handlers handlers(std::function<bool(const std::string&, std::string)> on_frame) {
  return {std::move(on_frame), [](const std::string&) {}, [](const std::string&) {},
          [](const std::string&) {}};
}
}  // namespace

TEST_CASE("a child that claims no id is answered on every dial") {
  REQUIRE(crypto::init().is_ok());
  const Keys child = curve_keys(crypto::generate_keypair());
  Parent parent(child);
  std::atomic<int> answered{0};
  std::atomic<bool> done{false};
  std::thread dialler([&] {
    zmq::context_t ctx;
    for (int i = 0; i < kDials; ++i) {
      zmq::socket_t s = dial(ctx, parent, child);
      s.send(zmq::buffer("ping " + std::to_string(i)));
      if (receive(s, kWaitMs) == "pong " + std::to_string(i)) answered++;
    }
    done = true;
  });
  std::vector<std::pair<std::string, std::string>> replies;
  const auto h = handlers([&](const std::string& peer, std::string frame) {
    replies.emplace_back(peer, "pong " + frame.substr(5));
    return true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    parent.turn(h);
    // After the turn, as NodeRuntime delivers the core's effects: the route is set by then.
    for (const auto& [peer, frame] : replies) CHECK(parent.transport->send(peer, frame) == SendOutcome::kSent);
    replies.clear();
  }
  dialler.join();
  CHECK(answered == kDials);
  const TransportCounters& c = parent.transport->counters();
  CHECK(c.identity_mismatch == 0);
  MESSAGE(c.routing_ids_generated << " of " << kDials
                                  << " dials ended under the ROUTER's own id (the race's other path)");
}

TEST_CASE("nothing goes to a connection before a frame of its was accepted; then the newest") {
  REQUIRE(crypto::init().is_ok());
  const Keys child = curve_keys(crypto::generate_keypair());
  Parent parent(child);
  zmq::context_t ctx;
  bool accept = false;
  int frames = 0;
  const auto h = handlers([&](const std::string& peer, std::string) {
    CHECK(peer == "c1");
    frames++;
    return accept;
  });
  auto deliver = [&](zmq::socket_t& s, const std::string& frame) {
    const int before = frames;
    s.send(zmq::buffer(frame));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    while (frames == before && std::chrono::steady_clock::now() < deadline) parent.turn(h);
    REQUIRE(frames == before + 1);
  };
  zmq::socket_t first = dial(ctx, parent, child);
  // Refused words (a Hello naming another node, say): still nothing is routed to it.
  deliver(first, "refused");
  CHECK(parent.transport->send("c1", "x") == SendOutcome::kPeerGone);
  accept = true;
  deliver(first, "accepted");
  REQUIRE(parent.transport->send("c1", "to first") == SendOutcome::kSent);
  CHECK(receive(first, kWaitMs) == "to first");
  // The same key dials again (restarted after kill -9, the old connection still up): its first
  // accepted frame moves the node's traffic, and a later frame on the old one does not move it back.
  zmq::socket_t second = dial(ctx, parent, child);
  deliver(second, "hello again");
  deliver(first, "late frame");
  REQUIRE(parent.transport->send("c1", "to second") == SendOutcome::kSent);
  CHECK(receive(second, kWaitMs) == "to second");
  CHECK(parent.transport->counters().identity_mismatch == 0);
}
