// Health routes of the local API: the district-wide (or subtree) view of every node's state
// derived from relayed health reports, Prometheus /metrics, and the live dashboard page.
//
//   GET /api/health      {"nodes": [{id, role, parent, state, reason, since, last_seen, ...}]}
//   GET /metrics         Prometheus text format (per-node labels at the district)
//   (the dashboard page that shows them: daemon/pages.h)
#pragma once

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

void register_health_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
