#include "daemon/connection_caps.h"

#include <cassert>

namespace casesync {

ConnectionCaps::Admit ConnectionCaps::admit(const std::string& client) {
  if (open_ >= total_max_) return Admit::kNodeFull;
  auto it = by_client_.find(client);
  if (it != by_client_.end() && it->second >= per_client_max_) return Admit::kClientFull;
  ++open_;
  ++by_client_[client];
  return Admit::kYes;
}

void ConnectionCaps::release(const std::string& client) {
  auto it = by_client_.find(client);
  assert(it != by_client_.end() && open_ > 0 && "release() of a connection never admitted");
  --open_;
  if (--it->second == 0) by_client_.erase(it);
}

std::size_t ConnectionCaps::open_from(const std::string& client) const {
  auto it = by_client_.find(client);
  return it == by_client_.end() ? 0 : it->second;
}

}  // namespace casesync
