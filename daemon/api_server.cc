#include "daemon/api_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/api_verdict.h"
#include "daemon/backup_api.h"
#include "daemon/case_api.h"
#include "daemon/case_json.h"
#include "daemon/event_feed.h"
#include "daemon/webhook_api.h"
#include "daemon/clerk_api.h"
#include "daemon/health_api.h"
#include "daemon/pages.h"
#include "daemon/paper_api.h"
#include "daemon/http_front.h"
#include "daemon/stall_api.h"
#include "daemon/node_runtime.h"
#include "daemon/policy_api.h"
#include "sync/routing.h"

namespace casesync {

using nlohmann::json;

namespace {

json api_errors_json(const ApiCounters& c) {
  json by_status = json::object();
  for (const auto& [status, n] : c.error_responses()) by_status[std::to_string(status)] = n;
  return by_status;
}

json connections_json(const FrontCounters& c) {
  return {{"open", c.open},
          {"parked", c.parked},
          {"accepted", c.accepted},
          {"refused_node_full", c.refused_node_full},
          {"refused_client_full", c.refused_client_full},
          {"refused_busy", c.refused_busy},
          {"refused_head", c.refused_head},
          {"read_timeouts", c.read_timeouts},
          {"write_timeouts", c.write_timeouts},
          {"idle_closed", c.idle_closed},
          {"stream_overflows", c.stream_overflows}};
}

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
          {"api", rt.config().api_address},
          {"api_errors", rt.api_counters().internal_errors()},
          {"api_error_responses", api_errors_json(rt.api_counters())},
          {"api_connections", connections_json(rt.api_connections())},
          {"webhooks", webhooks_json(rt)},
          {"api_refused", rt.api_counters().refusals()},
          {"api_bad_token_bursts", rt.api_counters().bad_token_bursts()}};
}

// A batch's case_created gets the id POST /api/cases would give it: its reference's, or
// "<node>-<seq>" of the event's own sequence number (`seq`); never the caller's, which is only a
// placeholder that later events of the batch may name. Checked as a single create is: the
// matter known, a new reference, and a placeholder that is no case held here.
std::optional<ApiError> place_new_case(NodeRuntime& rt, const NewCase& c, std::uint64_t seq,
                                       const std::string& prefix, EventDraft& d,
                                       std::map<std::string, std::string>& placed) {
  if (auto e = unknown_matter(rt, c.matter, prefix + "body.matter")) return e;
  std::string id = new_case_external_id(c);
  if (id.empty()) id = rt.case_id_for_seq(seq);
  for (const std::string& held_id : {d.case_id, id}) {
    auto held = held_case(rt, held_id);
    if (!held.is_ok()) return api_error_from_status(held.status());
    if (*held) {
      return ApiError{409, "conflict",
                      ui_text("case %s exists already; a case_created in a batch makes a new case "
                              "(its case_id is a placeholder the node replaces with the id it "
                              "gives)",
                              held_id),
                      prefix + "case_id"};
    }
  }
  if (!placed.emplace(d.case_id, id).second) {
    return ApiError::bad("bad_value", ui_text("the batch creates case %s twice", d.case_id),
                         prefix + "case_id");
  }
  d.case_id = id;
  return std::nullopt;
}

// A batch's supplement_provided names materials of its case's matter: the case as held here, or
// one an earlier event of the batch creates.
std::optional<ApiError> check_batch_materials(NodeRuntime& rt,
                                              const std::map<std::string, std::string>& created,
                                              EventDraft& d, const std::string& prefix) {
  if (d.kind != kinds::kSupplementProvided) return std::nullopt;
  auto made = created.find(d.case_id);
  std::string matter = made == created.end() ? "" : made->second;
  if (matter.empty()) {
    auto s = rt.core().case_state(d.case_id);
    if (!s.is_ok()) return api_error_from_status(s.status());
    if (!s->exists) return std::nullopt;  // the rules refuse it: the case is not held
    matter = s->matter;
  }
  return check_supplied_materials(rt, matter, d, prefix + "body.materials");
}

