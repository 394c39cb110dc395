#include "daemon/health_api.h"

#include <httplib.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/answer_language.h"
#include "daemon/api_commands.h"
#include "daemon/api_json.h"
#include "daemon/api_request.h"
#include "daemon/api_util.h"
#include "daemon/case_json.h"
#include "daemon/webhook_api.h"
#include "daemon/webhooks.h"
#include "daemon/health_state.h"
#include "daemon/log.h"
#include "daemon/node_runtime.h"
#include "daemon/security_clears.h"
#include "daemon/stall_api.h"
#include "sync/hlc.h"


namespace casesync {

using nlohmann::json;

namespace {

constexpr std::size_t kConflictsMax = 50;             // recent conflicts on the page
constexpr std::size_t kRecentCasesMax = 500;          // most recently changed cases searched
constexpr std::uint64_t kConflictsRefreshMs = 10000;  // folds cases: not on every page refresh
constexpr std::size_t kFeedPageEvents = 5000;         // changes feed read per store query
constexpr std::size_t kFeedPagesPerRefresh = 20;      // so one refresh holds the loop briefly
constexpr std::uint64_t kFeedTailEvents = 50000;      // where a fresh daemon starts reading
static_assert(kRecentCasesMax <= kFeedTailEvents, "the tail must be able to fill the set");
constexpr std::size_t kStallsMax = 200;  // stalled hops listed, most overdue first
constexpr int kTreeDepthMax = 16;        // the roster is 3 levels; a guard, not a limit
// Attributions always exported, so an alert on one of them sees 0 rather than no series.
constexpr const char* kAttributions[] = {"silent", "not_accepted", "unreachable"};

// The cases most recently changed here, read incrementally from the local changes feed, so that
// finding recent conflicts never scans the whole store on the loop thread.
class RecentCases {
 public:
  void catch_up(Store& store) {
    if (!started_) {
      started_ = true;
      // local_seq grows by one per stored event, so the count is close to the feed's end.
      if (auto st = store.stats(); st.is_ok() && st->event_count > kFeedTailEvents) {
        feed_pos_ = st->event_count - kFeedTailEvents;
      }
    }
    for (std::size_t page = 0; page < kFeedPagesPerRefresh; ++page) {
      auto recs = store.events_after(feed_pos_, kFeedPageEvents);
      if (!recs.is_ok() || recs->empty()) return;
      for (const auto& r : *recs) touch(r.case_id, r.local_seq);
      feed_pos_ = recs->back().local_seq;
      if (recs->size() < kFeedPageEvents) return;
    }
  }
  std::vector<std::string> newest_first() const {
    std::vector<std::string> out;
    for (auto it = by_seq_.rbegin(); it != by_seq_.rend(); ++it) out.push_back(it->second);
    return out;
  }

 private:
  void touch(const std::string& case_id, std::uint64_t local_seq) {
    auto it = seq_of_.find(case_id);
    if (it != seq_of_.end()) by_seq_.erase(it->second);
    seq_of_[case_id] = local_seq;
    by_seq_[local_seq] = case_id;
    while (by_seq_.size() > kRecentCasesMax) {
      seq_of_.erase(by_seq_.begin()->second);
      by_seq_.erase(by_seq_.begin());
    }
  }
  bool started_ = false;
  std::uint64_t feed_pos_ = 0;
  std::map<std::string, std::uint64_t> seq_of_;
  std::map<std::uint64_t, std::string> by_seq_;
};

// One node of the subtree as seen from here, in tree order.
struct NodeRow {
  const RosterNode* node = nullptr;
  int depth = 0;
  std::optional<HealthReport> report;  // latest; none: never reported
  std::uint64_t received_ms = 0;
  NodeHealth health;
  std::uint64_t since_ms = 0;
  std::size_t stalled_hops = 0;  // overdue hops waiting at this node, as this node sees them
};

void walk(const Roster& roster, const std::string& id, int depth,
          std::vector<std::pair<const RosterNode*, int>>* out) {
  const RosterNode* n = roster.find(id);
  if (!n || depth > kTreeDepthMax || (n->revoked && depth > 0)) return;
  out->push_back({n, depth});
  for (const auto& c : roster.children_of(id)) walk(roster, c, depth + 1, out);
}

double seconds(std::uint64_t ms) { return static_cast<double>(ms) / 1000.0; }

json or_null(bool known, json value) { return known ? std::move(value) : json(nullptr); }

// The health view of one node: the rows of its subtree, and when each entered its state. Lives
// as long as the API server; used on the loop thread only (every handler goes through on_loop).
class HealthView {
 public:
  explicit HealthView(NodeRuntime* rt)
      : rt_(rt),
        clears_((std::filesystem::path(rt->config().data_dir) / "security_clears.jsonl").string()) {}

