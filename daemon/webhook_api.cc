#include "daemon/webhook_api.h"

#include <httplib.h>

#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/node_runtime.h"
#include "daemon/webhooks.h"

namespace casesync {

using nlohmann::json;

namespace {

json time_or_null(std::uint64_t ms) { return ms == 0 ? json() : json(format_time_ms(ms)); }

json webhook_json(const WebhookStatus& s, std::uint64_t last_local_seq) {
  return {{"name", s.name},
          {"url", s.url},
          {"events", s.events.empty() ? json("all") : json(s.events)},
          {"state", s.state},
          {"delivered_through", s.delivered_through},
          {"backlog_events", last_local_seq - std::min(last_local_seq, s.delivered_through)},
          {"delivered", s.delivered},
          {"failed_attempts", s.failed_attempts},
          {"failures_in_a_row", s.failures_in_a_row},
          {"dead_letters", s.dead_letters},
          {"last_error", s.last_error},
          {"last_error_at", time_or_null(s.last_error_ms)},
          {"last_delivered_at", time_or_null(s.last_delivered_ms)},
          {"next_attempt_at", s.state == "retrying" ? time_or_null(s.next_attempt_ms) : json()}};
}

}  // namespace

json webhooks_json(NodeRuntime& rt) {
  json out = json::array();
  if (rt.webhooks() == nullptr) return out;
  std::uint64_t last = 0;
  if (auto st = rt.store().stats(); st.is_ok()) last = st->event_count;
  for (const auto& s : rt.webhooks()->statuses()) out.push_back(webhook_json(s, last));
  return out;
}

// Both routes are an admin's: the list names receivers' addresses, a retry resends data.
void register_webhook_routes(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/webhooks", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    if (auto q = parse_no_input(call.request); !q.ok()) return reply_error(res, q.error());
    reply(res, 200, webhooks_json(rt));
  }, Access::kAdmin));
  server.Post(R"(/api/webhooks/([^/]+)/retry)",
              on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
                auto name = parse_webhook_retry(call.request);
                if (!name.ok()) return reply_error(res, name.error());
                auto queued = rt.webhooks() ? rt.webhooks()->retry(*name) : std::nullopt;
                if (!queued) {
                  std::string known;
                  if (rt.webhooks()) {
                    for (const auto& n : rt.webhooks()->names()) known += (known.empty() ? "" : ", ") + n;
                  }
                  return reply_error(
                      res, ApiError::not_found(
                               known.empty()
                                   ? ui_text("no webhook \"%s\" at node %s (it has none)", *name,
                                             rt.config().node_id)
                                   : ui_text("no webhook \"%s\" at node %s (webhooks: %s)", *name,
                                             rt.config().node_id, known),
                               "name"));
                }
                reply(res, 200, {{"webhook", *name}, {"dead_letters_queued", *queued}});
              }, Access::kAdmin));
}

}  // namespace casesync
