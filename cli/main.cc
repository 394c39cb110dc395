// casesyncctl: the operator's and clerk's command line for a casesync node. Every command that
// talks to a node is a client of that node's local API; every read command has --json.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/health_cmd.h"
#include "cli/trust_cmds.h"
#include "cli/table.h"
#include "cli/testbed.h"
#include "config/node_config.h"
#include "config/calendar_file.h"
#include "config/roster_file.h"
#include "crypto/crypto.h"
#include "storage/sqlite_store.h"

using namespace casesync;
using nlohmann::json;

namespace {

constexpr const char* kUsage = R"(Usage: casesyncctl [--config FILE | --api URL] COMMAND [ARGS] [--json]

Node selection: --config FILE reads the API address from that node's config
(default /etc/casesync/casesyncd.toml); --api URL talks to http://HOST:PORT directly.

Commands:
  keygen --secret FILE [--public FILE]   make an Ed25519 identity (secret file 0600)
  root init [--out DIR]                  the district root key (root.key 0600, root.pub)
  roster sign ROSTER --root-key KEY      sign a roster file (writes ROSTER.sig)
  roster push ROSTER                     install a signed roster on the node (it propagates)
  enroll request --parent NODE [--out FILE]      (with --config of the new node) a request file
  enroll approve FILE --roster ROSTER --root-key KEY   add the node, sign, install (--config of
                                         the district installs it at once)
  revoke NODE --roster ROSTER --root-key KEY     refuse the node everywhere from now on
  config check FILE                      validate a node config (and its roster)
  matters [--json]                       the matters catalogue (code, name, limit in working days)
  case create --matter CODE --applicant NAME [--id-number N] [--material NAME ...]
              [--field KEY=VALUE ...] [--json]          receive a case (受理); prints its id
  case show ID [--full] [--json]         the case, its hops and events (--full: unmasked ID number)
  case trace ID [--json]                 the hop chain: who and when for every receipt, time at
                                         each node; identical at every node holding the case
  case forward ID --to NODE [--desk NAME] [--due_working_days N]    转办/上报
  case accept ID [--hop HOP] [--desk NAME]                          签收
  case reply ID --outcome approved|denied [--note TEXT]             answer the hop
  case return ID --reason TEXT                                      退回
  case supplement ID --material NAME [--material NAME ...]          补正: list ALL at once
  case supplied ID                       the applicant brought the requested materials
  case notify ID [--channel SMS|phone|window] [--note TEXT]         the applicant was told
  case withdraw ID [--reason TEXT]                                  撤回
  case complete ID --outcome approved|denied                        办结
  case reopen ID --reason TEXT           (district only)
  case edit ID --field NAME --value TEXT
  case note ID --text TEXT
  cases [--json]                         the cases this node holds
  conflicts [--json]                     every concurrent-change conflict and how it was resolved
  stalled [--node N] [--overdue] [--json]  late hops: stage, how late in working time, and why
                                         (silent | not_accepted | unreachable), escalated to whom
  stats --from DATE --to DATE [--node N] [--csv|--json]   the supervision figures per node
  calendar due --from DATETIME (--working-days N | --working-hours N)   when is it due?
  import FILE.jsonl                      existing cases, one JSON object per line, all or nothing
  status [--json]                        this node: links, backlog, counters
  health [--json]                        every node below this one: in_step, lagging, offline,
                                         clock_skewed, security_alert, disk_trouble (exit 1 if any
                                         node is not in_step)
  backup FILE                            online, consistent copy of the node's database
  restore FILE                           (node stopped; with --config) replace the database
  testbed init|up|down|list|start|stop|kill ...   a local loopback district (see testbed --help)

Exit status: 0 ok, 1 the node refused or failed, 2 bad usage or input, 3 node unreachable.
)";

