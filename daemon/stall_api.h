// Supervision routes of the local API: stalled hops and the district's figures.
//
//   GET /api/stalled?node=N&overdue=1   [{case, hop, stage, attribution, overdue_by, ...}]
//   GET /api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&node=N
//       per node: received, prereviewed, forwarded, delivered, accepted, answered, completed,
//       on_time_rate, working hours per stage (median, p95), bounces, repeated supplement
//       requests, stalls by attribution
#pragma once

#include <nlohmann/json.hpp>

#include "sync/stall_detector.h"

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

nlohmann::json stall_json(const Stall& s);
void register_stall_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
