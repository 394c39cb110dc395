// RoutingIds: the routing ids a parent's ROUTER gives its authenticated children, and which
// connection a frame came on.
//
// A ZeroMQ client picks its own routing id, and a ROUTER with ROUTER_HANDOVER hands an id to
// whichever connection claimed it last — so a client holding any rostered key could claim a
// sibling's id and receive the sibling's traffic (issue 25). Here the ZAP handler, which knows
// the key, assigns each handshake an id, and libzmq 4.3.4 makes an "Identity" property in the ZAP
// reply's metadata the connection's routing id. An assigned id reads
//
//   <node>#<serial>.<tag>        serial: 16 hex digits, one per handshake, growing
//                                tag: 16 hex digits of a MAC over "<node>#<serial>"
//
// The serial tells a node's newer connection from an older one (a child restarted after kill -9
// reconnects before its old TCP connection has timed out). The MAC key never leaves this
// process, so no client can name an id this node did not assign, let alone another node's.
// '#' never occurs in a node id (config/toml_errors.h: node_id_problem), so the node is the part
// before the first '#'.
//
// The assignment does not always win. libzmq's I/O thread sends the ZAP request, tries once to
// read the reply, and only then parses the client's own metadata, whose "Identity" (its claim,
// empty when it claims none) then overwrites ours whenever our reply was already there — on a
// busy machine, about half of all handshakes (docs/ARCHITECTURE.md, Trust). An empty claim makes
// the ROUTER generate an id of its own: a zero byte and a 32-bit counter that starts at random.
// Frames still carry our assigned id as their "Identity" property (libzmq files ZAP properties
// before the client's, and the first one wins), so every frame names its handshake either way.
// Children therefore claim nothing (daemon/transport.cc), and connection() accepts both
// outcomes of the race for them; a connection under any other id claimed one, which no casesync
// child does.
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
  // The connection a frame came on, from what libzmq attached to the frame: `routing_id` (the
  // ROUTER's envelope), `zap_identity` (its "Identity" property) and `user` (its "User-Id", the
  // node our ZAP reply named). The handshake's node and serial when `zap_identity` is an id
  // assigned here to `user` and the routing id is that id or one the ROUTER generated; nullopt
  // when the client claimed a routing id of its own and libzmq kept it.
  std::optional<Assigned> connection(std::string_view routing_id, std::string_view zap_identity,
                                     std::string_view user) const;
  // True for an id the ROUTER made up itself (the client's empty claim won the race).
  static bool generated_by_router(std::string_view routing_id);

 private:
  std::string tag(std::string_view node_and_serial) const;

  std::string mac_key_;
  std::uint64_t next_serial_ = 1;
};

}  // namespace casesync