struct Cli {
  std::string config;
  std::string api;
  bool as_json = false;
  std::vector<std::string> args;  // positional and command flags, global options removed
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "casesyncctl: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

// Returns the value of "--name VALUE" in args (removing both), or "" when absent.
std::string take_flag(std::vector<std::string>& args, const std::string& name) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
  }
  return "";
}

std::vector<std::string> take_all(std::vector<std::string>& args, const std::string& name) {
  std::vector<std::string> out;
  for (std::string v = take_flag(args, name); !v.empty(); v = take_flag(args, name)) {
    out.push_back(v);
  }
  return out;
}

#define ASSIGN_OR_RETURN_CLI(lhs, expr)      \
  auto CASESYNC_CONCAT(_r_, __LINE__) = (expr); \
  if (!CASESYNC_CONCAT(_r_, __LINE__).is_ok())  \
    return fail(CASESYNC_CONCAT(_r_, __LINE__).status()); \
  lhs = std::move(CASESYNC_CONCAT(_r_, __LINE__)).value()

int fail(const Status& st) {
  std::fprintf(stderr, "casesyncctl: %s\n", st.message().c_str());
  return st.code() == Code::kUnavailable ? 3 : st.code() == Code::kInvalidArgument ? 2 : 1;
}

// Calls the API and turns HTTP errors into the node's own message.
Result<json> call(const Cli& cli, const std::string& method, const std::string& path,
                  const json& body = json()) {
  ASSIGN_OR_RETURN(ApiClient client, ApiClient::from_options(cli.api, cli.config));
  ASSIGN_OR_RETURN(ApiResponse r, method == "GET" ? client.get(path) : client.post(path, body));
  if (r.status >= 400) {
    std::string msg = r.body.is_object() ? r.body.value("error", r.body.dump()) : r.body.dump();
    return Status::error(r.status == 400 ? Code::kInvalidArgument
                         : r.status == 404 ? Code::kNotFound
                                           : Code::kInternal,
                         msg);
  }
  return r.body;
}

void print_case(const json& c) {
  std::printf("case %s  matter=%s %s\n", c.value("id", "").c_str(), c.value("matter", "").c_str(),
              c.value("matter_name", "").c_str());
  std::printf("applicant %s  id_number %s  received at %s (%s)\n", c.value("applicant", "").c_str(),
              c.value("id_number", "").c_str(), c.value("receiving_node", "").c_str(),
              c.value("received_at", json("")).is_string() ? c["received_at"].get<std::string>().c_str() : "-");
  std::printf("status %s  holder %s%s  bounces %d  state_hash %s\n", c.value("status", "").c_str(),
              c.value("holder", "").c_str(),
              c.value("outcome", "").empty() ? "" : ("  outcome " + c.value("outcome", "")).c_str(),
              c.value("bounces", 0), c.value("state_hash", "").c_str());
  if (c.contains("hops") && c["hops"].is_array() && !c["hops"].empty()) {
    TextTable hops({"HOP", "FROM", "TO", "DESK", "STAGE", "OUTCOME"});
    for (const auto& h : c["hops"]) {
      hops.add({h.value("hop", ""), h.value("from", ""), h.value("to", ""), h.value("desk", ""),
                h.value("stage", "") + (h.value("superseded", false) ? " (superseded)" : ""),
                h.value("outcome", "")});
    }
    hops.print();
  }
  TextTable t({"TIME", "EVENT", "KIND", "DETAIL"});
  for (const auto& e : c.value("events", json::array())) {
    std::string detail;
    for (const auto& [k, v] : e["body"].items()) {
      std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      for (auto& ch : text) ch = ch == '\n' ? ';' : ch;
      detail += (detail.empty() ? "" : " ") + k + "=" + text;
    }
    t.add({e.value("time", ""), e.value("origin", "") + ":" + std::to_string(e.value("seq", 0ull)),
           e.value("kind", ""), detail});
  }
  t.print();
  for (const auto& k : c.value("conflicts", json::array())) {
    std::printf("conflict %s: %s won over %s (%s)\n", k.value("rule", "").c_str(),
                k.value("winner", "").c_str(), k.value("loser", "").c_str(),
                k.value("detail", "").c_str());
  }
}