// The drafts of a batch, each naming the clerk and within the clerk's role, and checked by the
// case rules against the case as it stands, unless an earlier event of the same batch touched
// its case (then the core's own check, in order, decides). `placed` maps each created case's
// placeholder to the id the node gave it.
Result<std::vector<EventDraft>> batch_drafts(NodeRuntime& rt, const Requester& who,
                                             std::vector<RawEvent> events, ApiError* refused,
                                             std::map<std::string, std::string>* placed) {
  std::vector<EventDraft> drafts;
  std::set<std::string> touched;
  std::map<std::string, std::string> created_matters;  // case id -> matter, created in the batch
  // author_batch gives the drafts consecutive sequence numbers from here, on this loop thread.
  const std::uint64_t first_seq = rt.core().last_seq() + 1;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EventDraft d{std::move(events[i].case_id), std::move(events[i].kind), std::move(events[i].body)};
    const std::string prefix = "events[" + std::to_string(i) + "].";
    if (events[i].new_case) {
      if (auto e = place_new_case(rt, *events[i].new_case, first_seq + i, prefix, d, *placed)) {
        *refused = *e;
        return Status::error(Code::kInvalidArgument, e->message);
      }
    } else if (auto it = placed->find(d.case_id); it != placed->end()) {
      d.case_id = it->second;
    }
    if (events[i].new_case) created_matters[d.case_id] = events[i].new_case->matter;
    if (auto e = check_batch_materials(rt, created_matters, d, prefix)) {
      *refused = *e;
      return Status::error(Code::kInvalidArgument, e->message);
    }
    if (auto e = sign_as(rt, who, d, prefix)) {
      *refused = *e;
      return Status::error(Code::kPermission, e->message);
    }
    if (touched.insert(d.case_id).second) {
      if (auto e = preflight(rt, d, prefix)) {
        *refused = *e;
        return Status::error(Code::kInvalidArgument, e->message);
      }
    }
    drafts.push_back(std::move(d));
  }
  return drafts;
}

void route_events(httplib::Server& server, NodeRuntime& rt) {
  server.Post("/api/events/batch", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto events = parse_event_batch(call.request);
    if (!events.ok()) return reply_error(res, events.error());
    ApiError refused;
    std::map<std::string, std::string> placed;
    auto drafts = batch_drafts(rt, call.who, std::move(*events), &refused, &placed);
    if (!drafts.is_ok()) return reply_error(res, refused);
    auto r = rt.core().author_batch(std::move(*drafts), rt.now_ms());
    if (!r.is_ok()) return reply_error(res, r.status());
    reply(res, 201, {{"count", r->size()}, {"last_seq", rt.core().last_seq()}, {"ids", placed}});
  }));
}

void route_admin(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/api/status", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    if (auto q = parse_no_input(call.request); !q.ok()) return reply_error(res, q.error());
    reply(res, 200, status_json(rt));
  }));
  server.Post("/api/roster", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto p = parse_roster_push(call.request);
    if (!p.ok()) return reply_error(res, p.error());
    RosterMsg m{p->version, p->text, p->signature};
    if (Status st = rt.install_roster(m); !st.is_ok()) return reply_error(res, st);
    reply(res, 200, {{"roster_version", rt.core().roster_version()}});
  }, Access::kAdmin));
}

}  // namespace

// httplib parses and routes; the front (daemon/http_front.h) owns the connections and calls
// process_request() for each request it hands a worker.
class ApiServer::Routes : public httplib::Server {
 public:
  bool serve(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
  }
};

ApiServer::ApiServer(NodeRuntime* runtime)
    : runtime_(runtime), routes_(std::make_unique<Routes>()) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::stop() {
  if (front_) front_->stop();
  if (tls_server_) tls_server_->stop();
  if (tls_thread_.joinable()) tls_thread_.join();
  // A wake still queued for the loop must not reach a front that is gone.
  runtime_->waiters().set_sink([](std::uint64_t, std::string, bool) {});
  runtime_->set_api_front(nullptr);
}

