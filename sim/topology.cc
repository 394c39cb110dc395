#include "sim/topology.h"

#include <cassert>
#include <charconv>
#include <cstdio>

namespace casesync::sim {

namespace {

// Which key of a run: the root's, or node `index`'s.
enum class KeyRole : std::uint8_t { kNode = 1, kRoot = 2 };

void append_le64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Ed25519 seed = BLAKE2b-256(tag || role || seed || index), all little-endian: the same on every
// machine, and distinct for every (run seed, role, node).
crypto::KeyPair derive_key(std::uint64_t key_seed, KeyRole role, std::uint64_t index) {
  std::string material = "casesync/sim-key/v1";
  material.push_back(static_cast<char>(role));
  append_le64(&material, key_seed);
  append_le64(&material, index);
  const Hash32 h = crypto::hash(material);
  return crypto::keypair_from_seed(
      std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
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

District::District(Topology topology, std::uint64_t key_seed)
    : topology_(topology), key_seed_(key_seed), root_key_(derive_key(key_seed, KeyRole::kRoot, 0)) {
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
  keys_.push_back(derive_key(key_seed_, KeyRole::kNode, index));
  roster_.add({.id = id,
               .name = id,
               .role = role,
               .parent = parent == SIZE_MAX ? "" : ids_[parent],
               .sign_public_key = keys_.back().public_key});
}

std::size_t District::index_of(const std::string& id) const {
  auto it = index_by_id_.find(id);
  assert(it != index_by_id_.end() && "every id the simulator uses comes from this district");
  return it->second;
}

}  // namespace casesync::sim
