// Transport: the ZeroMQ edge of a node. A parent binds a ROUTER for its children; a child
// connects a DEALER to its parent (children may sit behind NAT, so they dial out). Frames go in
// and out unchanged; the protocol core decides what they mean.
//
// Sending never blocks: ROUTER_MANDATORY turns "peer not connected" into an error instead of a
// silent drop, and a full queue (EAGAIN) drops the frame, which the core resends on its timer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/status.h"
#include "common/sync_limits.h"

namespace casesync {

struct TransportOptions {
  std::string self_id;
  std::string listen_endpoint;   // empty: no children
  std::string parent_endpoint;   // empty: no parent
  std::string parent_id;
  SyncLimits limits;
  // CurveZMQ: this node's keys (derived from its Ed25519 identity) and the parent's public key.
  std::string curve_public;
  std::string curve_secret;
  std::string parent_curve_public;
};

// ZAP domain set on the ROUTER, so libzmq asks our handler about every connecting key.
inline constexpr const char* kZapDomain = "casesync";

enum class SendOutcome { kSent, kPeerGone, kQueueFull };

struct TransportCounters {
  std::uint64_t frames_dropped_queue_full = 0;
  std::uint64_t sends_peer_gone = 0;
  std::uint64_t frames_with_bad_envelope = 0;  // wrong part count on the ROUTER
  std::uint64_t auth_denied = 0;               // ZAP refused a key (not rostered or revoked)
  std::uint64_t handshake_failures = 0;        // CURVE handshakes that failed (socket monitor)
  std::uint64_t identity_mismatch = 0;         // routing id differs from the authenticated key's node
};

class Transport {
 public:
  struct Handlers {
    std::function<void(const std::string& peer, std::string frame)> on_frame;
    std::function<void(const std::string& peer)> on_link_up;
    std::function<void(const std::string& peer)> on_link_down;
  };

  // "*context" must remain live while this transport is in use.
  Transport(zmq::context_t* context, TransportOptions options);
  Status start();
  // Sockets and fds to poll; handle() must be called with the same vector after zmq::poll.
  void add_poll_items(std::vector<zmq::pollitem_t>* items);
  void handle(const std::vector<zmq::pollitem_t>& items, std::size_t first_index,
              const Handlers& handlers);
  SendOutcome send(const std::string& peer, const std::string& frame);
  // The Curve public keys allowed to connect, with the node each belongs to (rostered children
  // that are not revoked). Replaced whole when the roster changes.
  void set_allowed_clients(std::map<std::string, std::string> curve_key_to_node);
  const TransportCounters& counters() const { return counters_; }
  bool parent_connected() const { return parent_connected_; }
  void close();

 private:
  void apply_common_options(zmq::socket_t& s);
  void drain_router(const Handlers& h);
  void drain_dealer(const Handlers& h);
  void drain_monitor(const Handlers& h);
  void drain_zap();
  void drain_router_monitor();

  zmq::context_t* context_;
  TransportOptions options_;
  std::optional<zmq::socket_t> router_;
  std::optional<zmq::socket_t> dealer_;
  std::optional<zmq::socket_t> monitor_;
  std::optional<zmq::socket_t> zap_;             // the ZAP handler: inproc://zeromq.zap.01
  std::optional<zmq::socket_t> router_monitor_;  // handshake failures on the ROUTER
  std::map<std::string, std::string> allowed_clients_;
  bool parent_connected_ = false;
  TransportCounters counters_;
};

}  // namespace casesync
