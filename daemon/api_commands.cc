#include "daemon/api_commands.h"

#include <algorithm>

#include "common/bytes.h"
#include "common/duration.h"
#include "common/utf8.h"
#include "config/toml_errors.h"
#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/case_state.h"
#include "sync/event_content.h"
#include "sync/external_ref.h"
#include "sync/limits.h"

namespace casesync {

using nlohmann::json;

namespace {

std::string str(std::string_view s) { return std::string(s); }

bool is_date(const std::string& text, Date* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto y = parse_decimal(std::string_view(text).substr(0, 4));
  auto m = parse_decimal(std::string_view(text).substr(5, 2));
  auto d = parse_decimal(std::string_view(text).substr(8, 2));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1) return false;
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  const unsigned days = *m == 2 && !leap ? 28 : kDays[*m - 1];
  if (*d > days) return false;
  *out = {static_cast<int>(*y), static_cast<unsigned>(*m), static_cast<unsigned>(*d)};
  return true;
}

std::optional<Date> read_date(QueryReader& q, const char* key, std::string* text) {
  auto v = q.text(key, 10);
  if (!v) return std::nullopt;
  Date d;
  if (!is_date(*v, &d)) {
    q.fail(ApiError::bad("bad_value", ui_text("%s must be a date YYYY-MM-DD, not \"%s\"", key, *v),
                         key));
    return std::nullopt;
  }
  *text = *v;
  return d;
}

std::string read_node(QueryReader& q, const char* key) {
  auto v = q.text(key, limits::kNodeIdBytesMax);
  if (!v) return "";
  if (auto e = node_id_error(*v, key)) q.fail(std::move(*e));
  return *v;
}

}  // namespace


// ---------------------------------------------------------------------------- formats

std::optional<ApiError> path_case_id(const RequestView& r, std::string* out) {
  if (r.path.empty()) return ApiError::bad("missing", ui_text("the case id is missing"), "case_id");
  *out = r.path[0];
  return case_id_problem(*out, "case_id");
}

std::optional<ApiError> node_id_error(const std::string& id, const std::string& field) {
  if (auto p = node_id_problem(id)) {
    return ApiError::bad("bad_value", field + ": " + *p, field);
  }
  return std::nullopt;
}

std::optional<ApiError> case_id_problem(const std::string& id, const std::string& field) {
  // A node's "<node>-<seq>", or a department system's "<source>:<ref>" (sync/external_ref.h).
  const bool shape = !id.empty() && id.size() <= limits::kCaseIdBytesMax &&
                     std::all_of(id.begin(), id.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                              c == ':';
                     }) &&
                     id.find_first_of("-:") != std::string::npos && id.front() != '-' &&
                     id.front() != ':' && id.back() != '-' && id.back() != ':';
  if (shape) return std::nullopt;
  const bool printable = valid_utf8(id) && id.size() <= 2 * limits::kCaseIdBytesMax &&
                         std::none_of(id.begin(), id.end(), [](char c) {
                           return static_cast<unsigned char>(c) < 0x20;
                         });
  return ApiError::bad("bad_value",
                       ui_text("%s is not a case id (like s01-c01-000001: a node id, '-', a "
                               "number; or gov-portal:3301062024000123 for a department system's "
                               "case; at most %s bytes of A-Z, a-z, 0-9, '-', '_', '.', ':')",
                               printable ? Text("\"" + id + "\"") : ui_text("the value"),
                               limits::kCaseIdBytesMax),
                       field);
}

std::optional<ApiError> hop_id_problem(const std::string& id, const std::string& field) {
  const auto colon = id.rfind(':');
  if (colon != std::string::npos && !node_id_problem(id.substr(0, colon)) &&
      parse_decimal(std::string_view(id).substr(colon + 1))) {
    return std::nullopt;
  }
  return ApiError::bad("bad_value",
                       ui_text("%s must name a hop as NODE:SEQ (e.g. s01-c01:2; `case show` lists "
                               "them)",
                               field),
                       field);
}

// ---------------------------------------------------------------------------- reads

Checked<CaseListQuery> parse_case_list(const RequestView& r) {
  QueryReader q(r);
  CaseListQuery out;
  out.limit = q.limit();
  out.statuses = q.all("status", 32);
  for (const auto& s : out.statuses) {
    const bool known = std::any_of(std::begin(kCaseStatuses), std::end(kCaseStatuses),
                                   [&](CaseStatus c) { return s == case_status_name(c); });
    if (known) continue;
    std::string all;
    for (CaseStatus c : kCaseStatuses) all += (all.empty() ? "" : ", ") + str(case_status_name(c));
    q.fail(ApiError::bad("bad_value",
                         ui_text("status \"%s\" is not a case status (%s)", s, all), "status"));
  }
  out.open = q.flag("open");
  out.holder = read_node(q, "holder");
  out.applicant = q.text("applicant", limits::kApplicantCharsMax).value_or("");
  out.matter = q.text("matter", api_limits::kMatterCodeCharsMax).value_or("");
  out.waiting_for_me = q.flag("waiting_for_me");
  read_date(q, "since", &out.since);  // kept as text: the route takes the calendar's midnight
  out.external_ref = q.text("external_ref", limits::kExternalRefCharsMax).value_or("");
  out.source = q.text("source", limits::kExternalSourceBytesMax).value_or("");
  if (!out.source.empty()) {
    if (auto p = external_source_problem(out.source)) {
      q.fail(ApiError::bad("bad_value", *p, "source"));
    }
  }
  if (auto e = q.finish()) return *e;
  return out;
}

