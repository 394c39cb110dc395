#include "daemon/child_routes.h"

#include <algorithm>

namespace casesync {

bool ChildRoutes::heard(int fd, const RoutingIds::Assigned& connection) {
  if (fd < 0) return false;
  auto [it, fresh] = connections_.try_emplace(fd, connection);
  if (fresh) return true;
  const bool other = it->second.serial != connection.serial;
  it->second = connection;
  return other;
}

void ChildRoutes::accepted(const std::string& routing_id, const RoutingIds::Assigned& connection) {
  auto [it, fresh] =
      routes_.try_emplace(connection.node, Route{routing_id, connection.serial});
  // An older connection speaking again (a frame still in flight from before a restart) does
  // not take the node's traffic back from the newer one.
  if (!fresh && connection.serial >= it->second.serial) {
    it->second = Route{routing_id, connection.serial};
  }
}

const std::string* ChildRoutes::route(const std::string& node) const {
  auto it = routes_.find(node);
  return it == routes_.end() ? nullptr : &it->second.routing_id;
}

void ChildRoutes::unreachable(const std::string& node) { routes_.erase(node); }

void ChildRoutes::disconnected(int fd) { connections_.erase(fd); }

std::vector<int> ChildRoutes::take(const std::string& node) {
  std::vector<int> fds;
  for (const auto& [fd, c] : connections_) {
    if (c.node == node) fds.push_back(fd);
  }
  std::erase_if(connections_, [&](const auto& entry) { return entry.second.node == node; });
  routes_.erase(node);
  return fds;
}

}  // namespace casesync
