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
  // The deadline defaults the policy sets, as written ("accept": "4h"); a node's own [deadlines]
  // holds for the rest.
  json deadlines = json::object();
  for (const auto& [key, value] : p.deadlines.fields()) deadlines[key] = value;
  if (p.deadlines.warn_fraction) deadlines["warn_fraction"] = *p.deadlines.warn_fraction;
  const std::uint64_t newest = k.heard().newest();
  return {{"version", p.version},
          {"signed_at", p.version == 0 ? json(nullptr) : json(format_time_ms(p.signed_at_ms))},
          {"calendar_years", years},
          {"matters", current},
          {"digest", p.digest},
          {"deadlines", deadlines},
          // The lag clock (daemon/policy_heard.h): the newest version known to exist and since
          // when, kept across restarts.
          {"newest_known", newest},
          {"newest_known_since",
           newest == 0 ? json(nullptr) : json(format_time_ms(k.heard().newer_known_since_ms(newest - 1)))},
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
