#include "daemon/stall_api.h"

#include <algorithm>

#include "common/duration.h"
#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_util.h"
#include "daemon/node_runtime.h"
#include "sync/case_fold.h"
#include "sync/case_kinds.h"
#include "sync/hlc.h"

namespace casesync {

using nlohmann::json;

namespace {

constexpr std::size_t kStatsCasesMax = 200000;

struct Period {
  std::uint64_t from_ms = 0;
  std::uint64_t to_ms = UINT64_MAX;
  bool contains(std::uint64_t ms) const { return ms >= from_ms && ms < to_ms; }
};

// Local midnight of `d`: the calendar's zone decides what "a day" is; `to` includes its day.
std::uint64_t date_ms(const Date& d, const WorkCalendar& cal, bool end) {
  const std::int64_t day = WorkCalendar::day_from_civil(d.year, d.month, d.day);
  return cal.day_start_utc(day + (end ? 1 : 0));
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct NodeFigures {
  std::uint64_t received = 0, prereviewed = 0, forwarded = 0, delivered = 0, accepted = 0,
                answered = 0, completed = 0, completed_on_time = 0, bounces = 0,
                repeated_supplements = 0;
  std::vector<double> delivery_h, accept_h, answer_h;
  std::map<std::string, std::uint64_t> stalls;
};

// A row of the figures: a node, or with `by=clerk` a clerk at a node ("" : what no clerk signed —
// the daemon's own receipts, events from before clerks existed, stalls).
using RowKey = std::pair<std::string, std::string>;

// With `by=matter` a row is a matter (the case being counted's), whichever node did the work.
struct Figures {
  bool by_clerk = false;
  bool by_matter = false;
  std::string matter;  // by_matter: the matter of the case being counted
  std::map<RowKey, NodeFigures> rows;
  std::map<RowKey, Actor> actors;

  NodeFigures& at(const std::string& node, const Actor& actor = {}) {
    if (by_matter) return rows[{matter, ""}];
    if (!by_clerk || actor.empty()) return rows[{node, ""}];
    actors[{node, actor.id}] = actor;
    return rows[{node, actor.id}];
  }
};

const Actor& creator(const CaseState& s) {
  static const Actor kNone;
  return s.timeline.empty() ? kNone : s.timeline.front().actor;
}

void count_case(const CaseState& s, const Period& p, const WorkCalendar& cal,
                std::uint32_t limit_days, Figures& out) {
  constexpr double kHourMs = 3600.0 * 1000.0;
  if (p.contains(s.received_ms)) out.at(s.receiving_node, creator(s)).received++;
  std::map<std::string, int> supplement_requests_by;
  for (const auto& t : s.timeline) {
    if (!t.applied || !p.contains(t.ms)) continue;
    NodeFigures& f = out.at(t.origin, t.actor);
    if (t.kind == kinds::kPrereviewed) f.prereviewed++;
    if (t.kind == kinds::kForwarded) f.forwarded++;
    if (t.kind == kinds::kDelivered) f.delivered++;
    if (t.kind == kinds::kAccepted) f.accepted++;
    if (t.kind == kinds::kReplied || t.kind == kinds::kReturned) f.answered++;
    if (t.kind == kinds::kSupplementRequested && ++supplement_requests_by[t.origin] == 2) {
      f.repeated_supplements++;
    }
    if (t.kind == kinds::kCompleted) {
      f.completed++;
      const std::uint64_t paused = total_paused_ms(s);
      if (limit_days && t.ms <= cal.add_working_days(s.received_ms, limit_days) + paused) {
        f.completed_on_time++;
      }
    }
  }
  for (const auto& h : s.hops) {
    if (h.superseded || !p.contains(h.forwarded_ms)) continue;
    // A bounce is counted at the node (and clerk) that sent the case back: the one that
    // forwarded it back, or the receiver that returned it (退回).
    if (h.bounce) out.at(h.from, h.forwarded_by).bounces++;
    if (h.stage == HopStage::kReturned) out.at(h.to, h.answered_by).bounces++;
    if (h.delivered_ms) out.at(h.to).delivery_h.push_back(static_cast<double>(cal.working_ms_between(h.forwarded_ms, h.delivered_ms)) / kHourMs);
    if (h.accepted_ms) out.at(h.to, h.accepted_by).accept_h.push_back(static_cast<double>(cal.working_ms_between(h.delivered_ms, h.accepted_ms)) / kHourMs);
    if (h.answered_ms && h.accepted_ms) {
      double worked = static_cast<double>(cal.working_ms_between(h.accepted_ms, h.answered_ms)) -
                      static_cast<double>(h.paused_ms);
      out.at(h.to, h.answered_by).answer_h.push_back(std::max(0.0, worked) / kHourMs);
    }
  }
}

json figures_json(const std::string& node, const NodeFigures& f) {
  auto stage = [](const std::vector<double>& v) {
    return json{{"count", v.size()}, {"median_working_hours", quantile(v, 0.5)},
                {"p95_working_hours", quantile(v, 0.95)}};
  };
  return {{"node", node}, {"received", f.received}, {"prereviewed", f.prereviewed},
          {"forwarded", f.forwarded}, {"delivered", f.delivered}, {"accepted", f.accepted},
          {"answered", f.answered}, {"completed", f.completed},
          {"completed_on_time", f.completed_on_time},
          {"on_time_rate", f.completed ? json(static_cast<double>(f.completed_on_time) / static_cast<double>(f.completed)) : json(nullptr)},
          {"delivery", stage(f.delivery_h)}, {"accept", stage(f.accept_h)},
          {"answer", stage(f.answer_h)}, {"bounces", f.bounces},
          {"repeated_supplement_requests", f.repeated_supplements},
          {"stalls_by_attribution", f.stalls}};
}

void handle_stats(NodeRuntime& rt, const ApiCall& call, httplib::Response& res) {
  auto q = parse_stats(call.request);
  if (!q.ok()) return reply_error(res, q.error());
  if (!q->node.empty() && !rt.core().roster().find(q->node)) {
    return reply_error(res, ApiError::not_found(ui_text("node %s is not in the roster", q->node), "node"));
  }
  const WorkCalendar& cal = rt.stalls().calendar();
  Period p;
  if (q->from) p.from_ms = date_ms(*q->from, cal, false);
  if (q->to) p.to_ms = date_ms(*q->to, cal, true);
  auto rows = rt.store().list_cases(kStatsCasesMax);
  if (!rows.is_ok()) return reply_error(res, rows.status());
  Figures figures{.by_clerk = q->by_clerk, .by_matter = q->by_matter};
  for (const auto& row : *rows) {
    auto s = rt.core().case_state(row.case_id);
    if (!s.is_ok() || !s->exists) continue;
    const Matter* m = rt.matters().find(s->matter);
    figures.matter = s->matter;
    count_case(*s, p, cal, m ? m->limit_working_days : 0, figures);
  }
  for (const auto& st : rt.stalls().stalls()) {
    if (st.level != "overdue") continue;
    if (q->by_matter) {
      auto s = rt.core().case_state(st.case_id);
      figures.matter = s.is_ok() ? s->matter : "";
    }
    figures.at(st.receiver).stalls[st.attribution]++;
  }
  json out = json::array();
  for (const auto& [key, f] : figures.rows) {
    if (!q->node.empty() && key.first != q->node) continue;
    json row = figures_json(key.first, f);
    if (q->by_matter) {
      const Matter* m = rt.matters().find(key.first);
      row.erase("node");
      row["matter"] = key.first;
      row["matter_name"] = m ? m->name : "";
    }
    if (q->by_clerk) {
      auto a = figures.actors.find(key);
      row["clerk"] = actor_json(a == figures.actors.end() ? Actor{} : a->second);
    }
    out.push_back(std::move(row));
  }
  reply(res, 200, {{"from", q->from_text}, {"to", q->to_text},
                   {"by", q->by_clerk ? "clerk" : q->by_matter ? "matter" : "node"},
                   {"nodes", out}});
}

}  // namespace

json stall_json(const Stall& s) {
  return {{"alert_id", s.alert_id}, {"case", s.case_id}, {"hop", s.hop}, {"stage", s.stage},
          {"sender", s.sender}, {"receiver", s.receiver}, {"level", s.level},
          {"due", format_time_ms(s.due_ms)}, {"overdue_by", s.overdue_by_ms / 1000},
          {"overdue_by_text", s.overdue_by_ms >= 0
                                  ? format_duration_ms(static_cast<std::uint64_t>(s.overdue_by_ms))
                                  : "due in " + format_duration_ms(static_cast<std::uint64_t>(-s.overdue_by_ms))},
          {"attribution", s.attribution}, {"escalated_to", s.escalated_to},
          {"seen_by", s.seen_by}, {"seen_at", format_time_ms(s.seen_ms)}};
}

void register_stall_routes(httplib::Server& server, NodeRuntime& rt) {
  server.Get("/api/stalled", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    auto q = parse_stalled(call.request);
    if (!q.ok()) return reply_error(res, q.error());
    if (!q->node.empty() && !rt.core().roster().find(q->node)) {
      return reply_error(res, ApiError::not_found(ui_text("node %s is not in the roster", q->node), "node"));
    }
    rt.stalls().tick(rt.now_ms(), /*force=*/q->fresh);
    json out = json::array();
    for (const auto& s : rt.stalls().stalls()) {
      if (!q->node.empty() && s.receiver != q->node && s.sender != q->node) continue;
      if (q->overdue && s.level != "overdue") continue;
      out.push_back(stall_json(s));
    }
    reply(res, 200, out);
  }));
  server.Get("/api/stats", on_loop(rt, [&rt](const ApiCall& call, httplib::Response& res) {
    handle_stats(rt, call, res);
  }));
}

}  // namespace casesync
