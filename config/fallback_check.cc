#include "config/fallback_check.h"

#include <string>

namespace casesync {

Status check_fallbacks_in_roster(const NodeConfig& config, const Roster& roster) {
  const RosterNode* me = roster.find(config.node_id);
  if (me == nullptr) return Status::ok();
  const auto& named = me->fallback_parents;
  // Entry 0 is the primary parent; entry i > 0 is the endpoint of named[i - 1].
  for (std::size_t i = named.size() + 1; i < config.parent_endpoints.size(); ++i) {
    std::string where = config.source_path;
    if (i < config.parent_lines.size() && config.parent_lines[i] > 0) {
      where += ":" + std::to_string(config.parent_lines[i]);
    }
    std::string listed;
    for (const auto& id : named) listed += (listed.empty() ? "" : ", ") + id;
    return Status::error(
        Code::kInvalidArgument,
        where + ": node.parents[" + std::to_string(i) + "]: \"" + config.parent_endpoints[i] +
            "\" is a fallback parent the roster does not name (fallback_parents of " +
            config.node_id + " in the roster: " + (listed.empty() ? "none" : listed) +
            "); at the district add the parent's id to fallback_parents of " + config.node_id +
            ", raise version and sign the roster again, or remove this endpoint");
  }
  return Status::ok();
}

}  // namespace casesync