int cmd_keygen(Cli& cli) {
  std::string secret = take_flag(cli.args, "--secret");
  std::string pub = take_flag(cli.args, "--public");
  if (secret.empty()) return usage_error("keygen needs --secret FILE");
  if (pub.empty()) pub = secret + ".pub";
  if (Status st = crypto::init(); !st.is_ok()) return fail(st);
  auto pair = crypto::generate_keypair();
  if (Status st = crypto::write_keypair(secret, pub, pair); !st.is_ok()) return fail(st);
  std::printf("%s\n", to_hex(pair.public_key).c_str());
  std::fprintf(stderr, "secret key written to %s (mode 0600), public key to %s\n", secret.c_str(),
               pub.c_str());
  return 0;
}

int cmd_config_check(Cli& cli) {
  if (cli.args.size() != 1) return usage_error("config check needs exactly one FILE");
  auto cfg = load_node_config(cli.args[0]);
  if (!cfg.is_ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 2;
  }
  auto roster = load_roster(cfg->roster_file);
  if (!roster.is_ok()) {
    std::fprintf(stderr, "%s\n", roster.status().message().c_str());
    return 2;
  }
  if (!roster->find(cfg->node_id)) {
    std::fprintf(stderr, "%s: node.id %s is not in the roster %s\n", cli.args[0].c_str(),
                 cfg->node_id.c_str(), cfg->roster_file.c_str());
    return 2;
  }
  std::printf("%s: ok (node %s, role %s, roster of %zu nodes)\n", cli.args[0].c_str(),
              cfg->node_id.c_str(), role_name(cfg->role), roster->nodes().size());
  return 0;
}

// One flag per JSON key; "--material X" may repeat and becomes a list.
json action_body(std::vector<std::string>& args, const std::vector<std::string>& flags) {
  json body = json::object();
  for (const auto& f : flags) {
    std::string v = take_flag(args, "--" + f);
    if (!v.empty()) body[f == "field-name" ? "field" : f] = v;
  }
  auto mats = take_all(args, "--material");
  if (!mats.empty()) body["materials"] = mats;
  return body;
}

struct ActionSpec {
  const char* name;
  const char* route;
  std::vector<std::string> flags;
  std::vector<std::string> required;
};

const std::vector<ActionSpec>& action_specs() {
  static const std::vector<ActionSpec> kSpecs = {
      {"forward", "forward", {"to", "desk", "due_working_days", "note"}, {"to"}},
      {"accept", "accept", {"hop", "desk", "note"}, {}},
      {"reply", "reply", {"hop", "outcome", "note"}, {"outcome"}},
      {"return", "return", {"hop", "reason", "note"}, {"reason"}},
      {"supplement", "supplement", {"hop", "note"}, {}},
      {"supplied", "supplement_provided", {"note"}, {}},
      {"notify", "notify", {"channel", "note"}, {}},
      {"withdraw", "withdraw", {"reason", "note"}, {}},
      {"complete", "complete", {"outcome", "note"}, {"outcome"}},
      {"reopen", "reopen", {"reason", "note"}, {"reason"}},
      {"edit", "edit", {"field", "value"}, {"field", "value"}},
      {"note", "note", {"text"}, {"text"}},
      {"prereview", "prereview", {"note"}, {}},
  };
  return kSpecs;
}

