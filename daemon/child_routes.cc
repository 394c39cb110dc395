#include "daemon/child_routes.h"

#include <algorithm>

namespace casesync {

void ChildRoutes::heard(int fd, const std::string& routing_id,
                        const RoutingIds::Assigned& assigned) {
  if (fd >= 0) connections_[fd] = Connection{assigned.node, assigned.serial};
  auto [it, fresh] = routes_.try_emplace(assigned.node, Route{routing_id, assigned.serial});
  // An older connection speaking again (a frame still in flight from before a restart) does
  // not take the node's traffic back from the newer one.
  if (!fresh && assigned.serial >= it->second.serial) it->second = Route{routing_id, assigned.serial};
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
