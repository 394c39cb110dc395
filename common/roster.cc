#include "common/roster.h"

#include <cassert>

namespace casesync {

const char* role_name(Role role) {
  switch (role) {
    case Role::kDistrict: return "district";
    case Role::kStreet: return "street";
    case Role::kCommunity: return "community";
  }
  return "unknown";
}

std::optional<Role> role_from_name(const std::string& name) {
  if (name == "district") return Role::kDistrict;
  if (name == "street") return Role::kStreet;
  if (name == "community") return Role::kCommunity;
  return std::nullopt;
}

void Roster::add(RosterNode node) {
  std::string id = node.id;
  nodes_[id] = std::move(node);
}

const RosterNode* Roster::find(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const std::string* Roster::key_for(const std::string& id, std::uint64_t seq) const {
  const RosterNode* n = find(id);
  if (!n) return nullptr;
  for (const auto& k : n->retired_keys) {
    if (seq <= k.last_seq) return &k.sign_public_key;
  }
  return &n->sign_public_key;
}

std::vector<std::string> Roster::children_of(const std::string& id) const {
  std::vector<std::string> out;
  for (const auto& [nid, n] : nodes_) {
    if (n.parent == id) out.push_back(nid);
  }
  return out;
}

std::vector<std::string> Roster::ancestors_of(const std::string& id) const {
  std::vector<std::string> out;
  const RosterNode* n = find(id);
  // The depth bound guards against a cycle slipping past validation.
  for (std::size_t depth = 0; n && !n->parent.empty() && depth < nodes_.size(); ++depth) {
    out.push_back(n->parent);
    n = find(n->parent);
  }
  return out;
}

bool Roster::in_subtree(const std::string& node, const std::string& root) const {
  if (node == root) return true;
  for (const auto& a : ancestors_of(node)) {
    if (a == root) return true;
  }
  return false;
}

std::optional<std::string> Roster::child_toward(const std::string& self,
                                                const std::string& node) const {
  std::string prev = node;
  for (const auto& a : ancestors_of(node)) {
    if (a == self) return prev;
    prev = a;
  }
  return std::nullopt;
}

}  // namespace casesync