void print_trace(const json& t) {
  std::printf("case %s  status=%s  holder=%s  state_hash %s\n", t.value("case", "").c_str(),
              t.value("status", "").c_str(), t.value("holder", "").c_str(),
              t.value("state_hash", "").c_str());
  TextTable hops({"HOP", "FROM", "TO", "STAGE", "FORWARDED", "DELIVERED", "ACCEPTED", "ANSWERED", "OUTCOME", "NOTE"});
  auto at = [](const json& v) { return v.is_null() ? std::string("-") : v.get<std::string>(); };
  for (const auto& h : t["hops"]) {
    std::string note = h.value("superseded", false) ? "superseded" : "";
    if (h.value("bounce", false)) note += note.empty() ? "bounce" : ",bounce";
    if (h.contains("stall")) note += (note.empty() ? "" : ",") + h["stall"].value("summary", "");
    hops.add({h.value("hop", ""), h.value("from", ""), h.value("to", ""), h.value("stage", ""),
              at(h["forwarded_at"]), at(h["delivered_at"]), at(h["accepted_at"]),
              at(h["answered_at"]), h.value("outcome", ""), note});
  }
  hops.print();
  std::printf("time at each node:");
  for (const auto& d : t["dwell"]) {
    std::printf("  %s %.1fs", d.value("node", "").c_str(),
                static_cast<double>(d.value("ms", 0ull)) / 1000.0);
  }
  std::printf("\nbounces %d  supplement requests %d%s\n", t.value("bounces", 0),
              t.value("supplement_requests", 0),
              t.value("repeated_supplement", false) ? " (REPEATED: 一次性告知 not met)" : "");
}

int cmd_case(Cli& cli) {
  if (cli.args.empty()) return usage_error("case needs a subcommand");
  std::string sub = cli.args[0];
  cli.args.erase(cli.args.begin());
  Result<json> r = Status::error(Code::kInvalidArgument, "unknown case subcommand " + sub);
  if (sub == "create") {
    json body = action_body(cli.args, {"matter", "applicant", "id-number"});
    if (body.contains("id-number")) body["id_number"] = body["id-number"], body.erase("id-number");
    if (!body.contains("matter") || !body.contains("applicant")) {
      return usage_error("case create needs --matter CODE and --applicant NAME");
    }
    json fields = json::object();
    for (const auto& kv : take_all(cli.args, "--field")) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) return usage_error("--field takes KEY=VALUE, got " + kv);
      fields[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!fields.empty()) body["fields"] = fields;
    r = call(cli, "POST", "/api/cases", body);
    if (r.is_ok() && !cli.as_json) return std::printf("%s\n", r->value("id", "").c_str()), 0;
  } else if (sub == "show" || sub == "trace") {
    bool full = std::find(cli.args.begin(), cli.args.end(), "--full") != cli.args.end();
    cli.args.erase(std::remove(cli.args.begin(), cli.args.end(), "--full"), cli.args.end());
    if (cli.args.size() != 1) return usage_error("case " + sub + " ID");
    r = call(cli, "GET", "/api/cases/" + cli.args[0] + (sub == "trace" ? "/trace" : full ? "?full=1" : ""));
    if (r.is_ok() && !cli.as_json) {
      sub == "trace" ? print_trace(*r) : print_case(*r);
      return 0;
    }
  } else {
    auto spec = std::find_if(action_specs().begin(), action_specs().end(),
                             [&](const ActionSpec& a) { return sub == a.name; });
    if (spec == action_specs().end()) return usage_error("unknown case subcommand " + sub);
    json body = action_body(cli.args, spec->flags);
    for (const auto& req : spec->required) {
      if (!body.contains(req)) return usage_error("case " + sub + " needs --" + req);
    }
    if (cli.args.size() != 1) return usage_error("case " + sub + " takes one case ID");
    r = call(cli, "POST", "/api/cases/" + cli.args[0] + "/" + spec->route, body);
    if (r.is_ok() && !cli.as_json) return print_case(*r), 0;
  }
  if (!r.is_ok()) return fail(r.status());
  std::printf("%s\n", r->dump(2).c_str());
  return 0;
}

int cmd_matters(Cli& cli) {
  auto r = call(cli, "GET", "/api/matters");
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  TextTable t({"CODE", "LIMIT_WD", "NAME", "MATERIALS"});
  for (const auto& m : *r) {
    t.add({m.value("code", ""), std::to_string(m.value("limit_working_days", 0)),
           m.value("name", ""), std::to_string(m["materials"].size())});
  }
  t.print();
  return 0;
}

