// Transport: the ZeroMQ edge of a node. A parent binds a ROUTER for its children; a child
// connects a DEALER to its parent (children may sit behind NAT, so they dial out). Frames go in
// and out unchanged; the protocol core decides what they mean.
//
// Sending never blocks: ROUTER_MANDATORY turns "peer not connected" into an error instead of a
// silent drop, and a full queue (EAGAIN) drops the frame, which the core resends on its timer.
//
// Identity: a child's routing id is assigned from the key it authenticated with
// (daemon/zap_handler.h, daemon/routing_id.h), never taken from what it claims, so a connection
// receives only what is addressed to its own key's node, and a newer connection takes over only
// the traffic of its own node. Every frame's routing id must be one this node assigned to the
// frame's authenticated node (ZAP user id); anything else is refused and its connection closed.
//
// Banned peers (the daemon decides, daemon/peer_penalty.h): a child's connections are cut (the
// fds its frames came on are shut down, which makes libzmq drop them) and ZAP refuses its key
// until lift_ban(); a banned parent is disconnected and dialled again on lift_ban(). Frames from
// a banned peer that were already queued are dropped before anyone decodes them, and counted.
// Revoked peers (a new roster) are cut the same way, for good: a child by the allow-list, a
// parent by set_parent_revoked().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/status.h"
#include "common/sync_limits.h"
#include "daemon/child_routes.h"
#include "daemon/connection_ledger.h"
#include "daemon/zap_handler.h"

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

enum class SendOutcome { kSent, kPeerGone, kQueueFull };

struct TransportCounters {
  std::uint64_t frames_dropped_queue_full = 0;
  std::uint64_t sends_peer_gone = 0;
  std::uint64_t frames_with_bad_envelope = 0;  // wrong part count
  std::uint64_t auth_denied = 0;               // ZAP refused a key (not rostered or revoked)
  std::uint64_t auth_denied_banned = 0;        // ZAP refused a rostered key: its node is banned
  std::uint64_t handshake_failures = 0;        // handshakes that failed on our listening socket
  std::uint64_t identity_mismatch = 0;         // routing id not assigned to the sender's key here
  std::uint64_t frames_dropped_banned = 0;     // frames from a banned or revoked peer, undecoded
  std::uint64_t parent_refused = 0;            // our parent refused our handshake (auth or protocol)
  std::uint64_t connections_cut_revoked = 0;   // closed because a new roster revoked the peer
};

// Each counter's key in GET /api/status ("transport") and its Prometheus family, in one place so
// the two views cannot drift apart.
struct TransportCounterField {
  const char* key;
  const char* metric;
  const char* help;
  std::uint64_t TransportCounters::*field;
};
inline constexpr TransportCounterField kTransportCounterFields[] = {
    {"frames_dropped_queue_full", "casesync_transport_frames_dropped_total",
     "Frames dropped because a peer's send queue was full (resent later).",
     &TransportCounters::frames_dropped_queue_full},
    {"sends_peer_gone", "casesync_transport_sends_peer_gone_total",
     "Sends to a peer that was not connected.", &TransportCounters::sends_peer_gone},
    {"frames_with_bad_envelope", "casesync_transport_bad_envelopes_total",
     "Frames with a malformed ZeroMQ envelope.", &TransportCounters::frames_with_bad_envelope},
    {"auth_denied", "casesync_transport_auth_denied_total",
     "CurveZMQ clients refused by the allow-list (key not rostered or revoked).",
     &TransportCounters::auth_denied},
    {"auth_denied_banned", "casesync_transport_auth_denied_banned_total",
     "CurveZMQ clients refused because their node is banned for refused input.",
     &TransportCounters::auth_denied_banned},
    {"handshake_failures", "casesync_transport_handshake_failures_total",
     "Handshakes that failed on this node's listening socket (any reason).",
     &TransportCounters::handshake_failures},
    {"identity_mismatch", "casesync_transport_identity_mismatch_total",
     "Frames whose routing id was not one this node assigned to the sender's key; the "
     "connection is closed.",
     &TransportCounters::identity_mismatch},
    {"frames_dropped_banned", "casesync_transport_frames_dropped_banned_total",
     "Frames from a banned or revoked peer, dropped before decoding.",
     &TransportCounters::frames_dropped_banned},
    {"parent_refused", "casesync_transport_parent_refused_total",
     "Handshakes our parent refused (our key unknown, revoked or banned there); redialled.",
     &TransportCounters::parent_refused},
    {"connections_cut_revoked", "casesync_transport_connections_cut_revoked_total",
     "Connections closed because a new roster revoked the peer or changed its key.",
     &TransportCounters::connections_cut_revoked},
};

