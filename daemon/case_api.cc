#include "daemon/case_api.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/api_verdict.h"
#include "daemon/case_json.h"
#include "daemon/http_exchange.h"
#include "daemon/node_runtime.h"
#include "daemon/receipt_checks.h"
#include "daemon/stall_api.h"
#include "sync/case_fold.h"
#include "sync/stall_fold.h"
#include "sync/case_kinds.h"
#include "sync/external_ref.h"
#include "sync/hlc.h"

namespace casesync {

using nlohmann::json;

namespace {

// Cases a filtered list looks through for its `limit` matches (as many as /api/stats folds).
constexpr std::size_t kCaseScanMax = 200000;

std::string key(std::string_view k) { return std::string(k); }

ApiError case_not_held(NodeRuntime& rt, const std::string& id) {
  return ApiError::not_found(
      ui_text("case %s is not held at node %s", id, rt.config().node_id), "case_id");
}

Checked<std::vector<OrderedEvent>> ordered_events(NodeRuntime& rt, const std::string& id) {
  auto records = rt.store().case_events(id);
  if (!records.is_ok()) return api_error_from_status(records.status());
  if (records->empty()) return case_not_held(rt, id);
  auto ordered = canonical_order(*records);
  if (!ordered.is_ok()) return api_error_from_status(ordered.status());
  return std::move(*ordered);
}

Checked<json> case_view(NodeRuntime& rt, const std::string& id, bool full) {
  auto ordered = ordered_events(rt, id);
  if (!ordered.ok()) return ordered.error();
  const CaseState s = fold_case(*ordered, rt.core().roster());
  const DeadlineInputs deadlines = rt.stalls().deadline_inputs();
  return case_state_json(s, *ordered, {full, true, &rt.matters(), &deadlines,
                                       &rt.config().privacy.sensitive_fields});
}

// The unmasked case is for reviewers and admins, and seeing it is recorded: a viewed_full event
// naming the clerk and the fields shown, signed and replicated like any other. When it cannot be
// recorded (the node cannot write now), the case is not shown.
std::optional<ApiError> record_full_view(NodeRuntime& rt, const Requester& who,
                                         const std::string& case_id) {
  if (!who.is(ClerkRole::kReviewer) && !who.is(ClerkRole::kAdmin)) {
    return rt.guard().forbidden_role(who, ui_text("see case %s unmasked (full=1)", case_id),
                                     "reviewer, admin", rt.now_ms());
  }
  std::string shown;
  for (const auto& f : rt.config().privacy.sensitive_fields) shown += (shown.empty() ? "" : ",") + f;
  EventDraft d{case_id, key(kinds::kViewedFull), {{key(kinds::kShown), shown}}};
  if (auto e = sign_as(rt, who, d)) return e;
  if (auto e = preflight(rt, d)) return e;
  auto r = rt.core().author(std::move(d), rt.now_ms());
  if (!r.is_ok()) return api_error_from_status(r.status());
  return std::nullopt;
}

// The newest open hop of the case addressed to this node, or "".
std::string open_hop_for_me(NodeRuntime& rt, const CaseState& s) {
  for (auto it = s.hops.rbegin(); it != s.hops.rend(); ++it) {
    const bool open = it->stage != HopStage::kAnswered && it->stage != HopStage::kReturned;
    if (it->to == rt.config().node_id && !it->superseded && open) return it->id;
  }
  return "";
}

void show_case(NodeRuntime& rt, const std::string& id, int status, httplib::Response& res) {
  auto view = case_view(rt, id, false);
  if (!view.ok()) return reply_error(res, view.error());
  reply(res, status, *view);
}

// Whether this node holds the case (its create is folded in).
// Checks a draft that already names its clerk (sign_as) by the rules, signs and stores it, and
// answers with the case.
void author_signed_and_show(NodeRuntime& rt, EventDraft draft, const std::string& action,
                            httplib::Response& res) {
  if (auto e = preflight(rt, draft, "", action)) return reply_error(res, *e);
  const std::string id = draft.case_id;
  auto r = rt.core().author(std::move(draft), rt.now_ms());
  if (!r.is_ok()) return reply_error(res, r.status());
  show_case(rt, id, 201, res);
}

// Names the clerk, checks the draft by their role and the rules, signs and stores it, and
// answers with the case.
void author_and_show(NodeRuntime& rt, const Requester& who, EventDraft draft,
                     const std::string& action, httplib::Response& res) {
  if (auto e = sign_as(rt, who, draft)) return reply_error(res, *e);
  author_signed_and_show(rt, std::move(draft), action, res);
}

// ---- GET /api/cases: the worklist filters

std::string field_of(const CaseState& s, std::string_view name) {
  auto it = s.fields.find(std::string(name));
  return it == s.fields.end() ? "" : it->second;
}

struct ListFilter {
  const CaseListQuery& q;
  std::string self;
  std::uint64_t since_ms = 0;

