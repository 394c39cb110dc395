// RosterBook: the district admin's side of the simulated roster. Version 1 is the topology's
// roster; each revocation or key rotation publishes the next version. A version travels as a
// RosterMsg whose text names it; the opener handed to every core accepts exactly the texts this
// book published (the simulator's stand-in for the root signature, which config/ checks in the
// daemon). The book also holds each node's current signing key: a rotation gives the node a new
// one, which it uses from its next start.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/roster.h"
#include "crypto/crypto.h"
#include "sim/topology.h"
#include "sync/messages.h"
#include "sync/sync_node.h"

namespace casesync::sim {

class RosterBook {
 public:
  // "*district" must remain live while this book is in use. With `fallbacks`, version 1 lists
  // the district as every community's fallback parent.
  RosterBook(const District* district, bool fallbacks);
  RosterBook(const RosterBook&) = delete;
  RosterBook& operator=(const RosterBook&) = delete;

  std::uint64_t latest_version() const { return versions_.size(); }
  const Roster& latest() const { return versions_.back(); }
  // REQUIRES: 1 <= version <= latest_version().
  const Roster& at(std::uint64_t version) const { return versions_.at(version - 1); }
  const RosterMsg& signed_at(std::uint64_t version) const { return signed_.at(version - 1); }
  SyncNode::RosterOpener opener() const;

  // A new version in which `id` is revoked. Returns the new version.
  std::uint64_t revoke(const std::string& id);
  // A new version in which node `index` has a new key; its old one stays valid for the events
  // it signed through `last_seq` (RosterNode::retired_keys). Returns the new version.
  std::uint64_t rotate(std::size_t index, std::uint64_t last_seq);

  const crypto::SecretKey& secret(std::size_t index) const;
  bool revoked(const std::string& id) const { return revoked_.count(id) > 0; }
  const std::set<std::string>& revoked_ids() const { return revoked_; }

 private:
  std::uint64_t publish(Roster next);

  const District* district_;
  std::vector<Roster> versions_;
  std::vector<RosterMsg> signed_;
  std::vector<std::uint32_t> key_generation_;  // per node index: 0 = the topology's key
  std::set<std::string> revoked_;
};

}  // namespace casesync::sim
