#include "sim/topology.h"

#include <cassert>
#include <charconv>
#include <cstdio>
#include <deque>

namespace casesync::sim {

namespace {

// Process-wide keys by node index. A deque keeps references valid while it grows.
const crypto::KeyPair& key_for(std::size_t index) {
  static std::deque<crypto::KeyPair> keys;
  while (keys.size() <= index) keys.push_back(crypto::generate_keypair());
  return keys[index];
}

std::optional<std::uint32_t> parse_count(std::string_view text, std::uint32_t max) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return std::nullopt;
  return v;
}

std::string two_digits(std::uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u", n);
  return buf;
}

}  // namespace

std::optional<Topology> parse_topology(std::string_view text) {
  const auto x = text.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  auto streets = parse_count(text.substr(0, x), Topology::kStreetsMax);
  auto communities = parse_count(text.substr(x + 1), Topology::kCommunitiesMax);
  if (!streets || !communities || *streets == 0) return std::nullopt;
  return Topology{*streets, *communities};
}

std::string topology_name(const Topology& t) {
  return std::to_string(t.streets) + "x" + std::to_string(t.communities);
}

District::District(Topology topology) : topology_(topology) {
  add_node("district", Role::kDistrict, SIZE_MAX);
  for (std::uint32_t s = 1; s <= topology.streets; ++s) {
    const std::string street = "s" + two_digits(s);
    const std::size_t street_index = ids_.size();
    add_node(street, Role::kStreet, 0);
    for (std::uint32_t c = 1; c <= topology.communities; ++c) {
      add_node(street + "-c" + two_digits(c), Role::kCommunity, street_index);
    }
  }
  roster_.version = 1;
}

void District::add_node(const std::string& id, Role role, std::size_t parent) {
  const std::size_t index = ids_.size();
  ids_.push_back(id);
  parents_.push_back(parent);
  index_by_id_[id] = index;
  roster_.add({.id = id,
               .name = id,
               .role = role,
               .parent = parent == SIZE_MAX ? "" : ids_[parent],
               .sign_public_key = key_for(index).public_key});
}

std::size_t District::index_of(const std::string& id) const {
  auto it = index_by_id_.find(id);
  assert(it != index_by_id_.end() && "every id the simulator uses comes from this district");
  return it->second;
}

const crypto::SecretKey& District::secret(std::size_t index) const { return key_for(index).secret; }

}  // namespace casesync::sim
