// `casesyncctl config check`'s cross-check of node.parents against the roster. node.parents[1..]
// are the endpoints of the roster's fallback_parents of this node, in roster order (the daemon
// dials them so, daemon/node_runtime.cc); an endpoint beyond them names a fallback parent the
// roster does not allow: the daemon would never dial it and the parent would refuse it anyway.
#pragma once

#include "common/roster.h"
#include "common/status.h"
#include "config/node_config.h"

namespace casesync {

// ok, or kInvalidArgument "FILE:LINE: node.parents[i]: ..." for the first endpoint the roster's
// fallback_parents of config.node_id do not cover, saying how to name it in the roster.
// REQUIRES: config.node_id is in `roster`.
Status check_fallbacks_in_roster(const NodeConfig& config, const Roster& roster);

}  // namespace casesync
