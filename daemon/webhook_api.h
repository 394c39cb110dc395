// The webhooks in the local API: GET /api/webhooks (each receiver's delivery state, also under
// "webhooks" in /api/status and /api/health) and POST /api/webhooks/{name}/retry, which
// `casesyncctl webhook retry NAME` calls to resend the dead letters.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "daemon/webhook_sender.h"

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

nlohmann::json webhooks_json(NodeRuntime& rt);
void register_webhook_routes(httplib::Server& server, NodeRuntime& rt);

}  // namespace casesync