Checked<CaseQuery> parse_case_get(const RequestView& r) {
  CaseQuery out;
  if (auto e = path_case_id(r, &out.case_id)) return *e;
  QueryReader q(r);
  out.full = q.flag("full");
  if (auto e = q.finish()) return *e;
  return out;
}

Checked<CaseQuery> parse_case_trace(const RequestView& r) {
  CaseQuery out;
  if (auto e = path_case_id(r, &out.case_id)) return *e;
  if (QueryReader q(r); auto e = q.finish()) return *e;
  return out;
}

Checked<PaperQuery> parse_paper(const RequestView& r) {
  PaperQuery out;
  if (auto e = path_case_id(r, &out.case_id)) return *e;
  QueryReader q(r);
  const std::string lang = q.text("lang", 8).value_or("zh");
  if (lang != "zh" && lang != "zh-CN" && lang != "en") {
    q.fail(ApiError::bad("bad_value", ui_text("lang must be zh or en, not \"%s\"", lang), "lang"));
  }
  if (auto e = q.finish()) return *e;
  out.english = lang == "en";
  return out;
}

namespace {

constexpr std::uint64_t kPositionMax = UINT64_MAX >> 1;

// How long a long-poll waits: whole seconds ("30") or a duration ("30s", "500ms", "1m").
std::uint64_t read_wait_ms(QueryReader& q) {
  auto text = q.text("wait", 16);
  if (!text) return 0;
  const std::uint64_t max_ms = api_limits::kChangesWaitMaxS * 1000;
  std::optional<std::uint64_t> ms = parse_duration_ms(*text);
  if (!ms) {
    if (auto s = parse_decimal(*text)) ms = *s > max_ms ? max_ms + 1 : *s * 1000;
  }
  if (!ms || *ms > max_ms) {
    q.fail(ApiError::bad(ms ? "out_of_range" : "bad_value",
                         ui_text("wait must be a duration of at most %ss (\"30s\", \"500ms\" or "
                                 "whole seconds), not \"%s\"",
                                 api_limits::kChangesWaitMaxS, *text),
                         "wait"));
    return 0;
  }
  return *ms;
}

// A changes feed: a local position to read after (`position` names it), a limit, and for the
// long-poll how long to wait for something new.
Checked<FeedQuery> parse_feed(const RequestView& r, const char* position) {
  QueryReader q(r);
  FeedQuery out;
  out.after = q.number(position, 0, kPositionMax).value_or(0);
  out.limit = q.limit();
  out.wait_ms = read_wait_ms(q);
  if (auto e = q.finish()) return *e;
  return out;
}

}  // namespace

Checked<FeedQuery> parse_events_feed(const RequestView& r) { return parse_feed(r, "after"); }

Checked<FeedQuery> parse_changes(const RequestView& r) { return parse_feed(r, "since"); }

Checked<FeedQuery> parse_event_stream(const RequestView& r, const std::string& last_event_id) {
  QueryReader q(r);
  FeedQuery out;
  out.after = q.number("after", 0, kPositionMax).value_or(0);
  if (auto e = q.finish()) return *e;
  if (!last_event_id.empty()) {
    // An SSE client resumes after the last `id:` it saw: this stream's local positions.
    auto id = parse_decimal(last_event_id);
    if (!id || *id > kPositionMax) {
      return ApiError::bad("bad_value",
                           ui_text("Last-Event-ID must be a position this feed sent (a whole "
                                   "number), not \"%s\"",
                                   last_event_id.substr(0, 40)),
                           "Last-Event-ID");
    }
    out.after = *id;
  }
  return out;
}

Checked<std::size_t> parse_conflicts(const RequestView& r) {
  QueryReader q(r);
  const std::size_t limit = q.limit();
  if (auto e = q.finish()) return *e;
  return limit;
}

Checked<StalledQuery> parse_stalled(const RequestView& r) {
  QueryReader q(r);
  StalledQuery out;
  out.node = read_node(q, "node");
  out.overdue = q.flag("overdue");
  out.fresh = q.flag("fresh");
  if (auto e = q.finish()) return *e;
  return out;
}