  bool waiting_here(const CaseState& s) const {
    for (const auto& h : s.hops) {
      const bool waiting = h.stage == HopStage::kForwarded || h.stage == HopStage::kDelivered ||
                           h.stage == HopStage::kAccepted;
      if (h.to == self && !h.superseded && waiting) return true;
    }
    return false;
  }
  bool keep(const CaseState& s) const {
    const std::string status = case_status_name(s.status);
    if (!q.statuses.empty() &&
        std::find(q.statuses.begin(), q.statuses.end(), status) == q.statuses.end()) {
      return false;
    }
    if (q.open && is_terminal(s.status)) return false;
    if (!q.holder.empty() && s.holder != q.holder) return false;
    if (!q.matter.empty() && s.matter != q.matter) return false;
    if (!q.applicant.empty() && s.applicant.find(q.applicant) == std::string::npos) return false;
    if (s.received_ms < since_ms) return false;
    if (!q.external_ref.empty() && field_of(s, kinds::kExternalRef) != q.external_ref) return false;
    if (!q.source.empty() && field_of(s, kinds::kExternalSource) != q.source) return false;
    return !q.waiting_for_me || waiting_here(s);
  }
};

std::optional<ApiError> check_list_names(NodeRuntime& rt, const CaseListQuery& q) {
  if (!q.holder.empty() && !rt.core().roster().find(q.holder)) {
    return ApiError::not_found(ui_text("holder %s is not in the roster", q.holder), "holder");
  }
  if (!q.matter.empty()) return unknown_matter(rt, q.matter, "matter");
  return std::nullopt;
}

// The cases a list looks through: a department system's reference with its source names one
// case (sync/external_ref.h), found without a scan.
Result<std::vector<CaseRow>> candidate_rows(NodeRuntime& rt, const CaseListQuery& q) {
  if (q.external_ref.empty() || q.source.empty()) return rt.store().list_cases(kCaseScanMax);
  std::vector<CaseRow> out;
  if (external_ref_problem(q.external_ref)) return out;
  const std::string id = external_case_id(q.source, q.external_ref);
  ASSIGN_OR_RETURN(auto events, rt.store().case_events(id));
  if (events.empty()) return out;
  // The same row list_cases gives: first and last by clock, whatever order the store returns.
  const auto [lo, hi] = std::minmax_element(
      events.begin(), events.end(), [](const auto& a, const auto& b) { return a.hlc < b.hlc; });
  out.push_back({id, events.size(), lo->hlc, hi->hlc});
  return out;
}

void handle_list(NodeRuntime& rt, const ApiCall& call, httplib::Response& res) {
  auto q = parse_case_list(call.request);
  if (!q.ok()) return reply_error(res, q.error());
  if (auto e = check_list_names(rt, *q)) return reply_error(res, *e);
  ListFilter filter{*q, rt.config().node_id};
  if (!q->since.empty()) {
    const WorkCalendar& cal = rt.stalls().calendar();
    const int y = std::stoi(q->since.substr(0, 4));
    const auto m = static_cast<unsigned>(std::stoi(q->since.substr(5, 2)));
    const auto d = static_cast<unsigned>(std::stoi(q->since.substr(8, 2)));
    filter.since_ms = cal.day_start_utc(WorkCalendar::day_from_civil(y, m, d));
  }
  auto rows = candidate_rows(rt, *q);
  if (!rows.is_ok()) return reply_error(res, rows.status());
  const DeadlineInputs deadlines = rt.stalls().deadline_inputs();
  json out = json::array();
  for (const auto& row : *rows) {
    if (out.size() >= q->limit) break;
    auto s = rt.core().case_state(row.case_id);
    if (!s.is_ok() || !s->exists || !filter.keep(*s)) continue;
    CaseState st = *s;
    st.state_hash = case_state_hash(st);
    json j = case_summary_json(st, &rt.matters(), &deadlines);
    j["event_count"] = row.event_count;
    out.push_back(std::move(j));
  }
  reply(res, 200, out);
}

void route_reads(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/matters", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    if (auto q = parse_no_input(call.request); !q.ok()) return reply_error(res, q.error());
    json out = json::array();
    for (const auto& [code, m] : rt.matters().all()) {
      if (m.retired) continue;  // kept only for the open cases of it
      out.push_back({{"code", m.code}, {"name", m.name},
                     {"limit_working_days", m.limit_working_days}, {"materials", m.materials}});
    }
    reply(res, 200, out);
  }));
  server.Get("/api/cases", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    handle_list(rt, call, res);
  }));
  server.Get(R"(/api/cases/([^/]+))", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto q = parse_case_get(call.request);
    if (!q.ok()) return reply_error(res, q.error());
    if (q->full) {
      if (auto e = record_full_view(rt, call.who, q->case_id)) return reply_error(res, *e);
    }
    auto v = case_view(rt, q->case_id, q->full);
    if (!v.ok()) return reply_error(res, v.error());
    reply(res, 200, *v);
  }));
  server.Get(R"(/api/cases/([^/]+)/trace)",
             on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
               auto q = parse_case_trace(call.request);
               if (!q.ok()) return reply_error(res, q.error());
               auto ordered = ordered_events(rt, q->case_id);
               if (!ordered.ok()) return reply_error(res, ordered.error());
               const DeadlineInputs deadlines = rt.stalls().deadline_inputs();
               const CaseState state = fold_case(*ordered, rt.core().roster());
               json t = case_trace_json(state, &deadlines, &rt.config().privacy.sensitive_fields);
               add_receipt_checks(t, *ordered, rt.core().roster());
               // Folded from the case's events (sync/stall_fold.h): the same at every node.
               json stalls = json::array();
               for (const auto& st : fold_stalls(state, rt.core().roster())) {
                 stalls.push_back(stall_json(st));
               }
               t["stalls"] = stalls;
               reply(res, 200, t);
             }));
  server.Get("/api/conflicts", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto limit = parse_conflicts(call.request);
    if (!limit.ok()) return reply_error(res, limit.error());
    auto rows = rt.store().list_cases(*limit);
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

void handle_action(NodeRuntime& rt, const ApiCall& call, httplib::Response& res) {
  auto a = parse_case_action(call.request);
  if (!a.ok()) return reply_error(res, a.error());
  auto s = rt.core().case_state(a->case_id);
  if (!s.is_ok()) return reply_error(res, s.status());
  if (!s->exists) return reply_error(res, case_not_held(rt, a->case_id));
  EventDraft d{a->case_id, a->kind, std::move(a->body)};
  if (auto e = check_supplied_materials(rt, s->matter, d, "materials")) return reply_error(res, *e);
  if ((a->needs_hop || a->wants_hop) && !d.body.count(key(kinds::kHop))) {
    const std::string hop = open_hop_for_me(rt, *s);
    if (!hop.empty()) d.body[key(kinds::kHop)] = hop;
    if (hop.empty() && a->needs_hop) {
      return reply_error(res, ApiError{409, "conflict",
                                       ui_text("case %s has no open hop addressed to %s; give "
                                               "\"hop\" explicitly",
                                               a->case_id, rt.config().node_id),
                                       "hop"});
    }
  }
  author_and_show(rt, call.who, std::move(d), a->action, res);
}

void route_writes(httplib::Server& server, NodeRuntime& rt) {
  server.Post("/api/cases", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto c = parse_new_case(call.request);
    if (!c.ok()) return reply_error(res, c.error());
    if (auto e = unknown_matter(rt, c->matter, "matter")) return reply_error(res, *e);
    const std::string external = new_case_external_id(*c);
    EventDraft d{external.empty() ? rt.next_case_id() : external, key(kinds::kCreated),
                 new_case_body(*c)};
    // The role first: a clerk who may not create learns nothing of a held case either.
    if (auto e = sign_as(rt, call.who, d)) return reply_error(res, *e);
    if (!external.empty()) {
      // Creating a department system's case again (a retry after a timeout, a second clerk)
      // finds the one this node holds: 200 with it as it stands, nothing signed.
      auto held = held_case(rt, external);
      if (!held.is_ok()) return reply_error(res, held.status());
      if (*held) return show_case(rt, external, 200, res);
    }
    author_signed_and_show(rt, std::move(d), "", res);
  }));
  server.Post(R"(/api/cases/([^/]+)/events)",
              on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
                auto e = parse_case_event(call.request);
                if (!e.ok()) return reply_error(res, e.error());
                auto s = rt.core().case_state(e->case_id);
                if (!s.is_ok()) return reply_error(res, s.status());
                EventDraft d{e->case_id, e->kind, std::move(e->body)};
                if (s->exists) {
                  if (auto err = check_supplied_materials(rt, s->matter, d, "body.materials")) {
                    return reply_error(res, *err);
                  }
                }
                author_and_show(rt, call.who, std::move(d), "", res);
              }));
  server.Post(R"(/api/cases/([^/]+)/([^/]+))",
              on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
                handle_action(rt, call, res);
              }));
}

