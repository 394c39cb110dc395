#include "daemon/case_api.h"

#include <httplib.h>

#include <chrono>
#include <sstream>

#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/case_json.h"
#include "daemon/node_runtime.h"
#include "daemon/stall_api.h"
#include "sync/case_fold.h"
#include "sync/hlc.h"
#include "sync/case_kinds.h"

namespace casesync {

using nlohmann::json;

namespace {

constexpr std::size_t kImportLinesMax = 10000;
constexpr std::size_t kListLimitMax = 100000;
constexpr int kChangesWaitMaxS = 60;

std::string key(std::string_view k) { return std::string(k); }

// Materials travel as one newline-separated body value (bodies are string maps).
Result<std::string> materials_text(const json& v) {
  if (v.is_null()) return std::string();
  if (!v.is_array()) return Status::error(Code::kInvalidArgument, "\"materials\" must be a list of names");
  std::string out;
  for (const auto& m : v) {
    if (!m.is_string() || m.get<std::string>().find('\n') != std::string::npos) {
      return Status::error(Code::kInvalidArgument, "each material must be a one-line string");
    }
    out += (out.empty() ? "" : "\n") + m.get<std::string>();
  }
  return out;
}

Result<std::vector<OrderedEvent>> ordered_events(NodeRuntime& rt, const std::string& id) {
  ASSIGN_OR_RETURN(auto records, rt.store().case_events(id));
  if (records.empty()) {
    return Status::error(Code::kNotFound, "case " + id + " is not held at node " + rt.config().node_id);
  }
  return canonical_order(records);
}

Result<json> case_view(NodeRuntime& rt, const std::string& id, bool full) {
  ASSIGN_OR_RETURN(auto ordered, ordered_events(rt, id));
  CaseState s = fold_case(ordered, rt.core().roster());
  return case_state_json(s, ordered, {full, true, &rt.matters()});
}

// The draft of a new case, validated against the catalogue. `id` is assigned by the caller.
Result<EventDraft> new_case_draft(NodeRuntime& rt, const json& in, const std::string& id) {
  if (!in.is_object()) return Status::error(Code::kInvalidArgument, "a case must be a JSON object");
  std::string matter = in.value("matter", "");
  std::string applicant = in.value("applicant", "");
  if (matter.empty() || applicant.empty()) {
    return Status::error(Code::kInvalidArgument, "a new case needs \"matter\" and \"applicant\"");
  }
  if (!rt.matters().find(matter)) {
    return Status::error(Code::kInvalidArgument,
                         "unknown matter code \"" + matter + "\" (not in " +
                             rt.config().matters_file + "; `casesyncctl matters` lists them)");
  }
  EventDraft d{id, key(kinds::kCreated), {}};
  d.body[key(kinds::kMatter)] = matter;
  d.body[key(kinds::kApplicant)] = applicant;
  if (in.contains("id_number")) d.body[key(kinds::kIdNumber)] = in.value("id_number", "");
  ASSIGN_OR_RETURN(std::string mats, materials_text(in.value("materials", json())));
  if (!mats.empty()) d.body[key(kinds::kMaterials)] = mats;
  for (const auto& [k, v] : in.value("fields", json::object()).items()) {
    d.body[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  if (in.contains("legacy_id")) d.body["legacy_id"] = in.value("legacy_id", "");
  return d;
}

// The hop an action by this node applies to: given, or the open hop addressed to this node.
Result<std::string> hop_for(NodeRuntime& rt, const std::string& id, const json& in) {
  if (in.contains("hop")) return in.value("hop", "");
  ASSIGN_OR_RETURN(CaseState s, rt.core().case_state(id));
  // The newest hop addressed to this node that is still open.
  for (auto it = s.hops.rbegin(); it != s.hops.rend(); ++it) {
    const bool open = it->stage != HopStage::kAnswered && it->stage != HopStage::kReturned;
    if (it->to == rt.config().node_id && !it->superseded && open) return it->id;
  }
  return Status::error(Code::kInvalidArgument, "case " + id + " has no open hop addressed to " +
                                                   rt.config().node_id +
                                                   "; give \"hop\" explicitly");
}

// Turns an action request into an event draft.
Result<EventDraft> action_draft(NodeRuntime& rt, const std::string& id, const std::string& action,
                                const json& in) {
  EventDraft d{id, "", {}};
  auto copy = [&](std::string_view from, std::string_view to) {
    if (in.contains(std::string(from))) {
      const json& v = in[std::string(from)];
      d.body[key(to)] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  };
  auto with_hop = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string hop, hop_for(rt, id, in));
    d.body[key(kinds::kHop)] = hop;
    return Status::ok();
  };
  copy("note", kinds::kNoteText);
  if (action == "forward") {
    d.kind = key(kinds::kForwarded);
    copy("to", kinds::kTo);
    copy("desk", kinds::kDesk);
    copy("due_working_days", kinds::kDueWorkingDays);
  } else if (action == "accept") {
    d.kind = key(kinds::kAccepted);
    copy("desk", kinds::kDesk);
    RETURN_IF_ERROR(with_hop());
  } else if (action == "reply") {
    d.kind = key(kinds::kReplied);
    copy("outcome", kinds::kOutcome);
    RETURN_IF_ERROR(with_hop());
  } else if (action == "return") {
    d.kind = key(kinds::kReturned);
    copy("reason", kinds::kReason);
    RETURN_IF_ERROR(with_hop());
  } else if (action == "supplement") {
    d.kind = key(kinds::kSupplementRequested);
    ASSIGN_OR_RETURN(std::string mats, materials_text(in.value("materials", json())));
    if (mats.empty()) {
      return Status::error(Code::kInvalidArgument,
                           "a supplement request must list every missing material at once "
                           "(一次性告知): give \"materials\"");
    }
    d.body[key(kinds::kMaterials)] = mats;
    if (in.contains("hop")) {
      d.body[key(kinds::kHop)] = in.value("hop", "");
    } else if (auto hop = hop_for(rt, id, in); hop.is_ok()) {
      d.body[key(kinds::kHop)] = *hop;
    }
  } else if (action == "supplement_provided") {
    d.kind = key(kinds::kSupplementProvided);
    ASSIGN_OR_RETURN(std::string mats, materials_text(in.value("materials", json())));
    if (!mats.empty()) d.body[key(kinds::kMaterials)] = mats;
  } else if (action == "notify") {
    d.kind = key(kinds::kNotified);
    copy("channel", "channel");
  } else if (action == "withdraw") {
    d.kind = key(kinds::kWithdrawn);
    copy("reason", kinds::kReason);
  } else if (action == "complete") {
    d.kind = key(kinds::kCompleted);
    copy("outcome", kinds::kOutcome);
  } else if (action == "reopen") {
    d.kind = key(kinds::kReopened);
    copy("reason", kinds::kReason);
  } else if (action == "edit") {
    d.kind = key(kinds::kEdited);
    copy("field", kinds::kField);
    copy("value", kinds::kValue);
  } else if (action == "note") {
    d.kind = key(kinds::kNote);
    copy("text", kinds::kNoteText);
  } else if (action == "prereview") {
    d.kind = key(kinds::kPrereviewed);
  } else {
    return Status::error(Code::kNotFound, "unknown case action \"" + action + "\"");
  }
  return d;
}

void act(NodeRuntime& rt, const std::string& id, EventDraft draft, httplib::Response& res) {
  auto existing = rt.store().case_events(id);
  if (!existing.is_ok()) return reply_error(res, existing.status());
  if (existing->empty()) {
    return reply_error(res, Status::error(Code::kNotFound, "case " + id + " is not held at node " +
                                                               rt.config().node_id));
  }
  auto r = rt.core().author(std::move(draft), rt.now_ms());
  if (!r.is_ok()) return reply_error(res, r.status());
  auto view = case_view(rt, id, false);
  if (!view.is_ok()) return reply_error(res, view.status());
  reply(res, 201, *view);
}

}  // namespace

namespace {

void route_reads(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/matters", on_loop(rt, [&rt](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (const auto& [code, m] : rt.matters().all()) {
      out.push_back({{"code", m.code}, {"name", m.name},
                     {"limit_working_days", m.limit_working_days}, {"materials", m.materials}});
    }
    reply(res, 200, out);
  }));
  server.Get("/api/cases", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    auto rows = rt.store().list_cases(query_size(req, "limit", 1000, kListLimitMax));
    if (!rows.is_ok()) return reply_error(res, rows.status());
    json out = json::array();
    for (const auto& row : *rows) {
      auto s = rt.core().case_state(row.case_id);
      if (!s.is_ok() || !s->exists) continue;
      CaseState st = *s;
      st.state_hash = case_state_hash(st);
      json j = case_summary_json(st, &rt.matters());
      j["event_count"] = row.event_count;
      out.push_back(std::move(j));
    }
    reply(res, 200, out);
  }));
  server.Get(R"(/api/cases/([^/]+))",
             on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
               auto v = case_view(rt, req.matches[1], req.get_param_value("full") == "1");
               if (!v.is_ok()) return reply_error(res, v.status());
               reply(res, 200, *v);
             }));
  server.Get(R"(/api/cases/([^/]+)/trace)",
             on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
               auto ordered = ordered_events(rt, req.matches[1]);
               if (!ordered.is_ok()) return reply_error(res, ordered.status());
               json t = case_trace_json(fold_case(*ordered, rt.core().roster()));
               // Stalls depend on this node's clock, so they sit beside the trace, not in it.
               json stalls = json::array();
               for (const auto& st : rt.stalls().stalls_of_case(req.matches[1])) {
                 stalls.push_back(stall_json(st));
               }
               t["stalls"] = stalls;
               reply(res, 200, t);
             }));
  server.Get("/api/conflicts", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    auto rows = rt.store().list_cases(query_size(req, "limit", 10000, kListLimitMax));
    if (!rows.is_ok()) return reply_error(res, rows.status());
    json out = json::array();
    for (const auto& row : *rows) {
      auto s = rt.core().case_state(row.case_id);
      if (!s.is_ok()) continue;
      for (auto& c : conflicts_json(*s)) out.push_back(std::move(c));
    }
    reply(res, 200, out);
  }));
}

