// ConnectionCaps: how many connections the local API holds open, overall and per client
// address (api.max_connections, api.max_connections_per_client). One client cannot take every
// slot; the node cannot run out of file descriptors. Pure; used by the front's thread only.
//
// On loopback every local program shares 127.0.0.1, so there the per-client cap bounds them
// all together: it must stay above what the clerks' tools and the approval system open at once.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace casesync {

class ConnectionCaps {
 public:
  enum class Admit { kYes, kNodeFull, kClientFull };

  ConnectionCaps(std::size_t total_max, std::size_t per_client_max)
      : total_max_(total_max), per_client_max_(per_client_max) {}

  // kYes counts the connection in; release() it when it closes.
  Admit admit(const std::string& client);
  void release(const std::string& client);

  std::size_t open() const { return open_; }
  std::size_t open_from(const std::string& client) const;

 private:
  std::size_t total_max_;
  std::size_t per_client_max_;
  std::size_t open_ = 0;
  std::map<std::string, std::size_t> by_client_;
};

}  // namespace casesync
