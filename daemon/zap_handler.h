// ZapHandler: the ZAP (RFC 27) handler of a parent's ROUTER — who may connect, and under which
// routing id. libzmq asks it about every CURVE handshake on the ROUTER (the ROUTER sets
// ZMQ_ZAP_DOMAIN to kZapDomain); without it CURVE would admit anyone who knows the server key.
//
// Admitted: a rostered, non-revoked child (or a node naming us as a fallback parent) with the
// key the roster lists for it, unless it is banned. The reply's user id is the node id, which
// libzmq attaches to every frame of the connection as "User-Id"; the reply's metadata assigns the
// connection a routing id (daemon/routing_id.h), which libzmq also attaches to every frame as
// "Identity". Whether the assigned id or the client's own claim becomes the routing id depends
// on thread scheduling inside libzmq 4.3.4 (daemon/routing_id.h); connection() judges a frame
// by both, so the outcome of that race never matters to a child that claims nothing.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "daemon/routing_id.h"

namespace casesync {

// ZAP domain set on the ROUTER, so libzmq asks our handler about every connecting key.
inline constexpr const char* kZapDomain = "casesync";

struct ZapCounters {
  std::uint64_t denied = 0;         // key not rostered or revoked
  std::uint64_t denied_banned = 0;  // rostered key of a banned node
};

class ZapHandler {
 public:
  ZapHandler();
  // Binds inproc://zeromq.zap.01 in "*context", which must outlive this; call it before the
  // ROUTER binds, so that no handshake slips past. Throws zmq::error_t.
  void bind(zmq::context_t* context);
  // The socket to poll; nullptr before bind().
  zmq::socket_t* socket() { return socket_ ? &*socket_ : nullptr; }
  // Answers the requests queued on socket(). `banned` says whether a node is banned.
  void drain(const std::function<bool(const std::string&)>& banned);

  // The Curve public keys allowed to connect, with the node each belongs to. Replaced whole;
  // returns the nodes admitted before under a key that is no longer allowed (revoked, removed,
  // or given a new key), whose open connections must be closed.
  std::vector<std::string> set_allowed(std::map<std::string, std::string> curve_key_to_node);
  bool admitted(const std::string& node) const { return admitted_nodes_.count(node) > 0; }
  // RoutingIds::connection() with the ids this handler assigned.
  std::optional<RoutingIds::Assigned> connection(std::string_view routing_id,
                                                 std::string_view zap_identity,
                                                 std::string_view user) const {
    return routing_ids_.connection(routing_id, zap_identity, user);
  }

  const ZapCounters& counters() const { return counters_; }
  void close() {
    if (socket_) socket_->close();
  }

 private:
  void reply(std::vector<zmq::message_t>& request, const std::string& node,
             const std::string& text, const std::string& metadata);

  std::optional<zmq::socket_t> socket_;
  std::map<std::string, std::string> allowed_;  // Curve public key -> node
  std::set<std::string> admitted_nodes_;
  RoutingIds routing_ids_;
  ZapCounters counters_;
};

}  // namespace casesync
