#include "daemon/clerk_api.h"

#include <httplib.h>

#include <mutex>

#include "crypto/token_hash.h"
#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_token.h"
#include "daemon/api_util.h"
#include "daemon/log.h"
#include "daemon/node_runtime.h"

namespace casesync {

using nlohmann::json;

namespace {

json clerk_json(const Clerk& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"role", clerk_role_name(c.role)},
          {"disabled", c.disabled},
          {"created", c.created_ms ? json(format_time_ms(c.created_ms)) : json()}};
}

// Hashing a token takes 64 MiB and a core for a moment: one at a time, on the request's thread.
std::mutex& hashing() {
  static std::mutex mu;
  return mu;
}

void add_clerk(NodeRuntime& rt, const ApiCall& call, httplib::Response& res) {
  auto c = parse_new_clerk(call.request);
  if (!c.ok()) return reply_error(res, c.error());
  const std::string token = new_token(c->id);
  Result<std::string> hash = Status::error(Code::kInternal, "not hashed");
  {
    std::lock_guard lock(hashing());
    hash = crypto::hash_token(token);
  }
  if (!hash.is_ok()) return reply_error(res, hash.status());
  auto added = rt.clerks().add(c->id, c->name, *clerk_role_from_name(c->role), std::move(*hash),
                               rt.now_ms());
  if (!added.is_ok()) {
    ApiError e = api_error_from_status(added.status(), "id");
    if (added.status().code() == Code::kInvalidArgument) e.status = 409, e.code = "conflict";
    return reply_error(res, e);
  }
  log_info("clerk " + added->id + " (" + clerk_role_name(added->role) + ") added by " +
           call.who.actor().id);
  json out = clerk_json(*added);
  out["token"] = token;
  reply(res, 201, out);
}

}  // namespace

void register_clerk_routes(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/clerks", on_own_thread(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    if (auto q = parse_no_input(call.request); !q.ok()) return reply_error(res, q.error());
    json out = json::array();
    if (auto admin = rt.clerks().find(std::string(kAdminClerkId))) {
      json a = clerk_json(*admin);
      a["token_file"] = rt.clerks().admin_token_path();
      out.push_back(a);
    }
    for (const auto& c : rt.clerks().list()) out.push_back(clerk_json(c));
    reply(res, 200, out);
  }, Access::kAdmin));
  server.Post("/api/clerks", on_own_thread(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    add_clerk(rt, call, res);
  }, Access::kAdmin));
  server.Post(R"(/api/clerks/([^/]+)/disable)",
              on_own_thread(rt, [&rt](const ApiCall& call, httplib::Response& res) {
                auto id = parse_clerk_disable(call.request);
                if (!id.ok()) return reply_error(res, id.error());
                auto c = rt.clerks().disable(*id);
                if (!c.is_ok()) return reply_error(res, api_error_from_status(c.status(), "id"));
                log_info("clerk " + c->id + " disabled by " + call.who.actor().id);
                reply(res, 200, clerk_json(*c));
              }, Access::kAdmin));
}

}  // namespace casesync
