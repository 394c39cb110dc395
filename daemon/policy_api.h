// The district policy routes of the local API (config/policy_bundle.h, docs/POLICY.md):
//
//   GET  /api/policy   {version, signed_at, calendar_years, matters, digest, refused}
//   POST /api/policy   {version, text, signature (hex)}  admin; the bundle `casesyncctl policy
//                      publish` signed. 200 {version}; 400 when older than the one held, 403 when
//                      another key signed it. A refused bundle is counted (`refused`).
#pragma once

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

nlohmann::json policy_json(NodeRuntime& runtime);
void register_policy_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