Checked<StatsQuery> parse_stats(const RequestView& r) {
  QueryReader q(r);
  StatsQuery out;
  out.from = read_date(q, "from", &out.from_text);
  out.to = read_date(q, "to", &out.to_text);
  out.node = read_node(q, "node");
  const std::string by = q.text("by", 8).value_or("node");
  if (by != "node" && by != "clerk" && by != "matter") {
    q.fail(ApiError::bad("bad_value", ui_text("by must be node, clerk or matter, not \"%s\"", by),
                         "by"));
  }
  out.by_clerk = by == "clerk";
  out.by_matter = by == "matter";
  if (out.by_matter && !out.node.empty()) {
    q.fail(ApiError::bad("bad_value",
                         ui_text("by=matter counts every node together: leave out node"), "node"));
  }
  if (auto e = q.finish()) return *e;
  if (out.from && out.to && out.from_text > out.to_text) {
    return ApiError::bad("out_of_range",
                         ui_text("from %s is after to %s", out.from_text, out.to_text), "from");
  }
  return out;
}

Checked<bool> parse_no_input(const RequestView& r) {
  if (QueryReader q(r); auto e = q.finish()) return *e;
  return true;
}

std::optional<ApiError> backup_name_problem(const std::string& name, const std::string& field) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  };
  const bool ok = !name.empty() && name.size() <= api_limits::kBackupNameCharsMax &&
                  name.front() != '.' && std::all_of(name.begin(), name.end(), allowed);
  if (ok) return std::nullopt;
  return ApiError::bad("bad_value",
                       ui_text("a backup is named by a file name of 1..%s characters A-Z a-z 0-9 "
                               ". _ - not starting with '.'; it is written into the node's backup "
                               "folder (paths.backup_dir), never elsewhere",
                               api_limits::kBackupNameCharsMax),
                       field);
}

Checked<BackupRequest> parse_backup(const RequestView& r) {
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  if (obj->contains("path")) {
    return ApiError::bad("bad_value",
                         ui_text("a backup goes only into the node's backup folder "
                                 "(paths.backup_dir): give \"name\", a file name, or nothing; "
                                 "`casesyncctl backup FILE` copies it to FILE"),
                         "path");
  }
  JsonObjectReader reader(*obj, "");
  BackupRequest out;
  out.name = reader.text("name", api_limits::kBackupNameCharsMax, Need::kOptional).value_or("");
  if (auto e = reader.finish()) return *e;
  if (obj->contains("name")) {
    if (auto e = backup_name_problem(out.name, "name")) return *e;
  }
  return out;
}

Checked<NewClerk> parse_new_clerk(const RequestView& r) {
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  NewClerk out;
  out.id = reader.text("id", limits::kActorIdBytesMax, Need::kRequired).value_or("");
  out.name = reader.text("name", limits::kActorNameCharsMax, Need::kRequired).value_or("");
  std::vector<std::string> roles;
  for (ClerkRole role : kClerkRoles) roles.push_back(clerk_role_name(role));
  out.role = reader.choice("role", roles, Need::kRequired).value_or("");
  if (auto e = reader.finish()) return *e;
  if (!valid_clerk_id(out.id) || out.id == "admin") {
    return ApiError::bad("bad_value",
                         ui_text("id \"%s\" is not a clerk id: 1..%s of a-z 0-9 - . (\"admin\" "
                                 "is the built-in administrator)",
                                 out.id, limits::kActorIdBytesMax),
                         "id");
  }
  return out;
}

Checked<std::string> parse_clerk_disable(const RequestView& r) {
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  if (auto e = JsonObjectReader(*obj, "").finish()) return *e;
  const std::string id = r.path.empty() ? "" : r.path[0];
  if (!valid_clerk_id(id)) {
    return ApiError::not_found(ui_text("no clerk \"%s\" (a clerk id is a-z 0-9 - .)", id), "id");
  }
  return id;
}

Checked<BackupRequest> parse_backup_download(const RequestView& r) {
  if (QueryReader q(r); auto e = q.finish()) return *e;
  BackupRequest out;
  out.name = r.path.empty() ? "" : r.path.front();
  if (auto e = backup_name_problem(out.name, "name")) return *e;
  return out;
}

Checked<std::string> parse_webhook_retry(const RequestView& r) {
  const std::string name = r.path.empty() ? "" : r.path.front();
  constexpr std::size_t kNameBytesMax = 32;  // config/webhook_config.cc
  if (name.empty() || name.size() > kNameBytesMax || node_id_problem(name)) {
    return ApiError::bad("bad_value",
                         ui_text("a webhook is named by its [[webhook]] name: 1..32 of a-z, 0-9, "
                                 "'-', '_' (`casesyncctl status` lists them)"),
                         "name");
  }
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  if (JsonObjectReader reader(*obj, ""); auto e = reader.finish()) return *e;
  return name;
}

Checked<RosterPush> parse_roster_push(const RequestView& r) {
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  RosterPush out;
  out.version = reader.number("version", 1, UINT64_MAX >> 1, Need::kRequired).value_or(0);
  out.text = reader.text("text", api_limits::kBodyBytesMax, Need::kRequired, Lines::kMany).value_or("");
  const std::string hex = reader.text("signature", 1024, Need::kRequired).value_or("");
  if (auto e = reader.finish()) return *e;
  auto sig = from_hex(hex);
  if (!sig) return ApiError::bad("bad_value", ui_text("signature must be hex"), "signature");
  out.signature = std::move(*sig);
  return out;
}

}  // namespace casesync
