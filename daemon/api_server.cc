#include "daemon/api_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "daemon/api_json.h"
#include "daemon/node_runtime.h"
#include "sync/routing.h"

namespace casesync {

using nlohmann::json;

namespace {

constexpr std::size_t kBatchEventsPerRequestMax = 10000;
constexpr std::size_t kListLimitMax = 100000;

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, const Status& st) {
  int code = 500;
  switch (st.code()) {
    case Code::kInvalidArgument: code = 400; break;
    case Code::kNotFound: code = 404; break;
    case Code::kUnauthorized: code = 403; break;
    case Code::kDiskFull: code = 507; break;
    case Code::kUnavailable: code = 503; break;
    default: break;
  }
  reply(res, code, {{"error", st.message()}, {"code", code_name(st.code())}});
}

Result<json> parse_body(const httplib::Request& req) {
  try {
    return json::parse(req.body.empty() ? "{}" : req.body);
  } catch (const json::exception& e) {
    return Status::error(Code::kInvalidArgument, std::string("request body is not JSON: ") + e.what());
  }
}

// Body fields are strings on the wire; numbers and booleans are kept as their JSON text.
Result<std::map<std::string, std::string>> string_fields(const json& obj) {
  std::map<std::string, std::string> out;
  if (!obj.is_object()) return Status::error(Code::kInvalidArgument, "body must be a JSON object");
  for (const auto& [k, v] : obj.items()) {
    if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else if (v.is_array()) {
      out[k] = v.dump();
    } else if (!v.is_null()) {
      out[k] = v.dump();
    }
  }
  return out;
}

std::size_t query_size(const httplib::Request& req, const char* key, std::size_t dflt,
                       std::size_t max) {
  if (!req.has_param(key)) return dflt;
  try {
    return std::min<std::size_t>(std::stoull(req.get_param_value(key)), max);
  } catch (...) {
    return dflt;
  }
}

Result<json> load_case(NodeRuntime& rt, const std::string& id) {
  ASSIGN_OR_RETURN(auto records, rt.store().case_events(id));
  if (records.empty()) {
    return Status::error(Code::kNotFound, "case " + id + " is not held at node " + rt.config().node_id);
  }
  ASSIGN_OR_RETURN(auto ordered, canonical_order(records));
  return case_json(id, ordered);
}

json status_json(NodeRuntime& rt) {
  const std::uint64_t now = rt.now_ms();
  json store = json::object();
  if (auto st = rt.store().stats(); st.is_ok()) {
    store = {{"events", st->event_count}, {"db_bytes", st->db_bytes}, {"wal_bytes", st->wal_bytes}};
  }
  const auto& tc = rt.transport().counters();
  return {{"node", rt.config().node_id},
          {"role", role_name(rt.config().role)},
          {"parent", rt.core().parent()},
          {"children", rt.core().children()},
          {"hlc", rt.core().hlc()},
          {"time", format_time_ms(now)},
          {"uptime_s", (now - rt.started_at_ms()) / 1000},
          {"last_seq", rt.core().last_seq()},
          {"disk_trouble", rt.core().disk_trouble()},
          {"links", links_json(rt.core().links(), now)},
          {"counters", counters_json(rt.core().counters())},
          {"transport", {{"frames_dropped_queue_full", tc.frames_dropped_queue_full},
                         {"sends_peer_gone", tc.sends_peer_gone},
                         {"frames_with_bad_envelope", tc.frames_with_bad_envelope}}},
          {"store", store},
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
  auto on_loop = [&rt](auto fn) {
    return [&rt, fn](const httplib::Request& req, httplib::Response& res) {
      rt.tasks().run_and_wait([&] { fn(req, res); });
    };
  };
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/api/status", on_loop([&rt](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, status_json(rt));
  }));
  server_->Get("/api/cases", on_loop([&rt](const httplib::Request& req, httplib::Response& res) {
    auto rows = rt.store().list_cases(query_size(req, "limit", 1000, kListLimitMax));
    if (!rows.is_ok()) return reply_error(res, rows.status());
    json out = json::array();
    for (const auto& row : *rows) {
      auto c = load_case(rt, row.case_id);
      if (!c.is_ok()) continue;
      c->erase("events");
      out.push_back(std::move(*c));
    }
    reply(res, 200, out);
  }));
  server_->Post("/api/cases", on_loop([&rt](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.is_ok()) return reply_error(res, body.status());
    auto fields = string_fields(*body);
    if (!fields.is_ok()) return reply_error(res, fields.status());
    if (fields->count("matter") == 0 || fields->count("applicant") == 0) {
      return reply_error(res, Status::error(Code::kInvalidArgument,
                                            "a new case needs \"matter\" and \"applicant\""));
    }
    std::string id = rt.next_case_id();
    auto r = rt.core().author({id, "case_created", std::move(*fields)}, rt.now_ms());
    if (!r.is_ok()) return reply_error(res, r.status());
    auto c = load_case(rt, id);
    if (!c.is_ok()) return reply_error(res, c.status());
    reply(res, 201, *c);
  }));
  server_->Get(R"(/api/cases/([^/]+))",
               on_loop([&rt](const httplib::Request& req, httplib::Response& res) {
                 auto c = load_case(rt, req.matches[1]);
                 if (!c.is_ok()) return reply_error(res, c.status());
                 reply(res, 200, *c);
               }));
  auto append = [&rt](const std::string& case_id, const std::string& kind,
                      std::map<std::string, std::string> fields, httplib::Response& res) {
    auto existing = rt.store().case_events(case_id);
    if (!existing.is_ok()) return reply_error(res, existing.status());
    if (existing->empty()) {
      return reply_error(res, Status::error(Code::kNotFound, "case " + case_id +
                                                                 " is not held at node " +
                                                                 rt.config().node_id));
    }
    auto r = rt.core().author({case_id, kind, std::move(fields)}, rt.now_ms());
    if (!r.is_ok()) return reply_error(res, r.status());
    auto c = load_case(rt, case_id);
    if (!c.is_ok()) return reply_error(res, c.status());
    reply(res, 201, *c);
  };
  server_->Post(R"(/api/cases/([^/]+)/events)",
                on_loop([append](const httplib::Request& req, httplib::Response& res) {
                  auto body = parse_body(req);
                  if (!body.is_ok()) return reply_error(res, body.status());
                  if (!body->contains("kind") || !(*body)["kind"].is_string()) {
                    return reply_error(res, Status::error(Code::kInvalidArgument,
                                                          "an event needs a string \"kind\""));
                  }
                  auto fields = string_fields(body->value("body", json::object()));
                  if (!fields.is_ok()) return reply_error(res, fields.status());
                  append(req.matches[1], (*body)["kind"], std::move(*fields), res);
                }));
  server_->Post(R"(/api/cases/([^/]+)/forward)",
                on_loop([&rt, append](const httplib::Request& req, httplib::Response& res) {
                  auto body = parse_body(req);
                  if (!body.is_ok()) return reply_error(res, body.status());
                  std::string to = body->value("to", "");
                  if (!rt.core().roster().find(to)) {
                    return reply_error(res, Status::error(Code::kInvalidArgument,
                                                          "forward target \"" + to +
                                                              "\" is not a node in the roster"));
                  }
                  append(req.matches[1], kForwardKind, {{"to", to}}, res);
                }));
  server_->Post("/api/events/batch",
                on_loop([&rt](const httplib::Request& req, httplib::Response& res) {
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
                    auto fields = string_fields(e.value("body", json::object()));
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
  server_->Get("/api/events", on_loop([&rt](const httplib::Request& req, httplib::Response& res) {
    auto after = query_size(req, "after", 0, UINT64_MAX);
    auto limit = query_size(req, "limit", 1000, kListLimitMax);
    auto recs = rt.store().events_after(after, limit);
    if (!recs.is_ok()) return reply_error(res, recs.status());
    json out = json::array();
    for (const auto& r : *recs) {
      auto e = decode_event(r.signed_bytes);
      if (!e.is_ok()) continue;
      out.push_back(event_json({r, std::move(*e)}));
    }
    reply(res, 200, {{"events", out}, {"next", recs->empty() ? after : recs->back().local_seq}});
  }));
}

}  // namespace casesync