void route_import(httplib::Server& server, NodeRuntime& rt) {
  server.Post("/api/import", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto cases = parse_import(call.request);
    if (!cases.ok()) return reply_error(res, cases.error());
    std::vector<EventDraft> drafts;
    json ids = json::array(), existing = json::array();
    std::set<std::string> in_batch;
    std::uint64_t next_seq = rt.core().last_seq() + 1;
    for (const NewCase& c : *cases) {
      const std::string line = "line " + std::to_string(c.line);
      if (auto e = unknown_matter(rt, c.matter, line + ".matter")) {
        e->message = Text::layout("%s: %s", {Text(line), e->message});
        return reply_error(res, *e);
      }
      std::string id = new_case_external_id(c);
      const bool external = !id.empty();
      if (!external) id = rt.case_id_for_seq(next_seq);
      EventDraft d{id, key(kinds::kCreated), new_case_body(c)};
      if (auto e = sign_as(rt, call.who, d, line + ".")) return reply_error(res, *e);
      if (external) {
        // A department system's case held here, or earlier in this import, is not made twice.
        auto held = held_case(rt, id);
        if (!held.is_ok()) return reply_error(res, held.status());
        if (*held || !in_batch.insert(id).second) {
          existing.push_back(id);
          ids.push_back(id);
          continue;
        }
      }
      next_seq++;
      drafts.push_back(std::move(d));
      ids.push_back(id);
    }
    const std::size_t imported = drafts.size();
    if (!drafts.empty()) {
      auto r = rt.core().author_batch(std::move(drafts), rt.now_ms());
      if (!r.is_ok()) return reply_error(res, r.status());
    }
    reply(res, imported ? 201 : 200, {{"imported", imported}, {"ids", ids}, {"existing", existing}});
  }));
}

}  // namespace

void register_case_routes(httplib::Server& server, NodeRuntime& rt) {
  route_reads(server, rt);
  route_writes(server, rt);
  route_import(server, rt);
}

}  // namespace casesync