  std::vector<NodeRow> rows(std::uint64_t now_ms);
  json health_json(std::uint64_t now_ms);
  std::string metrics_text(std::uint64_t now_ms);
  // POST /api/health/clear: clears `node`'s current security_alert (its findings now).
  void clear(const ApiCall& call, httplib::Response& res);

 private:
  // What every row needs from this node, read once per request.
  struct Local {
    std::vector<LinkStatus> links;
    std::map<std::string, std::size_t> overdue_by_receiver;
  };
  NodeRow observe(const RosterNode* node, int depth, std::uint64_t now_ms, const Local& local);
  const json& recent_conflicts(std::uint64_t now_ms);

  NodeRuntime* rt_;
  SecurityClears clears_;
  StateHistory history_;
  RecentCases recent_;
  json conflicts_ = json::array();
  std::uint64_t conflicts_at_ms_ = 0;
};

NodeRow HealthView::observe(const RosterNode* node, int depth, std::uint64_t now_ms,
                            const Local& local) {
  SyncNode& core = rt_->core();
  NodeRow row;
  row.node = node;
  row.depth = depth;
  NodeObservation o;
  o.node = node->id;
  if (node->id == core.self()) {
    row.report = core.own_health(now_ms);  // fresher than the one in the book
    row.received_ms = now_ms;
    o.is_self = true;
  } else if (const HealthEntry* e = core.health_book().find(node->id)) {
    row.report = e->report;
    row.received_ms = e->received_ms;
  }
  o.report = row.report ? &*row.report : nullptr;
  o.received_ms = row.received_ms;
  if (node->parent == core.self()) {
    for (const auto& l : local.links) {
      // Our link records the child's clock minus ours: exactly the child's offset to its parent.
      if (l.peer == node->id && l.last_heard_ms != 0) o.measured_offset_ms = l.clock_offset_ms;
    }
    auto pc = core.counters().peers.find(node->id);
    if (pc != core.counters().peers.end()) o.rejects_here = &pc->second.rejects;
  }
  o.cleared = clears_.cleared(node->id);
  // Behind since a newer policy than the node reports was first known here — installed, or only
  // heard of in a peer's Hello or gossip (so a node that cannot fetch it lags too), a time kept
  // across restarts: a node computing other deadlines is lagging after policy.lag_alert.
  const PolicyHeard& heard = rt_->policy().heard();
  o.district_policy_version = std::max(rt_->policy().version(), heard.newest());
  if (row.report && row.report->policy_version < o.district_policy_version) {
    const std::uint64_t since = heard.newer_known_since_ms(row.report->policy_version);
    o.policy_behind_ms = since == 0 ? 0 : now_ms - std::min(now_ms, since);
  }
  row.health = derive_health(o, rt_->config().health, now_ms);
  const std::uint64_t hint =
      row.health.conditions.empty() ? 0 : row.health.conditions.front().since_hint_ms;
  row.since_ms = history_.note(node->id, row.health.state, hint, now_ms);
  auto overdue = local.overdue_by_receiver.find(node->id);
  if (overdue != local.overdue_by_receiver.end()) row.stalled_hops = overdue->second;
  return row;
}

std::vector<NodeRow> HealthView::rows(std::uint64_t now_ms) {
  SyncNode& core = rt_->core();
  std::vector<std::pair<const RosterNode*, int>> tree;
  walk(core.roster(), core.self(), 0, &tree);
  Local local{core.links(), {}};
  for (const auto& s : rt_->stalls().stalls()) {
    if (s.level == "overdue") local.overdue_by_receiver[s.receiver]++;
  }
  std::vector<NodeRow> out;
  std::set<std::string> ids;
  for (const auto& [node, depth] : tree) {
    out.push_back(observe(node, depth, now_ms, local));
    ids.insert(node->id);
  }
  history_.retain(ids);
  return out;
}

void HealthView::clear(const ApiCall& call, httplib::Response& res) {
  auto body = post_body(call.request);
  if (!body.ok()) return reply_error(res, body.error());
  JsonObjectReader in(*body, "");
  auto node = in.text("node", 64, Need::kRequired);
  auto reason = in.text("reason", 4000, Need::kRequired);
  if (auto e = in.finish()) return reply_error(res, *e);
  const std::uint64_t now = rt_->now_ms();
  auto find_row = [&]() -> std::optional<NodeRow> {
    for (auto& r : rows(now)) {
      if (r.node->id == *node) return r;
    }
    return std::nullopt;
  };
  std::optional<NodeRow> row = find_row();
  if (!row) {
    return reply_error(res, {404, "not_found", "node " + *node + " is not in this node's part of "
                                                   "the roster (see casesyncctl health)", "node"});
  }
  if (row->health.security.empty()) {
    return reply_error(res, {409, "conflict", "node " + *node + " has no security_alert to clear",
                             "node"});
  }
  // The new baseline is the raw counts now, read with the earlier clear set aside.
  std::vector<SecurityFinding> before = clears_.take(*node);
  std::optional<NodeRow> raw = find_row();
  SecurityClear c{*node, *reason, call.who.actor().id, now, raw->health.security};
  if (Status st = clears_.clear(c); !st.is_ok()) {
    clears_.put(*node, std::move(before));
    return reply_error(res, api_error_from_status(st, ""));
  }
  std::string counts;
  json cleared = json::array();
  for (const auto& f : row->health.security) {
    counts += (counts.empty() ? "" : ", ") + f.reject_reason + " (" + std::to_string(f.count) + ")";
    cleared.push_back({{"reject_reason", f.reject_reason}, {"count", f.count}, {"here", f.counted_here}});
  }
  log_warning("alert=security_alert_cleared peer=" + *node + " by " + c.by + ": " + counts +
              "; reason: " + *reason);
  reply(res, 200, {{"node", *node}, {"by", c.by}, {"reason", *reason}, {"time", format_time_ms(now)},
                   {"cleared", cleared}});
}

const json& HealthView::recent_conflicts(std::uint64_t now_ms) {
  if (conflicts_at_ms_ != 0 && now_ms - conflicts_at_ms_ < kConflictsRefreshMs) return conflicts_;
  conflicts_at_ms_ = now_ms;
  recent_.catch_up(rt_->store());
  json out = json::array();
  for (const auto& id : recent_.newest_first()) {
    auto s = rt_->core().case_state(id);
    if (!s.is_ok()) continue;
    for (auto& j : conflicts_json(*s)) {
      if (out.size() >= kConflictsMax) break;
      out.push_back(std::move(j));
    }
  }
  conflicts_ = std::move(out);
  return conflicts_;
}

json node_json(const NodeRow& r) {
  const HealthReport* rep = r.report ? &*r.report : nullptr;
  const NodeHealth& h = r.health;
  json warnings = json::array();
  if (rep) {
    // A missing calendar year is the district's to fix: one warning on the page
    // (calendar_warnings in health_json), not one on every row.
    for (const auto& w : rep->warnings) {
      if (w.rfind(kCalendarWarningPrefix, 0) != 0) warnings.push_back(w);
    }
  }
  // Reasons in the language of the request (daemon/answer_language.h); states stay codes.
  const UiLanguage language = answer_language();
  for (std::size_t i = 1; i < h.conditions.size(); ++i) {
    warnings.push_back(ui_text("also %s: %s", node_state_name(h.conditions[i].state),
                               h.conditions[i].reason)
                           .render(language));
  }
  return {
      {"id", r.node->id},
      {"name", r.node->name},
      {"role", role_name(r.node->role)},
      {"parent", r.node->parent.empty() ? json(nullptr) : json(r.node->parent)},
      {"depth", r.depth},
      {"state", node_state_name(h.state)},
      {"reason", h.reason.render(language)},
      {"since", format_time_ms(r.since_ms)},
      {"last_seen", or_null(rep != nullptr, format_time_ms(r.received_ms))},
      {"last_seen_ago_s",
       or_null(h.last_seen_ago_ms.has_value(), seconds(h.last_seen_ago_ms.value_or(0)))},
      {"backlog", or_null(rep != nullptr, h.backlog_events)},
      {"backlog_oldest_age_s", or_null(rep != nullptr, seconds(h.backlog_oldest_age_ms))},
      {"clock_offset_ms", or_null(h.clock_offset_ms.has_value(), h.clock_offset_ms.value_or(0))},
      {"version", or_null(rep != nullptr, rep ? rep->software_version : "")},
      {"uptime_s", or_null(rep != nullptr, rep ? rep->uptime_s : 0)},
      {"db_bytes", or_null(rep != nullptr, rep ? rep->db_bytes : 0)},
      {"wal_bytes", or_null(rep != nullptr, rep ? rep->wal_bytes : 0)},
      {"events", or_null(rep != nullptr, rep ? rep->events : 0)},
      {"stalled_hops", r.stalled_hops},
      {"policy_version", or_null(rep != nullptr, rep ? rep->policy_version : 0)},
      {"warnings", warnings}};
}

json stalls_json(const std::vector<Stall>& stalls) {
  std::vector<const Stall*> order;
  for (const auto& s : stalls) order.push_back(&s);
  // Overdue before warnings, the most overdue first.
  std::stable_sort(order.begin(), order.end(), [](const Stall* a, const Stall* b) {
    if ((a->level == "overdue") != (b->level == "overdue")) return a->level == "overdue";
    return a->overdue_by_ms > b->overdue_by_ms;
  });
  json out = json::array();
  for (const Stall* s : order) {
    if (out.size() >= kStallsMax) break;
    out.push_back(stall_json(*s));
  }
  return out;
}

json security_json(const std::vector<NodeRow>& rows, const std::string& self) {
  json out = json::array();
  for (const auto& r : rows) {
    for (const auto& f : r.health.security) {
      out.push_back({{"node", r.node->id},
                     {"reject_reason", f.reject_reason},
                     {"count", f.count},
                     {"counted_by", f.counted_here ? self : r.node->id},
                     {"since", format_time_ms(r.since_ms)}});
    }
  }
  return out;
}

json HealthView::health_json(std::uint64_t now_ms) {
  const std::vector<NodeRow> rs = rows(now_ms);
  json nodes = json::array();
  json counts = json::object();
  for (NodeState s : kNodeStates) counts[node_state_name(s)] = 0;
  for (const auto& r : rs) {
    nodes.push_back(node_json(r));
    counts[node_state_name(r.health.state)] =
        counts[node_state_name(r.health.state)].get<int>() + 1;
  }
  const HealthConfig& t = rt_->config().health;
  return {{"node", rt_->core().self()},
          {"role", role_name(rt_->config().role)},
          {"generated", format_time_ms(now_ms)},
          {"thresholds",
           {{"interval_ms", t.interval_ms},
            {"offline_after_ms", t.offline_after_ms},
            {"lag_events", t.lag_events},
            {"lag_age_ms", t.lag_age_ms},
            {"clock_skew_ms", t.clock_skew_ms}}},
          {"counts", counts},
          {"policy_version", rt_->policy().version()},
          {"calendar_warnings", rt_->stalls().calendar_warnings(now_ms)},
          {"nodes", nodes},
          {"stalls", stalls_json(rt_->stalls().stalls())},
          {"conflicts", recent_conflicts(now_ms)},
          {"security_alerts", security_json(rs, rt_->core().self())},
          {"webhooks", webhooks_json(*rt_)},
          {"api_refused", rt_->api_counters().refusals()}};
}

// ---------------------------------------------------------------- Prometheus text format

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

// Writes families one at a time: HELP and TYPE once, then the family's samples.
class MetricsText {
 public:
  void family(std::string name, const char* type, const char* help) {
    [[maybe_unused]] const bool fresh = families_.insert(name).second;
    assert(fresh && "a metric family is written once: promtool refuses duplicates");
    name_ = std::move(name);
    out_ += "# HELP " + name_ + " " + help + "\n# TYPE " + name_ + " " + type + "\n";
  }
  void add(const Labels& labels, std::uint64_t v) { line(labels, std::to_string(v)); }
  void add(const Labels& labels, std::int64_t v) { line(labels, std::to_string(v)); }
  void add(const Labels& labels, bool v) { line(labels, v ? "1" : "0"); }
  void add(const Labels& labels, double v) {
    if (std::isinf(v)) return line(labels, v > 0 ? "+Inf" : "-Inf");
    char buf[64];
    // Whole numbers (sizes, counts) print as such; seconds keep millisecond precision.
    const bool whole = v == std::floor(v) && std::fabs(v) < 1e15;
    std::snprintf(buf, sizeof(buf), whole ? "%.0f" : "%.3f", v);
    line(labels, buf);
  }
  std::string take() { return std::move(out_); }