int cmd_conflicts(Cli& cli) {
  auto r = call(cli, "GET", "/api/conflicts");
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  TextTable t({"CASE", "RULE", "WINNER", "LOSER", "DETAIL"});
  for (const auto& c : *r) {
    t.add({c.value("case", ""), c.value("rule", ""), c.value("winner", ""), c.value("loser", ""),
           c.value("detail", "")});
  }
  t.print();
  return 0;
}

bool take_bool(std::vector<std::string>& args, const std::string& name) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

int cmd_stalled(Cli& cli) {
  std::string node = take_flag(cli.args, "--node");
  bool overdue = take_bool(cli.args, "--overdue");
  std::string q = "/api/stalled?fresh=1";
  if (!node.empty()) q += "&node=" + node;
  if (overdue) q += "&overdue=1";
  auto r = call(cli, "GET", q);
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  TextTable t({"CASE", "HOP", "STAGE", "LEVEL", "SENDER", "RECEIVER", "LATE", "ATTRIBUTION", "ESCALATED_TO"});
  for (const auto& s : *r) {
    t.add({s.value("case", ""), s.value("hop", ""), s.value("stage", ""), s.value("level", ""),
           s.value("sender", ""), s.value("receiver", ""), s.value("overdue_by_text", ""),
           s.value("attribution", ""), s.value("escalated_to", "")});
  }
  t.print();
  return 0;
}

int cmd_stats(Cli& cli) {
  std::string from = take_flag(cli.args, "--from"), to = take_flag(cli.args, "--to");
  std::string node = take_flag(cli.args, "--node");
  bool csv = take_bool(cli.args, "--csv");
  if (from.empty() || to.empty()) return usage_error("stats needs --from DATE --to DATE (YYYY-MM-DD)");
  auto r = call(cli, "GET", "/api/stats?from=" + from + "&to=" + to + (node.empty() ? "" : "&node=" + node));
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  const std::vector<std::string> cols = {"node", "received", "prereviewed", "forwarded", "delivered",
                                         "accepted", "answered", "completed", "on_time_rate",
                                         "accept_median_h", "accept_p95_h", "answer_median_h",
                                         "answer_p95_h", "bounces", "repeated_supplement_requests",
                                         "stalls"};
  auto num = [](const json& v) {
    if (v.is_null()) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof(b), v.is_number_float() ? "%.2f" : "%.0f", v.get<double>());
    return std::string(b);
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : (*r)["nodes"]) {
    std::string stalls;
    for (const auto& [k, v] : n["stalls_by_attribution"].items()) {
      stalls += (stalls.empty() ? "" : " ") + k + "=" + std::to_string(v.get<int>());
    }
    rows.push_back({n.value("node", ""), num(n["received"]), num(n["prereviewed"]),
                    num(n["forwarded"]), num(n["delivered"]), num(n["accepted"]),
                    num(n["answered"]), num(n["completed"]), num(n["on_time_rate"]),
                    num(n["accept"]["median_working_hours"]), num(n["accept"]["p95_working_hours"]),
                    num(n["answer"]["median_working_hours"]), num(n["answer"]["p95_working_hours"]),
                    num(n["bounces"]), num(n["repeated_supplement_requests"]), stalls});
  }
  if (csv) {
    for (std::size_t i = 0; i < cols.size(); ++i) std::printf("%s%s", i ? "," : "", cols[i].c_str());
    std::printf("\n");
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) std::printf("%s%s", i ? "," : "", row[i].c_str());
      std::printf("\n");
    }
    return 0;
  }
  TextTable t(cols);
  for (auto& row : rows) t.add(row);
  t.print();
  return 0;
}

