// ChildRoutes: which connection each child's frames go out on, and which connections to close
// when a child is banned or revoked (pure bookkeeping; daemon/transport.cc feeds it).
//
// Routing ids are assigned by this node (daemon/routing_id.h), one per handshake, so a node may
// have several connections at once: a child restarted after kill -9 dials again before its old
// TCP connection has timed out, and whoever holds a stolen key may connect beside the real node.
// Frames to a node go to the newest of its connections (highest serial) that has spoken: a
// connection that has never sent a frame is never sent to. libzmq tells a ROUTER nothing about
// a connection but its frames (ZMQ_SRCFD) and socket-monitor events by fd, so connections are
// known by fd from their first frame on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/routing_id.h"

namespace casesync {

class ChildRoutes {
 public:
  // A frame came on `fd` under `routing_id`, which this node assigned (`assigned`).
  void heard(int fd, const std::string& routing_id, const RoutingIds::Assigned& assigned);
  // The routing id to send to `node` on, or nullptr when none of its connections has spoken.
  const std::string* route(const std::string& node) const;
  // libzmq reported `node`'s route unreachable: send nothing there until it speaks again.
  void unreachable(const std::string& node);
  // libzmq reported `fd` closed. The route stays (a send finds out) but is never cut by fd again:
  // the number may already belong to someone else's connection.
  void disconnected(int fd);
  // Forgets every connection and the route of `node`; returns the fds to close.
  std::vector<int> take(const std::string& node);

 private:
  struct Connection {
    std::string node;
    std::uint64_t serial = 0;
  };
  struct Route {
    std::string routing_id;
    std::uint64_t serial = 0;
  };
  std::map<int, Connection> connections_;  // by fd: every connection that has spoken
  std::map<std::string, Route> routes_;    // by node: its newest connection that has spoken
};

}  // namespace casesync