 private:
  void line(const Labels& labels, const std::string& value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += "{";
      for (std::size_t i = 0; i < labels.size(); ++i) {
        out_ += (i ? "," : "") + labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
      }
      out_ += "}";
    }
    out_ += " " + value + "\n";
  }
  std::set<std::string> families_;
  std::string name_;
  std::string out_;
};

void node_metrics(const std::vector<NodeRow>& rs, MetricsText& m) {
  m.family("casesync_node_info", "gauge",
           "Nodes of this subtree (1 per node) with role, parent and software version.");
  for (const auto& r : rs) {
    m.add({{"node", r.node->id},
           {"role", role_name(r.node->role)},
           {"parent", r.node->parent},
           {"version", r.report ? r.report->software_version : ""}},
          std::uint64_t{1});
  }
  m.family("casesync_node_state", "gauge",
           "1 for the derived health state each node is in, 0 for the others.");
  for (const auto& r : rs) {
    for (NodeState s : kNodeStates) {
      m.add({{"node", r.node->id}, {"state", node_state_name(s)}}, r.health.state == s);
    }
  }
  m.family("casesync_node_state_since_timestamp_seconds", "gauge",
           "Unix time at which each node entered its current state (as first observed here).");
  for (const auto& r : rs) m.add({{"node", r.node->id}}, seconds(r.since_ms));
  m.family("casesync_node_last_seen_seconds", "gauge",
           "Seconds since each node's latest health report arrived here (+Inf: never).");
  for (const auto& r : rs) {
    const auto& ago = r.health.last_seen_ago_ms;
    m.add({{"node", r.node->id}}, ago ? seconds(*ago) : INFINITY);
  }
  m.family("casesync_node_stalled_hops", "gauge",
           "Overdue hops waiting at each node, as this node sees them.");
  for (const auto& r : rs) {
    m.add({{"node", r.node->id}}, static_cast<std::uint64_t>(r.stalled_hops));
  }
  m.family("casesync_node_clock_offset_seconds", "gauge",
           "Each node's wall clock minus its parent's.");
  for (const auto& r : rs) {
    if (r.health.clock_offset_ms) {
      m.add({{"node", r.node->id}}, static_cast<double>(*r.health.clock_offset_ms) / 1000.0);
    }
  }
  struct Field {
    const char* name;
    const char* help;
    double (*get)(const NodeRow&);
  };
  static constexpr Field kReported[] = {
      {"casesync_node_backlog_events",
       "Events each node holds that its parent has not acknowledged (latest report).",
       [](const NodeRow& r) { return static_cast<double>(r.health.backlog_events); }},
      {"casesync_node_backlog_oldest_age_seconds",
       "Age of the oldest event each node's parent has not acknowledged.",
       [](const NodeRow& r) { return seconds(r.health.backlog_oldest_age_ms); }},
      {"casesync_node_db_bytes", "Size of each node's SQLite database file (latest report).",
       [](const NodeRow& r) { return static_cast<double>(r.report->db_bytes); }},
      {"casesync_node_wal_bytes", "Size of each node's SQLite write-ahead log (latest report).",
       [](const NodeRow& r) { return static_cast<double>(r.report->wal_bytes); }},
      {"casesync_node_events", "Events each node stores (latest report).",
       [](const NodeRow& r) { return static_cast<double>(r.report->events); }},
      {"casesync_node_uptime_seconds", "Each node's daemon uptime (latest report).",
       [](const NodeRow& r) { return static_cast<double>(r.report->uptime_s); }},
  };
  for (const auto& f : kReported) {
    m.family(f.name, "gauge", f.help);
    for (const auto& r : rs) {
      if (r.report) m.add({{"node", r.node->id}}, f.get(r));
    }
  }
  m.family("casesync_nodes", "gauge", "Nodes of this subtree in each derived health state.");
  for (NodeState s : kNodeStates) {
    std::uint64_t n = 0;
    for (const auto& r : rs) n += r.health.state == s;
    m.add({{"state", node_state_name(s)}}, n);
  }
}

void counter_metrics(const NodeCounters& c, MetricsText& m) {
  const std::pair<const char*, std::uint64_t> totals[] = {
      {"casesync_events_authored_total", c.events_authored},
      {"casesync_events_applied_total", c.events_applied},
      {"casesync_events_duplicate_total", c.events_duplicate},
      {"casesync_equivocations_total", c.equivocations},
      {"casesync_commit_failures_total", c.commit_failures}};
  const char* helps[] = {"Events written at this node.", "New events from peers stored here.",
                         "Events from peers that were already held.",
                         "Two different events signed by one origin under one seq, seen here.",
                         "Transactions that failed to commit (disk full, I/O error)."};
  for (std::size_t i = 0; i < std::size(totals); ++i) {
    m.family(totals[i].first, "counter", helps[i]);
    m.add({}, totals[i].second);
  }
  m.family("casesync_rejects_total", "counter", "Inputs from peers refused here, by reason.");
  for (const auto& [reason, n] : c.rejects) m.add({{"reason", reason}}, n);
  m.family("casesync_peer_rejects_total", "counter",
           "Inputs refused here, by the peer they came from and reason.");
  for (const auto& [peer, pc] : c.peers) {
    for (const auto& [reason, n] : pc.rejects) m.add({{"peer", peer}, {"reason", reason}}, n);
  }
  struct PeerField {
    const char* name;
    const char* help;
    std::uint64_t PeerCounters::*field;
  };
  static constexpr PeerField kPeer[] = {
      {"casesync_peer_events_in_total", "Events received from each peer.",
       &PeerCounters::events_in},
      {"casesync_peer_events_out_total", "Events sent to each peer.", &PeerCounters::events_out},
      {"casesync_peer_received_bytes_total", "Frame bytes received from each peer.",
       &PeerCounters::bytes_in},
      {"casesync_peer_sent_bytes_total", "Frame bytes sent to each peer.",
       &PeerCounters::bytes_out},
      {"casesync_peer_sent_uncompressed_bytes_total",
       "Frame bytes sent to each peer, counted before compression.",
       &PeerCounters::bytes_out_uncompressed},
      {"casesync_peer_batches_resent_total", "Batches resent to each peer after a timeout.",
       &PeerCounters::batches_resent},
      {"casesync_peer_resent_bytes_total", "Frame bytes of batches resent to each peer.",
       &PeerCounters::bytes_resent},
      {"casesync_peer_outbox_capped_total",
       "Times the outbox toward each peer passed sync.outbox_bytes_max or sync.outbox_age_max_ms "
       "while it was down and its queued events were dropped.",
       &PeerCounters::outbox_caps},
      {"casesync_peer_outbox_dropped_events_total",
       "Queued events those caps dropped (the peer gets them in a catch-up re-send).",
       &PeerCounters::outbox_dropped_events},
      {"casesync_peer_catch_up_events_total",
       "Events queued again for each peer when it returned after a cap.",
       &PeerCounters::catch_up_events}};
  for (const auto& f : kPeer) {
    m.family(f.name, "counter", f.help);
    for (const auto& [peer, pc] : c.peers) m.add({{"peer", peer}}, pc.*(f.field));
  }
}

void link_metrics(const std::vector<LinkStatus>& links, std::uint64_t now_ms, MetricsText& m) {
  auto each = [&](const char* name, const char* help, auto get) {
    m.family(name, "gauge", help);
    for (const auto& l : links) {
      const char* direction = l.is_parent ? (l.is_fallback ? "fallback_parent" : "parent")
                                          : (l.is_fallback ? "fallback_child" : "child");
      m.add({{"peer", l.peer}, {"direction", direction}}, get(l));
    }
  };
  each("casesync_link_up", "1 when the link to the peer is up.",
       [](const LinkStatus& l) { return l.state == LinkState::kUp; });
  each("casesync_link_backlog_events", "Events in the outbox to the peer not yet acknowledged.",
       [](const LinkStatus& l) { return l.backlog_events; });
  each("casesync_link_backlog_oldest_age_seconds",
       "Age of the oldest event the peer has not acknowledged.", [&](const LinkStatus& l) {
         const std::uint64_t at = HybridClock::millis(l.backlog_oldest_hlc);
         return l.backlog_oldest_hlc == 0 ? 0.0 : seconds(now_ms - std::min(now_ms, at));
       });
  each("casesync_link_outbox_capped",
       "1 while a cap has dropped the outbox toward the peer: it gets a catch-up re-send when it "
       "returns.",
       [](const LinkStatus& l) { return l.outbox_capped; });
  each("casesync_link_in_flight_batches", "Batches sent to the peer and not yet acknowledged.",
       [](const LinkStatus& l) { return l.in_flight_batches; });
  each("casesync_link_rtt_seconds", "Smoothed round-trip time to the peer.",
       [](const LinkStatus& l) { return seconds(l.srtt_ms); });
  each("casesync_link_in_flight_bytes", "Event bytes sent to the peer and not yet acknowledged.",
       [](const LinkStatus& l) { return l.in_flight_bytes; });
  each("casesync_link_window_bytes", "How much the link's flow control lets be in flight now.",
       [](const LinkStatus& l) { return l.window_bytes; });
  each("casesync_link_throughput_bytes_per_second",
       "Measured delivery rate toward the peer (0 until measured).",
       [](const LinkStatus& l) { return l.delivery_rate_bps; });
  each("casesync_link_resend_timeout_seconds", "The link's resend timer for a batch sent once.",
       [](const LinkStatus& l) { return seconds(l.rto_ms); });
  each("casesync_link_last_success_seconds",
       "Seconds since the peer last acknowledged new events (+Inf: never).",
       [&](const LinkStatus& l) {
         return l.last_ack_ms == 0 ? INFINITY : seconds(now_ms - std::min(now_ms, l.last_ack_ms));
       });
  each("casesync_link_clock_offset_seconds", "The peer's wall clock minus ours.",
       [](const LinkStatus& l) { return static_cast<double>(l.clock_offset_ms) / 1000.0; });
  each("casesync_link_last_heard_seconds", "Seconds since the peer was last heard (+Inf: never).",
       [&](const LinkStatus& l) {
         return l.last_heard_ms == 0 ? INFINITY
                                     : seconds(now_ms - std::min(now_ms, l.last_heard_ms));
       });
}

void transport_metrics(const Transport& t, MetricsText& m) {
  for (const auto& f : kTransportCounterFields) {
    m.family(f.metric, "counter", f.help);
    m.add({}, t.counters().*(f.field));
  }
  m.family("casesync_transport_connections_ended_total", "counter",
           "Connections to this node's listening socket that ended, by reason (not_zmtp: raw "
           "garbage; no_frame_after_handshake: e.g. an oversize first frame).");
  for (ConnectionEnd e : kConnectionEnds) {
    m.add({{"reason", connection_end_name(e)}}, t.connections().count(e));
  }
}

void api_connection_metrics(const FrontCounters& c, MetricsText& m) {
  m.family("casesync_api_connections", "gauge",
           "Local API connections open now; state=parked: long-polls waiting for a change.");
  m.add({{"state", "open"}}, c.open);
  m.add({{"state", "parked"}}, c.parked);
  m.family("casesync_api_connections_refused_total", "counter",
           "Local API connections or requests refused before a handler ran: node_full "
           "(api.max_connections), client_full (api.max_connections_per_client), busy (a full "
           "queue), head (411/413/415/431/400 answered before the body was read).");
  m.add({{"reason", "node_full"}}, c.refused_node_full);
  m.add({{"reason", "client_full"}}, c.refused_client_full);
  m.add({{"reason", "busy"}}, c.refused_busy);
  m.add({{"reason", "head"}}, c.refused_head);
  m.family("casesync_api_connections_timed_out_total", "counter",
           "Local API connections closed by a timeout: read (api.read_timeout), write "
           "(api.write_timeout), idle (api.idle_timeout).");
  m.add({{"reason", "read"}}, c.read_timeouts);
  m.add({{"reason", "write"}}, c.write_timeouts);
  m.add({{"reason", "idle"}}, c.idle_closed);
  m.family("casesync_api_streams_cut_total", "counter",
           "Event streams (GET /api/events as text/event-stream) closed because the client read "
           "them slower than events came; the client resumes after Last-Event-ID.");
  m.add({}, c.stream_overflows);
}

void api_metrics(const ApiCounters& c, MetricsText& m) {
  m.family("casesync_api_errors_total", "counter",
           "Local API requests that failed with an exception (answered 500; a bug to report).");
  m.add({}, c.internal_errors());
  m.family("casesync_api_error_responses_total", "counter",
           "Local API answers with an error status (400 bad input, 404 unknown, 409 refused by "
           "the case's state, 413 too large, ...), by status.");
  for (const auto& [status, n] : c.error_responses()) m.add({{"status", std::to_string(status)}}, n);
  m.family("casesync_api_refused_total", "counter",
           "Local API requests refused at the door, by reason (no_token, bad_token, "
           "forbidden_role, bad_origin, bad_host, bad_content_type, throttled).");
  for (const auto& [reason, n] : c.refusals()) m.add({{"reason", reason}}, n);
  m.family("casesync_api_bad_token_bursts_total", "counter",
           "Bursts of wrong API tokens (a security alert): 20 or more within a minute.");
  m.add({}, c.bad_token_bursts());
}

void penalty_metrics(const PeerPenalty& p, std::uint64_t now_ms, MetricsText& m) {
  const auto bans = p.bans_by_peer();
  m.family("casesync_peer_bans_total", "counter",
           "Times each peer was banned for sending input that was refused.");
  for (const auto& [peer, n] : bans) m.add({{"peer", peer}}, n);
  m.family("casesync_peer_banned", "gauge", "1 while the peer is banned (peers ever banned).");
  for (const auto& [peer, n] : bans) {
    const Ban* ban = p.ban_of(peer);
    m.add({{"peer", peer}}, ban != nullptr && ban->until_ms > now_ms);
  }
}

void webhook_metrics(const std::vector<WebhookStatus>& hooks, std::uint64_t last_local_seq,
                     MetricsText& m) {
  if (hooks.empty()) return;
  m.family("casesync_webhook_delivered_total", "counter",
           "Events each webhook delivered (2xx) since the daemon started.");
  for (const auto& h : hooks) m.add({{"webhook", h.name}}, h.delivered);
  m.family("casesync_webhook_failed_attempts_total", "counter",
           "POSTs to each webhook that failed (no answer, timeout, 5xx, 4xx) since the daemon "
           "started.");
  for (const auto& h : hooks) m.add({{"webhook", h.name}}, h.failed_attempts);
  m.family("casesync_webhook_dead_letters", "gauge",
           "Events each webhook gave up on (or holds behind one of their case); `casesyncctl "
           "webhook retry NAME` resends them.");
  for (const auto& h : hooks) m.add({{"webhook", h.name}}, h.dead_letters);
  m.family("casesync_webhook_backlog_events", "gauge",
           "Events stored here that each webhook has not reached yet.");
  for (const auto& h : hooks) {
    m.add({{"webhook", h.name}}, last_local_seq - std::min(last_local_seq, h.delivered_through));
  }
}

std::string HealthView::metrics_text(std::uint64_t now_ms) {
  MetricsText m;
  SyncNode& core = rt_->core();
  node_metrics(rows(now_ms), m);
  counter_metrics(core.counters(), m);
  link_metrics(core.links(), now_ms, m);
  std::map<std::string, std::uint64_t> stalled;
  for (const char* a : kAttributions) stalled[a] = 0;
  for (const auto& s : rt_->stalls().stalls()) {
    if (s.level == "overdue") stalled[s.attribution]++;
  }
  m.family("casesync_stalled_hops", "gauge",
           "Overdue hops seen here, by attribution (silent, not_accepted, unreachable).");
  for (const auto& [a, n] : stalled) m.add({{"attribution", a}}, n);
  m.family("casesync_disk_trouble", "gauge", "1 while this node's last commit failed.");
  m.add({}, core.disk_trouble());
  if (auto st = rt_->store().stats(); st.is_ok()) {
    m.family("casesync_store_events", "gauge", "Events stored at this node.");
    m.add({}, st->event_count);
    m.family("casesync_store_db_bytes", "gauge", "Size of this node's SQLite database file.");
    m.add({}, st->db_bytes);
    m.family("casesync_store_wal_bytes", "gauge", "Size of this node's SQLite write-ahead log.");
    m.add({}, st->wal_bytes);
    if (rt_->webhooks()) webhook_metrics(rt_->webhooks()->statuses(), st->event_count, m);
  }
  transport_metrics(rt_->transport(), m);
  penalty_metrics(rt_->penalty(), now_ms, m);
  api_metrics(rt_->api_counters(), m);
  api_connection_metrics(rt_->api_connections(), m);
  m.family("casesync_uptime_seconds", "gauge", "Seconds since this daemon started.");
  m.add({}, seconds(now_ms - std::min(now_ms, rt_->started_at_ms())));
  m.family("casesync_build_info", "gauge",
           "This daemon's node id and software version (always 1).");
  m.add({{"node", core.self()}, {"version", CASESYNC_VERSION}}, std::uint64_t{1});
  return m.take();
}

}  // namespace

void register_health_routes(httplib::Server& server, NodeRuntime& rt) {
  auto view = std::make_shared<HealthView>(&rt);
  server.Get("/api/health", on_loop(rt, [&rt, view](const ApiCall& call, httplib::Response& res) {
    if (auto q = parse_no_input(call.request); !q.ok()) return reply_error(res, q.error());
    reply(res, 200, view->health_json(rt.now_ms()));
  }));
  server.Post("/api/health/clear", on_loop(rt, [view](const ApiCall& call, httplib::Response& res) {
    view->clear(call, res);
  }, Access::kAdmin));
  // Prometheus adds no parameters; whatever a scraper sends is ignored here. No token: node
  // states and counters, no case and no person.
  server.Get("/metrics", on_loop(rt, [&rt, view](const ApiCall&, httplib::Response& res) {
    res.set_content(view->metrics_text(rt.now_ms()), "text/plain; version=0.0.4; charset=utf-8");
  }, Access::kPublic));
}

}  // namespace casesync