namespace {

// Binds HOST:PORT and serves on a thread of its own (so a port clash is reported before READY=1).
Status serve(httplib::Server& server, const std::string& address, std::thread* thread) {
  auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = std::stoi(address.substr(colon + 1));
  server.set_tcp_nodelay(true);  // otherwise a reused connection waits ~40 ms per request
  if (!server.bind_to_port(host, port)) {
    return Status::error(Code::kUnavailable, "api.tls_listen " + address +
                                                 ": cannot bind (is another node or program "
                                                 "using the port?)");
  }
  *thread = std::thread([&server] { server.listen_after_bind(); });
  return Status::ok();
}

// A department system on another host reaches the API over TLS only (api.tls_listen); the
// certificate and key must load, or the node does not start.
Result<std::unique_ptr<httplib::SSLServer>> tls_server(const ApiAccessConfig& api) {
  for (const std::string* f : {&api.tls_cert, &api.tls_key}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*f, ec)) {
      return Status::error(Code::kNotFound,
                           (f == &api.tls_cert ? "api.tls_cert " : "api.tls_key ") + *f +
                               ": no such file (a PEM file; api.tls_listen needs both)");
    }
  }
  auto server = std::make_unique<httplib::SSLServer>(api.tls_cert.c_str(), api.tls_key.c_str());
  if (!server->is_valid()) {
    return Status::error(Code::kInvalidArgument,
                         "api.tls_cert " + api.tls_cert + " / api.tls_key " + api.tls_key +
                             ": cannot load the certificate and its key (PEM, the key "
                             "unencrypted and matching the certificate)");
  }
  return server;
}

}  // namespace

Status ApiServer::start() {
  NodeRuntime& rt = *runtime_;
  const NodeConfig& config = rt.config();
  routes(*routes_);
  front_ = std::make_unique<HttpFront>(
      config.api,
      [this](httplib::Stream& s, bool close, bool& closed) { return routes_->serve(s, close, closed); },
      &rt.api_counters(), &rt.waiters());
  if (Status st = front_->listen(config.api_address); !st.is_ok()) return st;
  rt.waiters().set_sink([front = front_.get()](std::uint64_t conn, std::string bytes, bool finished) {
    front->send(conn, std::move(bytes), finished);
  });
  rt.set_api_front(front_.get());
  front_->start();
  if (config.api_access.tls_listen.empty()) return Status::ok();
  // The TLS listener is httplib's own server, not behind the front: it serves the one
  // department system on another host, bounded by httplib's thread pool and the body limit.
  // Without the front, a long-poll there answers at once and a backup comes whole.
  ASSIGN_OR_RETURN(tls_server_, tls_server(config.api_access));
  routes(*tls_server_);
  return serve(*tls_server_, config.api_access.tls_listen, &tls_thread_);
}

void ApiServer::routes(httplib::Server& server) {
  NodeRuntime& rt = *runtime_;
  install_error_handlers(server, rt);
  // The front refuses a larger body before reading it (413); this is the belt to those braces,
  // and the only limit for the TLS listener.
  server.set_payload_max_length(rt.config().api.max_body_bytes);
  // What httplib says in "Keep-Alive:" (the front enforces both).
  server.set_keep_alive_timeout(
      static_cast<time_t>((rt.config().api.idle_timeout_ms + 999) / 1000));
  server.set_keep_alive_max_count(HttpFront::kRequestsPerConnectionMax);
  register_case_routes(server, rt);
  register_paper_routes(server, rt);
  register_feed_routes(server, rt);
  register_webhook_routes(server, rt);
  register_stall_routes(server, rt);
  register_health_routes(server, rt);
  register_page_routes(server, rt);
  register_backup_routes(server, rt);
  register_clerk_routes(server, rt);
  register_policy_routes(server, rt);
  route_events(server, rt);
  route_admin(server, rt);
}

}  // namespace casesync