class Transport {
 public:
  struct Handlers {
    std::function<void(const std::string& peer, std::string frame)> on_frame;
    std::function<void(const std::string& peer)> on_link_up;
    std::function<void(const std::string& peer)> on_link_down;
    // An authenticated peer sent something the transport itself refuses (a bad envelope, another
    // node's routing id): counts against it like a refused frame.
    std::function<void(const std::string& peer)> on_refused;
  };

  // "*context" must remain live while this transport is in use.
  Transport(zmq::context_t* context, TransportOptions options);
  Status start();
  // Sockets and fds to poll; handle() must be called with the same vector after zmq::poll.
  void add_poll_items(std::vector<zmq::pollitem_t>* items);
  void handle(const std::vector<zmq::pollitem_t>& items, std::size_t first_index,
              const Handlers& handlers);
  // Timers of the edge: dialling the parent again after it refused our handshake.
  void tick(std::uint64_t now_ms);
  SendOutcome send(const std::string& peer, const std::string& frame);
  // The Curve public keys allowed to connect, with the node each belongs to (rostered children
  // that are not revoked). Replaced whole when the roster changes: the connections of a node
  // whose key is no longer allowed are closed. Returns those nodes (connected or not).
  std::vector<std::string> set_allowed_clients(std::map<std::string, std::string> curve_key_to_node);
  // The roster revoked our parent (true): hang up and dial no more until it is false again.
  void set_parent_revoked(bool revoked);
  bool parent_revoked() const { return parent_revoked_; }

  // Cuts `peer` off until lift_ban(peer). Frames from it are dropped from here on.
  void ban(const std::string& peer);
  void lift_ban(const std::string& peer);
  bool banned(const std::string& peer) const { return banned_.count(peer) > 0; }

  const TransportCounters& counters() const { return counters_; }
  // How connections to our listening socket ended, by reason.
  const ConnectionLedger& connections() const { return ledger_; }
  bool parent_connected() const { return parent_connected_; }
  void close();

 private:
  void apply_common_options(zmq::socket_t& s);
  void drain_router(const Handlers& h);
  void drain_dealer(const Handlers& h);
  void drain_monitor(const Handlers& h);
  void drain_zap();
  void drain_router_monitor();
  // True when the frame may go on to the core; otherwise counted and its connection cut.
  bool admit_child_frame(const std::string& routing_id, const std::string& user, int fd,
                         const Handlers& h);
  void cut_connection(int fd);
  std::size_t cut_child(const std::string& node);  // returns how many connections it cut
  bool parent_shut_out() const { return parent_revoked_ || banned(options_.parent_id); }
  void dial_parent();
  void hang_up_parent();

  zmq::context_t* context_;
  TransportOptions options_;
  std::optional<zmq::socket_t> router_;
  std::optional<zmq::socket_t> dealer_;
  std::optional<zmq::socket_t> monitor_;
  ZapHandler zap_;
  std::optional<zmq::socket_t> router_monitor_;  // handshake failures on the ROUTER
  std::set<std::string> banned_;
  ChildRoutes children_;
  ConnectionLedger ledger_;
  bool parent_connected_ = false;
  bool parent_revoked_ = false;
  // libzmq 4.3.4 never redials after an auth or protocol failure of the handshake (the session
  // is terminated), so a child refused once — banned, or not yet in its parent's roster — would
  // stay cut off until restarted. tick() dials again after a growing pause.
  bool parent_redial_pending_ = false;
  std::uint64_t parent_redial_at_ms_ = 0;  // 0: not scheduled yet
  std::uint64_t parent_redial_pause_ms_ = 0;
  TransportCounters counters_;
};

}  // namespace casesync
