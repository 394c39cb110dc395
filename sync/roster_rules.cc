#include "sync/roster_rules.h"

namespace casesync {

Status roster_change_allowed(const Roster& held, const Roster& next) {
  for (const auto& [id, old] : held.nodes()) {
    const RosterNode* n = next.find(id);
    if (!n) {
      return Status::error(Code::kInvalidArgument,
                           "roster version " + std::to_string(next.version) + " drops node " + id +
                               " (revoke it instead: its history must stay verifiable)");
    }
    if (n->role != old.role || n->parent != old.parent) {
      return Status::error(Code::kInvalidArgument,
                           "roster version " + std::to_string(next.version) + " moves node " + id +
                               " (role or parent changed); a node that moves needs a new id");
    }
    if (n->retired_keys.size() < old.retired_keys.size()) {
      return Status::error(Code::kInvalidArgument,
                           "roster version " + std::to_string(next.version) +
                               " forgets a retired key of " + id);
    }
    for (std::size_t i = 0; i < old.retired_keys.size(); ++i) {
      if (n->retired_keys[i].sign_public_key != old.retired_keys[i].sign_public_key ||
          n->retired_keys[i].last_seq != old.retired_keys[i].last_seq) {
        return Status::error(Code::kInvalidArgument,
                             "roster version " + std::to_string(next.version) +
                                 " changes a retired key of " + id);
      }
    }
  }
  return Status::ok();
}

}  // namespace casesync
