// Roster: the nodes of a district and their tree. Pure data and tree queries; parsing lives in
// config/roster_file.h. Every node holds the same roster, so routing decisions agree everywhere.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace casesync {

enum class Role { kDistrict, kStreet, kCommunity };
const char* role_name(Role role);
std::optional<Role> role_from_name(const std::string& name);

// A signing key a node used before a rotation: it still verifies the events the node signed with
// it, those with seq <= last_seq, so a rotation never invalidates history.
struct RetiredKey {
  std::string sign_public_key;  // Ed25519 public key, 32 raw bytes
  std::uint64_t last_seq = 0;
};

struct RosterNode {
  std::string id;              // stable node id, e.g. "s03-c02"
  std::string name;            // display name
  Role role = Role::kCommunity;
  std::string parent;          // empty for the root (district)
  std::vector<std::string> fallback_parents;
  std::string sign_public_key;  // Ed25519 public key, 32 raw bytes
  // Keys before the last rotation, oldest first, each covering seqs after the previous one's.
  std::vector<RetiredKey> retired_keys;
  std::string endpoint;        // where this node listens for children, e.g. tcp://127.0.0.1:7000
  std::string api;             // local API URL (testbeds only; informational)
  bool revoked = false;
};

class Roster {
 public:
  std::uint64_t version = 0;

  // REQUIRES: ids unique; every parent present. Validated by the parser.
  void add(RosterNode node);
  const RosterNode* find(const std::string& id) const;
  const std::map<std::string, RosterNode>& nodes() const { return nodes_; }
  std::vector<std::string> children_of(const std::string& id) const;
  // Chain from the node's parent up to the root, nearest first.
  std::vector<std::string> ancestors_of(const std::string& id) const;
  // True when `node` is `root` or lies below it.
  bool in_subtree(const std::string& node, const std::string& root) const;
  // The key that verifies `id`'s event `seq`: a retired key whose range covers it, else the
  // current one. nullptr when `id` is not rostered.
  const std::string* key_for(const std::string& id, std::uint64_t seq) const;
  // The child of `self` whose subtree holds `node`, or nullopt if `node` is not below `self`.
  std::optional<std::string> child_toward(const std::string& self, const std::string& node) const;

 private:
  std::map<std::string, RosterNode> nodes_;
};

}  // namespace casesync
