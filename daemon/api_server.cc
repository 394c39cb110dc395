#include "daemon/api_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/case_api.h"
#include "daemon/case_json.h"
#include "daemon/health_api.h"
#include "daemon/stall_api.h"
#include "daemon/node_runtime.h"
#include "sync/routing.h"

namespace casesync {

using nlohmann::json;

namespace {

constexpr std::size_t kBatchEventsPerRequestMax = 10000;
constexpr std::size_t kListLimitMax = 100000;

json status_json(NodeRuntime& rt) {
  const std::uint64_t now = rt.now_ms();
  json store = json::object();
  if (auto st = rt.store().stats(); st.is_ok()) {
    store = {{"events", st->event_count}, {"db_bytes", st->db_bytes}, {"wal_bytes", st->wal_bytes}};
  }
  return {{"node", rt.config().node_id},
          {"role", role_name(rt.config().role)},
          {"parent", rt.core().parent()},
          {"current_parent", rt.core().current_parent()},
          {"children", rt.core().children()},
          {"hlc", rt.core().hlc()},
          {"time", format_time_ms(now)},
          {"uptime_s", (now - rt.started_at_ms()) / 1000},
          {"last_seq", rt.core().last_seq()},
          {"disk_trouble", rt.core().disk_trouble()},
          {"links", links_json(rt.core().links(), now)},
          {"counters", counters_json(rt.core().counters())},
          {"transport", transport_json(rt.transport())},
          {"penalty", penalty_json(rt.penalty(), now)},
          {"roster_version", rt.core().roster_version()},
          {"store", store},
          {"config", {{"log_level", rt.config().log_level},
                      {"reloads_applied", rt.reloads_applied()},
                      {"reloads_refused", rt.reloads_refused()}}},
          {"api", rt.config().api_address}};
}

}  // namespace

ApiServer::ApiServer(NodeRuntime* runtime)
    : runtime_(runtime), server_(std::make_unique<httplib::Server>()) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

Status ApiServer::start(const std::string& address) {
  auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = std::stoi(address.substr(colon + 1));
  routes();
  server_->set_tcp_nodelay(true);  // otherwise a reused connection waits ~40 ms per request
  if (!server_->bind_to_port(host, port)) {
    return Status::error(Code::kUnavailable, "api.listen " + address +
                                                 ": cannot bind (is another node or program "
                                                 "using the port?)");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::ok();
}

void ApiServer::routes() {
  NodeRuntime& rt = *runtime_;
  register_case_routes(*server_, rt);
  register_stall_routes(*server_, rt);
  register_health_routes(*server_, rt);
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/api/status", on_loop(rt, [&rt](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, status_json(rt));
  }));
  // Online backup through SQLite's backup API, consistent while syncing; the copy is
  // integrity-checked before the answer says ok.
  server_->Post("/api/backup", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.is_ok()) return reply_error(res, body.status());
    std::string path = body->value("path", "");
    if (path.empty() || path.front() != '/') {
      return reply_error(res, Status::error(Code::kInvalidArgument, "\"path\" must be absolute"));
    }
    if (Status st = rt.store().backup_to(path); !st.is_ok()) return reply_error(res, st);
    auto stats = rt.store().stats();
    reply(res, 200, {{"path", path}, {"events", stats.is_ok() ? stats->event_count : 0},
                     {"last_seq", rt.core().last_seq()}});
  }));
  server_->Post("/api/roster", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.is_ok()) return reply_error(res, body.status());
    auto sig = from_hex(body->value("signature", ""));
    if (!sig) return reply_error(res, Status::error(Code::kInvalidArgument, "signature must be hex"));
    RosterMsg m{body->value("version", 0ull), body->value("text", ""), *sig};
    if (Status st = rt.install_roster(m); !st.is_ok()) return reply_error(res, st);
    reply(res, 200, {{"roster_version", rt.core().roster_version()}});
  }));
  server_->Post("/api/events/batch",
                on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
                  auto body = parse_body(req);
                  if (!body.is_ok()) return reply_error(res, body.status());
                  const json& evs = body->value("events", json::array());
                  if (!evs.is_array() || evs.size() > kBatchEventsPerRequestMax) {
                    return reply_error(res, Status::error(Code::kInvalidArgument,
                                                          "\"events\" must be a list of at most " +
                                                              std::to_string(kBatchEventsPerRequestMax)));
                  }
                  std::vector<EventDraft> drafts;
                  for (const auto& e : evs) {
                    auto fields = string_map(e.value("body", json::object()));
                    if (!fields.is_ok() || !e.contains("case_id") || !e.contains("kind")) {
                      return reply_error(res, Status::error(Code::kInvalidArgument,
                                                            "each event needs case_id, kind, body"));
                    }
                    drafts.push_back({e["case_id"], e["kind"], std::move(*fields)});
                  }
                  auto r = rt.core().author_batch(std::move(drafts), rt.now_ms());
                  if (!r.is_ok()) return reply_error(res, r.status());
                  reply(res, 201, {{"count", r->size()}, {"last_seq", rt.core().last_seq()}});
                }));
  server_->Get("/api/events", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    auto after = query_size(req, "after", 0, UINT64_MAX);
    auto limit = query_size(req, "limit", 1000, kListLimitMax);
    auto recs = rt.store().events_after(after, limit);
    if (!recs.is_ok()) return reply_error(res, recs.status());
    json out = json::array();
    for (const auto& r : *recs) {
      auto e = decode_event(r.signed_bytes);
      if (!e.is_ok()) continue;
      json ej = event_json({r, *e});
      ej["body"] = masked_body(*e, false);
      out.push_back(std::move(ej));
    }
    reply(res, 200, {{"events", out}, {"next", recs->empty() ? after : recs->back().local_seq}});
  }));
}

}  // namespace casesync
