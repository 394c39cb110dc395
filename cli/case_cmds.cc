#include "cli/case_cmds.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/api_client.h"
#include "cli/labels.h"
#include "cli/table.h"
#include "common/translate.h"

namespace casesync {

using nlohmann::json;

namespace {

std::string text_of(const json& v, const std::string& dflt = "-") {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return dflt;
}

std::string field_text(const json& obj, const char* key, const std::string& dflt = "-") {
  auto it = obj.find(key);
  return it == obj.end() ? dflt : text_of(*it, dflt);
}

std::string duration_text(std::uint64_t ms) {
  char b[32];
  if (ms < 3600000) {
    std::snprintf(b, sizeof(b), "%llum", static_cast<unsigned long long>(ms / 60000));
  } else {
    std::snprintf(b, sizeof(b), "%.1fh", static_cast<double>(ms) / 3600000.0);
  }
  return b;
}

// "2026-12-01T08:00:00.000Z", or "paused" while the stage waits for the applicant.
// A due time a newer district calendar moved says so (docs/POLICY.md).
std::string moved_text(const json& obj) {
  if (!obj.contains("due_moved_by_policy")) return "";
  return format_text(tr(" moved by policy v%s, was %s"),
                     field_text(obj, "due_moved_by_policy").c_str(),
                     field_text(obj, "due_before").c_str());
}

std::string due_text(const json& hop) {
  if (field_text(hop, "due_stage", "") == "paused") return tr("paused");
  const std::string due = field_text(hop, "due");
  if (due == "-") return due;
  return due + " (" + label(field_text(hop, "due_stage", "")) + ")" + moved_text(hop);
}

// When the case waits for the applicant: at the window, or on one of its hops.
std::string paused_since(const json& c) {
  std::string since = field_text(c, "paused_since", "");
  for (const auto& h : c.value("hops", json::array())) {
    if (since.empty()) since = field_text(h, "paused_since", "");
  }
  return since;
}

std::string case_due_line(const json& c) {
  std::string out = format_text(tr("due %s"), field_text(c, "due").c_str()) + moved_text(c);
  const auto paused = c.value("paused_ms", 0ull);
  if (const std::string since = paused_since(c); !since.empty()) {
    out += format_text(tr("  (paused since %s for the applicant's materials)"), since.c_str());
  } else if (paused > 0) {
    out += format_text(tr("  (after %s paused for the applicant's materials)"),
                       duration_text(paused).c_str());
  }
  return out;
}

std::string list_text(const json& v) {
  std::string out;
  if (!v.is_array()) return text_of(v, "");
  for (const auto& m : v) out += (out.empty() ? "" : "; ") + text_of(m, "");
  return out;
}

// What arrived (at the window and supplied later) and what the catalogue still lacks.
void print_materials(const json& c) {
  const json received = c.value("materials_received", json::array());
  if (!received.empty() && received != c.value("materials", json::array())) {
    std::printf(tr("materials received: %s\n"), list_text(received).c_str());
  }
  const json missing = c.value("materials_missing", json());
  if (missing.is_array() && !missing.empty()) {
    std::printf(tr("materials missing: %s\n"), list_text(missing).c_str());
  }
}

void print_case(const json& c) {
  std::printf(tr("case %s  matter=%s %s\n"), field_text(c, "id").c_str(),
              field_text(c, "matter").c_str(), field_text(c, "matter_name", "").c_str());
  std::printf(tr("applicant %s  id_number %s  received at %s (%s)\n"),
              field_text(c, "applicant").c_str(), field_text(c, "id_number", "").c_str(),
              field_text(c, "receiving_node").c_str(), field_text(c, "received_at").c_str());
  std::printf(tr("status %s  holder %s%s  bounces %d  state_hash %s\n"),
              label(field_text(c, "status")).c_str(), field_text(c, "holder").c_str(),
              c.value("outcome", "").empty() ? "" : ("  outcome " + c.value("outcome", "")).c_str(),
              c.value("bounces", 0), field_text(c, "state_hash").c_str());
  if (!c.value("completed_by", "").empty()) {
    std::printf(tr("completed (办结) by %s as %s\n"), c.value("completed_by", "").c_str(),
                c.value("completion_authority", "").c_str());
  }
  std::printf("%s\n", case_due_line(c).c_str());
  if (c.contains("materials") && !c["materials"].empty()) {
    std::printf(tr("materials: %s\n"), list_text(c["materials"]).c_str());
  }
  print_materials(c);
  if (c.value("external_ref", json()).is_string()) {
    std::printf(tr("from %s, reference %s\n"), field_text(c, "source").c_str(),
                field_text(c, "external_ref").c_str());
  }
  for (const auto& d : c.value("duplicates", json::array())) {
    std::printf(tr("also created at %s (%s): duplicate_of %s\n"), field_text(d, "node").c_str(),
                field_text(d, "event").c_str(), field_text(d, "duplicate_of").c_str());
  }
  if (c.contains("hops") && c["hops"].is_array() && !c["hops"].empty()) {
    TextTable hops(
        {N_("HOP"), N_("FROM"), N_("TO"), N_("DESK"), N_("STAGE"), N_("OUTCOME"), N_("DUE")});
    for (const auto& h : c["hops"]) {
      hops.add({field_text(h, "hop"), field_text(h, "from"), field_text(h, "to"),
                field_text(h, "desk", ""),
                label(field_text(h, "stage")) +
                    (h.value("superseded", false) ? tr(" (superseded)") : ""),
                label(field_text(h, "outcome", "")), due_text(h)});
    }
    hops.print();
  }
  TextTable t({N_("TIME"), N_("EVENT"), N_("KIND"), N_("WHO"), N_("DETAIL")});
  for (const auto& e : c.value("events", json::array())) {
    std::string detail;
    for (const auto& [k, v] : e["body"].items()) {
      std::string text = v.is_array() ? list_text(v) : text_of(v, v.dump());
      for (auto& ch : text) ch = ch == '\n' ? ';' : ch;
      detail += (detail.empty() ? "" : " ") + k + "=" + text;
    }
    t.add({field_text(e, "time"),
           field_text(e, "origin") + ":" + std::to_string(e.value("seq", 0ull)),
           label(field_text(e, "kind")), field_text(e, "who"), detail});
  }
  t.print();
  for (const auto& k : c.value("conflicts", json::array())) {
    std::printf(tr("conflict %s: %s won over %s (%s)\n"), field_text(k, "rule").c_str(),
                field_text(k, "winner").c_str(), field_text(k, "loser").c_str(),
                field_text(k, "detail").c_str());
  }
}

// The clerk of a hop's step: "w01 王芳", or "-" when no clerk signed it (before clerks existed).
std::string clerk_text(const json& actor) {
  if (!actor.is_object()) return "-";
  return field_text(actor, "id") + " " + field_text(actor, "name", "");
}

// Who forwarded, signed for (签收) and answered each hop, one line per hop.
void print_hop_clerks(const json& t) {
  TextTable who({N_("HOP"), N_("FORWARDED_BY"), N_("ACCEPTED_BY"), N_("ANSWERED_BY")});
  for (const auto& h : t.value("hops", json::array())) {
    who.add({field_text(h, "hop"), clerk_text(h.value("forwarded_by", json())),
             clerk_text(h.value("accepted_by", json())), clerk_text(h.value("answered_by", json()))});
  }
  who.print();
}

// Each signed receipt of each hop, its signature checked by the node against the roster.
void print_receipts(const json& t) {
  TextTable rows({N_("HOP"), N_("RECEIPT"), N_("EVENT"), N_("SIGNER"), N_("CLERK"),
                  N_("SIGNATURE")});
  for (const auto& h : t.value("hops", json::array())) {
    for (const auto& r : h.value("receipts", json::array())) {
      const std::string mark = r.value("verified", false)
                                   ? tr(std::string("verified"))
                                   : format_text(tr("NOT verified: %s"),
                                                 field_text(r, "why").c_str());
      rows.add({field_text(h, "hop"), label(field_text(r, "kind")), field_text(r, "event"),
                field_text(r, "signer") + " " + field_text(r, "signer_name", ""),
                clerk_text(r.value("clerk", json())), mark});
    }
  }
  rows.print();
}

void print_timeline(const json& t) {
  TextTable tl({N_("TIME"), N_("EVENT"), N_("KIND"), N_("WHO"), N_("SUMMARY")});
  for (const auto& e : t.value("timeline", json::array())) {
    tl.add({field_text(e, "time"), field_text(e, "event"), label(field_text(e, "kind")),
            field_text(e, "who"),
            field_text(e, "summary") + (e.value("applied", true) ? "" : " (not applied)")});
  }
  tl.print();
}

void print_trace(const json& t) {
  std::printf(tr("case %s  status=%s  holder=%s  state_hash %s\n"), field_text(t, "case").c_str(),
              label(field_text(t, "status")).c_str(), field_text(t, "holder").c_str(),
              field_text(t, "state_hash").c_str());
  std::printf("%s\n", case_due_line(t).c_str());
  TextTable hops({N_("HOP"), N_("FROM"), N_("TO"), N_("STAGE"), N_("FORWARDED"), N_("DELIVERED"),
                  N_("ACCEPTED"), N_("ANSWERED"), N_("OUTCOME"), N_("PAUSED"), N_("DUE"),
                  N_("NOTE")});
  for (const auto& h : t.value("hops", json::array())) {
    std::string note = h.value("superseded", false) ? tr("superseded") : "";
    if (h.value("bounce", false)) note += (note.empty() ? "" : ",") + tr(std::string("bounce"));
    const auto paused = h.value("paused_ms", 0ull);
    std::string pause = paused ? duration_text(paused) : "-";
    if (!h.value("paused_since", json()).is_null()) pause = format_text(tr("since %s"), field_text(h, "paused_since").c_str());
    hops.add({field_text(h, "hop"), field_text(h, "from"), field_text(h, "to"),
              label(field_text(h, "stage")), field_text(h, "forwarded_at"),
              field_text(h, "delivered_at"), field_text(h, "accepted_at"),
              field_text(h, "answered_at"), label(field_text(h, "outcome", "")), pause, due_text(h),
              note});
  }
  hops.print();
  print_hop_clerks(t);
  print_receipts(t);
  print_timeline(t);
  if (const json got = t.value("materials_received", json::array()); !got.empty()) {
    std::printf(tr("materials received: %s\n"), list_text(got).c_str());
  }
  std::fputs(tr("time at each node (from its own receipt):"), stdout);
  for (const auto& d : t.value("dwell", json::array())) {
    std::printf("  %s %.1fs", field_text(d, "node").c_str(),
                static_cast<double>(d.value("ms", 0ull)) / 1000.0);
  }
  std::printf(tr("\nbounces %d  supplement requests %d%s\n"), t.value("bounces", 0),
              t.value("supplement_requests", 0),
              t.value("repeated_supplement", false) ? " (REPEATED: 一次性告知 not met)" : "");
  for (const auto& s : t.value("stalls", json::array())) {
    std::printf(tr("stall: hop %s %s %s, %s, %s, escalated to %s (seen by %s on its own clock)\n"),
                field_text(s, "hop").c_str(), label(field_text(s, "stage")).c_str(),
                label(field_text(s, "level")).c_str(), field_text(s, "overdue_by_text").c_str(),
                label(field_text(s, "attribution")).c_str(), field_text(s, "escalated_to").c_str(),
                field_text(s, "seen_by").c_str());
  }
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

// One flag per JSON key, spelled with dashes like every other flag (due_working_days is
// --due-working-days; the underscore spelling of older releases is still taken); "--material X"
// may repeat and becomes a list. A number stays a number (the node refuses text where it wants
// one, and says so).
json action_body(Cli& cli, const std::vector<std::string>& flags) {
  json body = json::object();
  for (const auto& f : flags) {
    std::string dashed = f;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    std::string v = cli.flag("--" + dashed);
    if (v.empty() && dashed != f) v = cli.flag("--" + f);
    if (v.empty()) continue;
    const bool digits = v.size() < 10 && std::all_of(v.begin(), v.end(), ::isdigit);
    body[f] = f == "due_working_days" && digits ? json(std::stoul(v)) : json(v);
  }
  auto mats = cli.flags("--material");
  if (!mats.empty()) body["materials"] = mats;
  return body;
}

int case_create(Cli& cli) {
  json body = action_body(cli, {"matter", "applicant", "source"});
  if (std::string id = cli.flag("--id-number"); !id.empty()) body["id_number"] = id;
  // A department system's reference: creating it again finds the case (same id, exit 0).
  if (std::string ref = cli.flag("--external-ref"); !ref.empty()) body["external_ref"] = ref;
  json fields = json::object();
  for (const auto& kv : cli.flags("--field")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return usage_error(cli, tr("--field takes KEY=VALUE, got ") + kv);
    fields[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (auto p = cli.leftover_flag("case create")) return usage_error(cli, *p);
  if (!body.contains("matter") || !body.contains("applicant")) {
    return usage_error(cli, tr("case create needs --matter CODE and --applicant NAME"));
  }
  if (!cli.args.empty()) return usage_error(cli, tr("case create takes no positional arguments"));
  if (!fields.empty()) body["fields"] = fields;
  auto r = call(cli, "POST", "/api/cases", body);
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  std::printf("%s\n", r->value("id", "").c_str());
  return kExitOk;
}

int case_show(Cli& cli, const std::string& sub) {
  const bool full = sub == "show" && cli.has("--full");
  if (auto p = cli.leftover_flag("case " + sub)) return usage_error(cli, *p);
  if (cli.args.size() != 1) return usage_error(cli, "case " + sub + " takes one case ID");
  auto r = call(cli, "GET", "/api/cases/" + url_encode(cli.args[0]) +
                                (sub == "trace" ? "/trace" : full ? "?full=1" : ""));
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  sub == "trace" ? print_trace(*r) : print_case(*r);
  return kExitOk;
}

int case_action(Cli& cli, const ActionSpec& spec) {
  json body = action_body(cli, spec.flags);
  if (std::string(spec.name) == "complete" && cli.has("--as-district-admin")) {
    body["as"] = "district_admin";
  }
  if (auto p = cli.leftover_flag(std::string("case ") + spec.name)) return usage_error(cli, *p);
  for (const auto& req : spec.required) {
    if (!body.contains(req)) return usage_error(cli, std::string("case ") + spec.name + " needs --" + req);
  }
  if (cli.args.size() != 1) return usage_error(cli, std::string("case ") + spec.name + " takes one case ID");
  auto r = call(cli, "POST", "/api/cases/" + url_encode(cli.args[0]) + "/" + spec.route, body);
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  print_case(*r);
  return kExitOk;
}

// `case receipt|notice ID [--out FILE]`: the paper the node renders (daemon/paper.h), in the
// CLI's language, to standard output or FILE. The node renders it because it alone holds what a
// paper shows (the catalogue, the calendar, the offices' names); FILE is written beside itself
// and renamed, so a refusal or a cut connection never leaves half a paper.
int case_paper(Cli& cli, const std::string& sub) {
  const std::string out = cli.flag("--out");
  if (auto p = cli.leftover_flag("case " + sub)) return usage_error(cli, *p);
  if (cli.args.size() != 1) return usage_error(cli, "case " + sub + " takes one case ID");
  const std::string path = "/api/cases/" + url_encode(cli.args[0]) + "/" + sub +
                           (current_language() == UiLanguage::kEnglish ? "?lang=en" : "?lang=zh");
  auto client = ApiClient::from_options(cli.api, cli.config, cli.token_file);
  if (!client.is_ok()) return fail(cli, client.status());
  const std::string part = out + ".part";
  const int fd = out.empty() ? STDOUT_FILENO
                             : ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(cli, Status::error(Code::kIoError, part + ": cannot create: " + std::strerror(errno)));
  }
  ApiResponse refused;
  auto got = client->download(path, fd, &refused);
  Status st = got.is_ok() ? Status::ok() : got.status();
  if (st.is_ok() && refused.status >= 400) {
    st = node_answer(cli, *client, "GET " + path, refused).status();
  }
  if (out.empty()) return st.is_ok() ? kExitOk : fail(cli, st);
  if (st.is_ok() && (::fsync(fd) != 0 || std::rename(part.c_str(), out.c_str()) != 0)) {
    st = Status::error(Code::kIoError, out + ": cannot write: " + std::strerror(errno));
  }
  ::close(fd);
  if (!st.is_ok()) {
    ::unlink(part.c_str());
    return fail(cli, st);
  }
  if (cli.as_json) return print_json({{"file", out}, {"bytes", *got}}), kExitOk;
  return kExitOk;
}

// The query of `cases`: every filter the clerk gave, checked by the node.
std::string cases_query(Cli& cli, bool* csv) {
  std::string q;
  auto add = [&q](const std::string& key, const std::string& value) {
    q += (q.empty() ? "?" : "&") + key + "=" + url_encode(value);
  };
  for (const auto& s : cli.flags("--status")) add("status", s);
  if (cli.has("--open")) add("open", "1");
  if (cli.has("--waiting-for-me")) add("waiting_for_me", "1");
  for (const char* f : {"holder", "applicant", "matter", "since", "limit", "source"}) {
    if (std::string v = cli.flag(std::string("--") + f); !v.empty()) add(f, v);
  }
  if (std::string v = cli.flag("--external-ref"); !v.empty()) add("external_ref", v);
  *csv = cli.has("--csv");
  return q;
}

}  // namespace

int cmd_case(Cli& cli) {
  if (cli.args.empty()) return usage_error(cli, tr("case needs a subcommand"));
  const std::string sub = cli.args[0];
  cli.args.erase(cli.args.begin());
  if (sub == "create") return case_create(cli);
  if (sub == "show" || sub == "trace") return case_show(cli, sub);
  if (sub == "receipt" || sub == "notice") return case_paper(cli, sub);
  auto spec = std::find_if(action_specs().begin(), action_specs().end(),
                           [&](const ActionSpec& a) { return sub == a.name; });
  if (spec == action_specs().end()) return usage_error(cli, tr("unknown case subcommand ") + sub);
  return case_action(cli, *spec);
}

int cmd_cases(Cli& cli) {
  bool csv = false;
  const std::string query = cases_query(cli, &csv);
  if (auto p = cli.leftover_flag("cases")) return usage_error(cli, *p);
  if (!cli.args.empty())
    return usage_error(cli, tr("cases takes no positional arguments; filters are flags"));
  if (csv && cli.as_json) return usage_error(cli, tr("cases: --csv or --json, not both"));
  auto r = call(cli, "GET", "/api/cases" + query);
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), kExitOk;
  const std::vector<std::string> cols = {N_("CASE"),   N_("MATTER"),  N_("APPLICANT"),
                                         N_("STATUS"), N_("HOLDER"),  N_("RECEIVED"),
                                         N_("DUE"),    N_("BOUNCES"), N_("EVENTS")};
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *r) {
    rows.push_back({field_text(c, "id"), field_text(c, "matter"), field_text(c, "applicant"),
                    field_text(c, "status"), field_text(c, "holder"), field_text(c, "received_at"),
                    field_text(c, "due"), std::to_string(c.value("bounces", 0)),
                    std::to_string(c.value("event_count", 0))});
  }
  if (csv) return print_csv(cols, rows), kExitOk;
  TextTable t(cols);
  for (auto& row : rows) {
    row[3] = label(row[3]);  // STATUS: CSV keeps the value, the table shows its label
    t.add(row);
  }
  t.print();
  return kExitOk;
}

}  // namespace casesync
