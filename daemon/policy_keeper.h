// PolicyKeeper: the district policy a running node computes deadlines with — the bundle the core's
// DocGossip installed (config/policy_bundle.h), or, at version 0, the calendar and matters files of
// the node's own config. It persists each installed bundle in the data directory (signature first,
// each file atomically) so a restart keeps it, and remembers the matters a newer bundle removed:
// open cases of those keep their limit, new cases of them are refused.
#pragma once

#include <cstdint>
#include <string>

#include "config/node_config.h"
#include "config/policy_bundle.h"
#include "daemon/policy_heard.h"
#include "sync/effects.h"

namespace casesync {

class PolicyKeeper {
 public:
  // Loads the configured calendar and matters, then the installed bundle if there is one the
  // pinned root signed (a damaged one is named in `warning` and ignored).
  static Result<PolicyKeeper> open(const NodeConfig& config, std::string* warning);

  std::uint64_t version() const { return policy_.version; }
  const Policy& policy() const { return policy_; }
  // The bundle as signed, for the core's gossip (empty text at version 0).
  SignedDoc signed_doc() const { return signed_; }
  // Valid while this keeper lives; its address never changes.
  const MattersCatalogue& matters() const { return matters_; }
  const WorkCalendar& calendar() const { return policy_.calendar; }
  // The node's own deadlines and stall settings with the policy's deadline defaults over them.
  SupervisionConfig supervision(SupervisionConfig own) const;

  // When each version was first known here, installed or only heard of from a peer: a node
  // reporting an older one is behind since then (daemon/health_api.cc). Persisted.
  const PolicyHeard& heard() const { return heard_; }
  // Records that `version` exists (from a peer's Hello or gossip, or installed here) at now_ms.
  Status note_heard(std::uint64_t version, std::uint64_t now_ms) {
    return heard_.note(version, now_ms);
  }

  // Verifies a bundle (the core's opener, for the API and for peers).
  Status check(const SignedDoc& doc) const;
  // Takes a bundle the core installed: saves it, then uses it. A failed save is returned (the
  // bundle is used all the same; the next start falls back to the older one on disk).
  Status adopt(const SignedDoc& doc);

  // Bundles the local API refused (older, another key, damaged), for `policy show` and /metrics.
  void count_refused() { ++refused_; }
  std::uint64_t refused() const { return refused_; }

 private:
  PolicyKeeper() = default;
  void use(Policy p);
  Status save_retired() const;

  std::string data_dir_;
  std::string root_public_key_;
  Policy policy_;
  SignedDoc signed_;
  MattersCatalogue matters_;  // the policy's, plus the retired ones
  std::uint64_t refused_ = 0;
  PolicyHeard heard_;
};

}  // namespace casesync