// Offline: answers "when is this due?" from the calendar in the node's config (or the built-in
// national calendar), no daemon needed.
int cmd_calendar(Cli& cli) {
  if (cli.args.empty() || cli.args[0] != "due") return usage_error("calendar due --from DATETIME --working-days N");
  cli.args.erase(cli.args.begin());
  std::string from = take_flag(cli.args, "--from");
  std::string days = take_flag(cli.args, "--working-days"), hours = take_flag(cli.args, "--working-hours");
  std::string setting;
  if (!cli.config.empty()) {
    auto cfg = load_node_config(cli.config);
    if (!cfg.is_ok()) return fail(cfg.status());
    setting = cfg->supervision.calendar;
  }
  auto cal = calendar_for(setting);
  if (!cal.is_ok()) return fail(cal.status());
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  int n = std::sscanf(from.c_str(), "%4d-%2d-%2d%*c%2d:%2d", &y, &mo, &d, &h, &mi);
  if (n != 3 && n != 5) return usage_error("--from takes YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time)");
  const std::int64_t day = WorkCalendar::day_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::uint64_t start = cal->day_start_utc(day) + static_cast<std::uint64_t>(h * 60 + mi) * 60000;
  std::uint64_t due = 0;
  if (!days.empty()) {
    due = cal->add_working_days(start, static_cast<std::uint32_t>(std::stoul(days)));
  } else if (!hours.empty()) {
    due = cal->add_working_ms(start, static_cast<std::uint64_t>(std::stod(hours) * 3600000.0));
  } else {
    return usage_error("calendar due needs --working-days N or --working-hours N");
  }
  const std::uint64_t local = due - cal->day_start_utc(cal->local_day(due));
  const std::int64_t due_day = cal->local_day(due);
  // Back from a day number to a civil date for printing.
  int yy = WorkCalendar::year_of_day(due_day);
  unsigned mm = 1;
  while (mm < 12 && WorkCalendar::day_from_civil(yy, mm + 1, 1) <= due_day) ++mm;
  const std::int64_t dd = due_day - WorkCalendar::day_from_civil(yy, mm, 1) + 1;
  char out[64];
  std::snprintf(out, sizeof(out), "%04d-%02u-%02lldT%02llu:%02llu", yy, mm, static_cast<long long>(dd),
                static_cast<unsigned long long>(local / 3600000),
                static_cast<unsigned long long>(local / 60000 % 60));
  if (cli.as_json) {
    std::printf("%s\n", json{{"from", from}, {"due", out}, {"due_utc_ms", due},
                              {"missing_years", cal->missing_years(start, due)}}.dump(2).c_str());
  } else {
    std::printf("%s\n", out);
  }
  for (int missing : cal->missing_years(start, due)) {
    std::fprintf(stderr, "WARNING: the calendar has no holiday schedule for %d; counted Monday-Friday\n", missing);
  }
  return 0;
}

int cmd_backup(Cli& cli) {
  if (cli.args.size() != 1) return usage_error("backup FILE");
  std::string path = std::filesystem::absolute(cli.args[0]).string();
  auto r = call(cli, "POST", "/api/backup", {{"path", path}});
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  std::printf("%s: %llu events, integrity ok\n", path.c_str(), r->value("events", 0ull));
  return 0;
}

