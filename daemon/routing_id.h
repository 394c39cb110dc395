// RoutingIds: the routing ids a parent's ROUTER gives its authenticated children.
//
// A ZeroMQ client picks its own routing id, and a ROUTER with ROUTER_HANDOVER hands an id to
// whichever connection claimed it last — so a client holding any rostered key could claim a
// sibling's id and receive the sibling's traffic (issue 25). Here the client's claim is never
// used: the ZAP handler, which knows the key, assigns the id, and libzmq 4.3.4 makes an
// "Identity" property in the ZAP reply's metadata the connection's routing id, replacing the
// claim (daemon/transport.cc). An assigned id reads
//
//   <node>#<serial>.<tag>        serial: 16 hex digits, one per handshake, growing
//                                tag: 16 hex digits of a MAC over "<node>#<serial>"
//
// The serial tells a node's newer connection from an older one (a child restarted after kill -9
// reconnects before its old TCP connection has timed out). The MAC key never leaves this
// process, so no client can name an id this node did not assign, let alone another node's.
// '#' never occurs in a node id (config/toml_errors.h: node_id_problem), so the node is the part
// before the first '#'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace casesync {

class RoutingIds {
 public:
  struct Assigned {
    std::string node;
    std::uint64_t serial = 0;
  };

  // `mac_key`: crypto::kMacKeyBytes of secret (crypto::random_bytes at start).
  explicit RoutingIds(std::string mac_key);

  std::string assign(std::string_view node);
  // The node and serial of an id this object assigned; nullopt for anything else.
  std::optional<Assigned> check(std::string_view routing_id) const;

 private:
  std::string tag(std::string_view node_and_serial) const;

  std::string mac_key_;
  std::uint64_t next_serial_ = 1;
};

}  // namespace casesync
