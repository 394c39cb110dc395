#include "daemon/policy_api.h"

#include <httplib.h>

#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/node_runtime.h"

namespace casesync {

using nlohmann::json;

json policy_json(NodeRuntime& rt) {
  PolicyKeeper& k = rt.policy();
  const Policy& p = k.policy();
  std::vector<int> years;
  for (const auto& [year, source] : k.calendar().covered_years()) years.push_back(year);
  std::size_t current = 0;
  for (const auto& [code, m] : k.matters().all()) current += m.retired ? 0 : 1;
  return {{"version", p.version},
          {"signed_at", p.version == 0 ? json(nullptr) : json(format_time_ms(p.signed_at_ms))},
          {"calendar_years", years},
          {"matters", current},
          {"digest", p.digest},
          {"refused", k.refused()}};
}

void register_policy_routes(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/policy", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    if (auto q = parse_no_input(call.request); !q.ok()) return reply_error(res, q.error());
    reply(res, 200, policy_json(rt));
  }));
  // The same signed-document body as POST /api/roster.
  server.Post("/api/policy", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto p = parse_roster_push(call.request);
    if (!p.ok()) {
      rt.policy().count_refused();
      return reply_error(res, p.error());
    }
    if (Status st = rt.install_policy({p->version, p->text, p->signature}); !st.is_ok()) {
      return reply_error(res, st);
    }
    reply(res, 200, policy_json(rt));
  }, Access::kAdmin));
}

}  // namespace casesync