void route_changes(httplib::Server& server, NodeRuntime& rt) {
  // Long-poll: the handler waits on its own thread, never on the loop.
  server.Get("/api/changes", [&rt](const httplib::Request& req, httplib::Response& res) {
    const std::uint64_t since = query_size(req, "since", 0, UINT64_MAX);
    const std::size_t limit = query_size(req, "limit", 1000, kListLimitMax);
    const int wait_s = static_cast<int>(query_size(req, "wait", 0, kChangesWaitMaxS));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    for (;;) {
      const std::uint64_t seen = rt.change_counter();
      json changes = json::array();
      Status st;
      std::uint64_t next = since;
      rt.tasks().run_and_wait([&] {
        auto recs = rt.store().events_after(since, limit);
        if (!recs.is_ok()) {
          st = recs.status();
          return;
        }
        for (const auto& r : *recs) {
          changes.push_back({{"local_seq", r.local_seq}, {"case_id", r.case_id}, {"kind", r.kind},
                             {"origin", r.origin}, {"seq", r.seq},
                             {"time", format_time_ms(HybridClock::millis(r.hlc))}});
          next = r.local_seq;
        }
      });
      if (!st.is_ok()) return reply_error(res, st);
      if (!changes.empty() || std::chrono::steady_clock::now() >= deadline) {
        return reply(res, 200, {{"since", since}, {"next", next}, {"changes", changes}});
      }
      rt.wait_for_change(seen, deadline);
    }
  });
}