// Offline: the node must be stopped. The backup is checked before it replaces the database;
// after restart the node re-syncs what it lacks and resumes its sequence after the last one its
// parent holds (never signing a number twice).
int cmd_restore(Cli& cli) {
  if (cli.args.size() != 1 || cli.config.empty()) return usage_error("--config FILE restore BACKUP");
  auto cfg = load_node_config(cli.config);
  if (!cfg.is_ok()) return fail(cfg.status());
  if (auto c = ApiClient::from_options("", cli.config); c.is_ok() && c->get("/healthz").is_ok()) {
    return fail(Status::error(Code::kInvalidArgument,
                              "node " + cfg->node_id + " is running; stop it first (systemctl stop casesyncd)"));
  }
  {
    auto check = SqliteStore::open(cli.args[0]);
    if (!check.is_ok()) return fail(check.status().with_context(cli.args[0]));
    auto ok = (*check)->pragma("integrity_check");
    if (!ok.is_ok() || *ok != "ok") {
      return fail(Status::error(Code::kCorruption, cli.args[0] + ": integrity check failed"));
    }
  }
  const std::string db = cfg->data_dir + "/casesync.db";
  std::error_code ec;
  std::filesystem::create_directories(cfg->data_dir, ec);
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
  std::filesystem::copy_file(cli.args[0], db, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return fail(Status::error(Code::kIoError, db + ": " + ec.message()));
  // Until its parent confirms the last sequence number, the node refuses local writes.
  std::ofstream(cfg->data_dir + "/RESTORED") << cli.args[0] << "\n";
  std::printf("%s restored from %s; start the node: it re-syncs from its peers\n", db.c_str(),
              cli.args[0].c_str());
  return 0;
}

int cmd_import(Cli& cli) {
  if (cli.args.size() != 1) return usage_error("import FILE.jsonl");
  std::ifstream in(cli.args[0], std::ios::binary);
  if (!in) return fail(Status::error(Code::kInvalidArgument, cli.args[0] + ": cannot read"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSIGN_OR_RETURN_CLI(ApiClient client, ApiClient::from_options(cli.api, cli.config));
  auto r = client.post_text("/api/import", text);
  if (!r.is_ok()) return fail(r.status());
  if (r->status >= 400) {
    return fail(Status::error(Code::kInvalidArgument,
                              cli.args[0] + ": " + r->body.value("error", r->body.dump())));
  }
  if (cli.as_json) return std::printf("%s\n", r->body.dump(2).c_str()), 0;
  std::printf("imported %d cases\n", r->body.value("imported", 0));
  return 0;
}

int cmd_cases(Cli& cli) {
  auto r = call(cli, "GET", "/api/cases?limit=100000");
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  TextTable t({"CASE", "ORIGIN", "MATTER", "APPLICANT", "STATUS", "EVENTS"});
  for (const auto& c : *r) {
    t.add({c.value("id", ""), c.value("origin", ""), c.value("matter", ""),
           c.value("applicant", ""), c.value("status", ""),
           std::to_string(c.value("event_count", 0))});
  }
  t.print();
  return 0;
}

// Bans in force and the connections libzmq dropped by itself; silent when there are none.
void print_penalty(const json& s) {
  const json penalty = s.value("penalty", json::object());
  for (const auto& b : penalty.value("banned", json::array())) {
    std::printf("banned: %s for %llus more (ban %llu in a row, after %llu refused inputs)\n",
                b.value("peer", "").c_str(), b.value("remaining_ms", 0ull) / 1000,
                b.value("offence", 0ull), b.value("rejects", 0ull));
  }
  const json transport = s.value("transport", json::object());
  if (penalty.value("bans", 0ull) > 0) {
    std::printf("bans: %llu, frames dropped while banned: %llu, reconnects refused: %llu\n",
                penalty.value("bans", 0ull), transport.value("frames_dropped_banned", 0ull),
                transport.value("auth_denied_banned", 0ull));
  }
  std::string dropped;
  const json ended = transport.value("connections_ended", json::object());
  for (const auto& [reason, n] : ended.items()) {
    if (reason == "closed_after_frames" || n.get<std::uint64_t>() == 0) continue;
    dropped += (dropped.empty() ? "" : ", ") + reason + " " + std::to_string(n.get<std::uint64_t>());
  }
  if (!dropped.empty()) std::printf("connections dropped: %s\n", dropped.c_str());
}

int cmd_status(Cli& cli) {
  auto r = call(cli, "GET", "/api/status");
  if (!r.is_ok()) return fail(r.status());
  if (cli.as_json) return std::printf("%s\n", r->dump(2).c_str()), 0;
  const json& s = *r;
  std::printf("node %s (%s)  parent %s  uptime %llus  events %llu  last_seq %llu%s\n",
              s.value("node", "").c_str(), s.value("role", "").c_str(),
              s.value("parent", "").empty() ? "-" : s.value("parent", "").c_str(),
              s.value("uptime_s", 0ull), s["store"].value("events", 0ull),
              s.value("last_seq", 0ull), s.value("disk_trouble", false) ? "  DISK TROUBLE" : "");
  TextTable t({"PEER", "DIR", "STATE", "BACKLOG", "OLDEST_MS", "IN_FLIGHT", "RTT_MS", "HEARD_MS_AGO"});
  for (const auto& l : s["links"]) {
    t.add({l.value("peer", ""), l.value("direction", ""), l.value("state", ""),
           std::to_string(l.value("backlog_events", 0ull)),
           std::to_string(l.value("backlog_oldest_age_ms", 0ull)),
           std::to_string(l.value("in_flight_batches", 0ull)),
           std::to_string(l.value("rtt_ms", 0ull)),
           std::to_string(l.value("last_heard_ms_ago", -1ll))});
  }
  t.print();
  const json& rejects = s["counters"]["rejects"];
  if (!rejects.empty()) std::printf("rejected input: %s\n", rejects.dump().c_str());
  print_penalty(s);
  return 0;
}

std::string exe_dir(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) p = std::filesystem::absolute(argv0);
  return p.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      cli.config = argv[++i];
    } else if (a == "--api" && i + 1 < argc) {
      cli.api = argv[++i];
    } else if (a == "--json") {
      cli.as_json = true;
    } else {
      cli.args.push_back(a);
    }
  }
  if (cli.args.empty() || cli.args[0] == "--help" || cli.args[0] == "-h" || cli.args[0] == "help") {
    std::fputs(kUsage, cli.args.empty() ? stderr : stdout);
    return cli.args.empty() ? 2 : 0;
  }
  std::string cmd = cli.args[0];
  cli.args.erase(cli.args.begin());
  if (cmd == "keygen") return cmd_keygen(cli);
  if (cmd == "config" && !cli.args.empty() && cli.args[0] == "check") {
    cli.args.erase(cli.args.begin());
    return cmd_config_check(cli);
  }
  if (cmd == "case") return cmd_case(cli);
  if (cmd == "cases") return cmd_cases(cli);
  if (cmd == "status") return cmd_status(cli);
  if (cmd == "matters") return cmd_matters(cli);
  if (cmd == "conflicts") return cmd_conflicts(cli);
  if (cmd == "import") return cmd_import(cli);
  if (cmd == "stalled") return cmd_stalled(cli);
  if (cmd == "backup") return cmd_backup(cli);
  if (cmd == "restore") return cmd_restore(cli);
  if (cmd == "root" || cmd == "roster" || cmd == "enroll" || cmd == "revoke") {
    std::string api = cli.api;
    // Approve, revoke and push hand the roster to a node when one is named.
    if (api.empty() && !cli.config.empty() && cmd != "enroll") {
      if (auto c = ApiClient::from_options("", cli.config); c.is_ok()) api = c->base_url();
    }
    if (cmd == "enroll" && !cli.args.empty() && cli.args[0] == "approve" && !cli.config.empty()) {
      if (auto c = ApiClient::from_options("", cli.config); c.is_ok()) api = c->base_url();
    }
    std::vector<std::string> args{cmd};
    args.insert(args.end(), cli.args.begin(), cli.args.end());
    return trust_main(args, api, cli.config);
  }
  if (cmd == "health") {
    auto client = ApiClient::from_options(cli.api, cli.config);
    if (!client.is_ok()) return fail(client.status());
    return cmd_health(client->base_url(), cli.as_json);
  }
  if (cmd == "stats") return cmd_stats(cli);
  if (cmd == "calendar") return cmd_calendar(cli);
  if (cmd == "testbed") {
    if (cli.as_json) cli.args.push_back("--json");
    return testbed_main(cli.args, exe_dir(argv[0]));
  }
  return usage_error("unknown command " + cmd);
}
