// Topology: the simulated district — one district node, S town streets, C communities under each
// street — with its roster and signing keys. Every key is derived from the run's seed
// (crypto::keypair_from_seed), so a run is a pure function of (commit, seed, options): signatures,
// and anything the core decides from them, are the same in every process on every machine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/roster.h"
#include "crypto/crypto.h"

namespace casesync::sim {

struct Topology {
  std::uint32_t streets = 13;
  std::uint32_t communities = 3;  // per street

  // Bounds keep one run inside memory and time budgets; the real district is 13x20.
  static constexpr std::uint32_t kStreetsMax = 64;
  static constexpr std::uint32_t kCommunitiesMax = 32;
};

// "13x3" -> {13, 3}; nullopt when malformed or out of range (streets >= 1, communities >= 0).
std::optional<Topology> parse_topology(std::string_view text);
std::string topology_name(const Topology& t);

class District {
 public:
  // Keys are derived from `key_seed` (a run's seed). REQUIRES: crypto::init() succeeded.
  District(Topology topology, std::uint64_t key_seed);

  const Topology& topology() const { return topology_; }
  const Roster& roster() const { return roster_; }
  std::size_t size() const { return ids_.size(); }
  // Index order: the district, then each street followed by its communities.
  const std::string& id(std::size_t index) const { return ids_[index]; }
  std::size_t index_of(const std::string& id) const;
  // Parent's index; SIZE_MAX for the district.
  std::size_t parent(std::size_t index) const { return parents_[index]; }
  Role role(std::size_t index) const { return roster_.find(ids_[index])->role; }
  const crypto::SecretKey& secret(std::size_t index) const { return keys_[index].secret; }
  // The district root's key (it signs rosters), derived from the seed like the nodes' keys.
  const crypto::KeyPair& root_key() const { return root_key_; }

 private:
  void add_node(const std::string& id, Role role, std::size_t parent);

  Topology topology_;
  std::uint64_t key_seed_;
  crypto::KeyPair root_key_;
  std::vector<crypto::KeyPair> keys_;  // by node index
  Roster roster_;
  std::vector<std::string> ids_;
  std::vector<std::size_t> parents_;
  std::map<std::string, std::size_t> index_by_id_;
};

}  // namespace casesync::sim