void route_writes(httplib::Server& server, NodeRuntime& rt) {
  server.Post("/api/cases", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.is_ok()) return reply_error(res, body.status());
    std::string id = rt.next_case_id();
    auto draft = new_case_draft(rt, *body, id);
    if (!draft.is_ok()) return reply_error(res, draft.status());
    auto r = rt.core().author(std::move(*draft), rt.now_ms());
    if (!r.is_ok()) return reply_error(res, r.status());
    auto view = case_view(rt, id, false);
    if (!view.is_ok()) return reply_error(res, view.status());
    reply(res, 201, *view);
  }));
  server.Post(R"(/api/cases/([^/]+)/events)",
              on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_body(req);
                if (!body.is_ok()) return reply_error(res, body.status());
                if (!body->contains("kind") || !(*body)["kind"].is_string()) {
                  return reply_error(res, Status::error(Code::kInvalidArgument,
                                                        "an event needs a string \"kind\""));
                }
                auto fields = string_map(body->value("body", json::object()));
                if (!fields.is_ok()) return reply_error(res, fields.status());
                EventDraft d{req.matches[1], (*body)["kind"], std::move(*fields)};
                act(rt, req.matches[1], std::move(d), res);
              }));
  server.Post(R"(/api/cases/([^/]+)/([a-z_]+))",
              on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_body(req);
                if (!body.is_ok()) return reply_error(res, body.status());
                auto d = action_draft(rt, req.matches[1], req.matches[2], *body);
                if (!d.is_ok()) return reply_error(res, d.status());
                act(rt, req.matches[1], std::move(*d), res);
              }));
}

void route_import(httplib::Server& server, NodeRuntime& rt) {
  server.Post("/api/import", on_loop(rt, [&rt](const httplib::Request& req, httplib::Response& res) {
    std::istringstream in(req.body);
    std::string line;
    std::vector<EventDraft> drafts;
    json ids = json::array();
    std::uint64_t next_seq = rt.core().last_seq() + 1;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (drafts.size() >= kImportLinesMax) {
        return reply_error(res, Status::error(Code::kInvalidArgument,
                                              "at most " + std::to_string(kImportLinesMax) +
                                                  " cases per import; split the file"));
      }
      json j;
      try {
        j = json::parse(line);
      } catch (const json::exception& e) {
        return reply_error(res, Status::error(Code::kInvalidArgument,
                                              "line " + std::to_string(n) + ": not JSON: " + e.what()));
      }
      std::string id = rt.case_id_for_seq(next_seq++);
      auto d = new_case_draft(rt, j, id);
      if (!d.is_ok()) return reply_error(res, d.status().with_context("line " + std::to_string(n)));
      drafts.push_back(std::move(*d));
      ids.push_back(id);
    }
    auto r = rt.core().author_batch(std::move(drafts), rt.now_ms());
    if (!r.is_ok()) return reply_error(res, r.status());
    reply(res, 201, {{"imported", ids.size()}, {"ids", ids}});
  }));
}

}  // namespace

void register_case_routes(httplib::Server& server, NodeRuntime& rt) {
  route_reads(server, rt);
  route_changes(server, rt);
  route_writes(server, rt);
  route_import(server, rt);
}

}  // namespace casesync
