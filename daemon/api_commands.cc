#include "daemon/api_commands.h"

#include <algorithm>

#include "common/bytes.h"
#include "common/utf8.h"
#include "config/toml_errors.h"
#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/case_state.h"
#include "sync/event_content.h"
#include "sync/limits.h"

namespace casesync {

using nlohmann::json;

namespace {

namespace k = kinds;

constexpr std::size_t kMatterCodeCharsMax = 64;
// An encoded event is its body plus at most this much: version, origin, seq, hlc, case id,
// parents, prev, kind and the length fields (sync/event.h).
constexpr std::size_t kEventEnvelopeBytesMax = 1024;
constexpr std::size_t kLengthFieldBytes = 8;
static_assert(kEventEnvelopeBytesMax >= 1 + 4 * 8 + limits::kNodeIdBytesMax +
                                            limits::kCaseIdBytesMax + limits::kKindBytesMax +
                                            limits::kParentsMax * 32 + 32 + 3 * 8,
              "the envelope estimate covers every header field at its limit");

std::string str(std::string_view s) { return std::string(s); }
std::string num(std::uint64_t n) { return std::to_string(n); }

std::size_t encoded_body_bytes(const std::map<std::string, std::string>& body) {
  std::size_t n = kLengthFieldBytes;
  for (const auto& [key, v] : body) n += 2 * kLengthFieldBytes + key.size() + v.size();
  return n;
}

// The event a request makes must fit an event (sync/limits.h): refused here with 413, before
// anything is signed.
std::optional<ApiError> event_size_problem(const std::map<std::string, std::string>& body,
                                           const std::string& field) {
  const std::size_t bytes = encoded_body_bytes(body) + kEventEnvelopeBytesMax;
  if (bytes <= limits::kEventBytesMax) return std::nullopt;
  return ApiError{413, "body_too_large",
                  "the event would be about " + num(bytes) + " bytes; the limit of one event is " +
                      num(limits::kEventBytesMax) + " bytes: shorten the longest values",
                  field};
}

std::string join_lines(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "\n") + n;
  return out;
}

// The request's body as an object, within the route's byte limit.
Checked<json> body_object(const RequestView& r, std::size_t bytes_max = api_limits::kBodyBytesMax) {
  if (QueryReader q(r); auto e = q.finish()) return *e;  // a POST takes no parameters
  return parse_json_object(r.body, bytes_max);
}

std::optional<ApiError> check_path_case(const RequestView& r, std::string* out) {
  if (r.path.empty()) return ApiError::bad("missing", "the case id is missing", "case_id");
  *out = r.path[0];
  return case_id_problem(*out, "case_id");
}

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
    q.fail(ApiError::bad("bad_value", std::string(key) + " must be a date YYYY-MM-DD, not \"" + *v +
                                          "\"", key));
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

// ---- free fields of a new case

std::optional<std::string> field_value(const json& v, const std::string& at, JsonObjectReader& r) {
  if (v.is_number_integer() || v.is_boolean()) return v.dump();  // legacy exports are numeric
  if (!v.is_string()) {
    r.fail(ApiError::bad("wrong_type", at + " must be text, a whole number or true/false", at));
    return std::nullopt;
  }
  const auto& s = v.get_ref<const std::string&>();
  if (auto p = text_problem(s, limits::kFieldCharsMax, Lines::kMany, at)) {
    r.fail(std::move(*p));
    return std::nullopt;
  }
  return s;
}

std::map<std::string, std::string> read_fields(JsonObjectReader& r) {
  std::map<std::string, std::string> out;
  const json* obj = r.object("fields", Need::kOptional);
  if (!obj) return out;
  if (obj->size() > limits::kCaseFieldsMax) {
    r.fail(ApiError::bad("too_many", "fields has " + num(obj->size()) + " entries; the limit is " +
                                         num(limits::kCaseFieldsMax), r.field("fields")));
    return out;
  }
  for (const auto& [key, v] : obj->items()) {
    const std::string at = r.field("fields." + key);
    if (auto p = text_problem(key, limits::kBodyKeyBytesMax, Lines::kOne, at)) {
      r.fail(std::move(*p));
      return out;
    }
    if (key.empty() || key.size() > limits::kBodyKeyBytesMax || is_named_case_key(key)) {
      r.fail(ApiError::bad("bad_value", at + ": a field name is 1.." + num(limits::kBodyKeyBytesMax) +
                                            " bytes and not matter, applicant, id_number, materials "
                                            "or legacy_id (give those at the top level)", at));
      return out;
    }
    auto value = field_value(v, at, r);
    if (!value) return out;
    out[key] = *value;
  }
  return out;
}

Checked<NewCase> read_new_case(const json& obj, const std::string& prefix) {
  JsonObjectReader r(obj, prefix);
  NewCase c;
  c.matter = r.text("matter", kMatterCodeCharsMax, Need::kRequired).value_or("");
  c.applicant = r.text("applicant", limits::kApplicantCharsMax, Need::kRequired).value_or("");
  c.id_number = r.text("id_number", value_chars_max(k::kIdNumber), Need::kOptional).value_or("");
  c.legacy_id = r.text("legacy_id", value_chars_max(k::kLegacyId), Need::kOptional).value_or("");
  c.materials = r.text_list("materials", limits::kMaterialsMax, limits::kMaterialCharsMax,
                            Need::kOptional).value_or(std::vector<std::string>{});
  c.fields = read_fields(r);
  if (auto e = r.finish()) return *e;
  if (auto e = event_size_problem(new_case_body(c), prefix.empty() ? "" : prefix)) return *e;
  return c;
}

// ---- actions

enum class Value { kText, kLongText, kNode, kHop, kOutcome, kDays, kMaterials, kFieldName, kAdmin };

struct FieldSpec {
  const char* request;  // the JSON key of the request
  std::string_view body_key;
  Value type;
  Need need;
  const char* when_missing = nullptr;  // what to tell a clerk who left it out
};

struct ActionSpec {
  const char* action;
  std::string_view kind;
  std::vector<FieldSpec> fields;
  bool needs_hop = false;
  bool wants_hop = false;
};

constexpr std::uint64_t kDueWorkingDaysMax = 3650;

const std::vector<ActionSpec>& action_specs() {
  using V = Value;
  const FieldSpec note{"note", k::kNoteText, V::kLongText, Need::kOptional};
  const FieldSpec hop{"hop", k::kHop, V::kHop, Need::kOptional};
  const FieldSpec desk{"desk", k::kDesk, V::kText, Need::kOptional};
  const FieldSpec outcome{"outcome", k::kOutcome, V::kOutcome, Need::kRequired};
  static const std::vector<ActionSpec> kSpecs = {
      {"forward", k::kForwarded,
       {{"to", k::kTo, V::kNode, Need::kRequired}, desk,
        {"due_working_days", k::kDueWorkingDays, V::kDays, Need::kOptional}, note}},
      {"accept", k::kAccepted, {hop, desk, note}, true},
      {"reply", k::kReplied, {hop, outcome, note}, true},
      {"return", k::kReturned, {hop, {"reason", k::kReason, V::kLongText, Need::kRequired}, note},
       true},
      {"supplement", k::kSupplementRequested,
       {hop,
        {"materials", k::kMaterials, V::kMaterials, Need::kRequired,
         "a supplement request must list every missing material at once (一次性告知): give "
         "\"materials\""},
        note},
       false, true},
      {"supplement_provided", k::kSupplementProvided,
       {{"materials", k::kMaterials, V::kMaterials, Need::kOptional}, note}},
      {"notify", k::kNotified, {{"channel", k::kChannel, V::kText, Need::kOptional}, note}},
      {"withdraw", k::kWithdrawn, {{"reason", k::kReason, V::kLongText, Need::kOptional}, note}},
      {"complete", k::kCompleted, {outcome, {"as", k::kAuthority, V::kAdmin, Need::kOptional}, note}},
      {"reopen", k::kReopened, {{"reason", k::kReason, V::kLongText, Need::kRequired}, note}},
      {"edit", k::kEdited,
       {{"field", k::kField, V::kFieldName, Need::kRequired},
        {"value", k::kValue, V::kText, Need::kRequired}, note}},
      {"note", k::kNote, {{"text", k::kNoteText, V::kLongText, Need::kRequired}}},
      {"prereview", k::kPrereviewed, {note}},
  };
  return kSpecs;
}

const ActionSpec* find_action(const std::string& action) {
  for (const auto& s : action_specs()) {
    if (action == s.action) return &s;
  }
  return nullptr;
}

// A node id, a hop id or a field name: the forms an action names things in.
std::optional<ApiError> name_problem(Value type, const std::string& v, const std::string& at) {
  if (type == Value::kNode) return node_id_error(v, at);
  if (type == Value::kHop) return hop_id_problem(v, at);
  if (v.size() <= limits::kBodyKeyBytesMax) return std::nullopt;
  return ApiError::bad("too_long", at + " is longer than " + num(limits::kBodyKeyBytesMax) + " bytes",
                       at);
}

// One field of an action, read by its type; the value as the event body holds it.
std::optional<std::string> read_action_field(JsonObjectReader& r, const FieldSpec& f) {
  const std::size_t chars = value_chars_max(f.body_key);
  switch (f.type) {
    case Value::kText: return r.text(f.request, chars, f.need);
    case Value::kLongText: return r.text(f.request, chars, f.need, Lines::kMany);
    case Value::kOutcome: return r.choice(f.request, {"approved", "denied"}, f.need);
    case Value::kAdmin: return r.choice(f.request, {str(k::kDistrictAdmin)}, f.need);
    case Value::kDays: {
      auto n = r.number(f.request, 1, kDueWorkingDaysMax, f.need);
      return n ? std::optional<std::string>(num(*n)) : std::nullopt;
    }
    case Value::kMaterials: {
      auto list = r.text_list(f.request, limits::kMaterialsMax, limits::kMaterialCharsMax, f.need);
      return list && !list->empty() ? std::optional<std::string>(join_lines(*list)) : std::nullopt;
    }
    case Value::kNode:
    case Value::kHop:
    case Value::kFieldName: {
      auto v = r.text(f.request, limits::kBodyKeyBytesMax, f.need);
      if (!v) return v;
      if (auto e = name_problem(f.type, *v, r.field(f.request))) {
        r.fail(std::move(*e));
        return std::nullopt;
      }
      return v;
    }
  }
  return std::nullopt;
}

// ---- raw events

std::optional<std::string> raw_value(const std::string& key, const json& v, const std::string& at,
                                     JsonObjectReader& r) {
  if (key == k::kMaterials && v.is_array()) {  // a list, as everywhere else in the API
    const json wrapped{{str(k::kMaterials), v}};
    JsonObjectReader list_reader(wrapped, at.substr(0, at.size() - key.size()));
    auto names = list_reader.text_list("materials", limits::kMaterialsMax,
                                       limits::kMaterialCharsMax, Need::kOptional);
    if (auto e = list_reader.finish()) {
      r.fail(std::move(*e));
      return std::nullopt;
    }
    return join_lines(names.value_or(std::vector<std::string>{}));
  }
  if (!v.is_string()) {
    r.fail(ApiError::bad("wrong_type", at + " must be text", at));
    return std::nullopt;
  }
  const auto& s = v.get_ref<const std::string&>();
  if (auto p = text_problem(s, value_chars_max(key), Lines::kMany, at)) {
    r.fail(std::move(*p));
    return std::nullopt;
  }
  return s;
}

Checked<RawEvent> read_raw_event(const json& obj, const std::string& prefix, std::string case_id) {
  JsonObjectReader r(obj, prefix);
  RawEvent e;
  if (case_id.empty()) {
    e.case_id = r.text("case_id", limits::kCaseIdBytesMax, Need::kRequired).value_or("");
    if (!r.failed()) {
      if (auto p = case_id_problem(e.case_id, r.field("case_id"))) r.fail(std::move(*p));
    }
  } else {
    e.case_id = std::move(case_id);
  }
  e.kind = r.text("kind", limits::kKindBytesMax, Need::kRequired).value_or("");
  if (!r.failed() && !known_kind(e.kind)) {
    r.fail(ApiError::not_found("unknown event kind \"" + e.kind + "\"", r.field("kind")));
  }
  if (const json* body = r.object("body", Need::kOptional)) {
    if (body->size() > limits::kBodyFieldsMax) {
      r.fail(ApiError::bad("too_many", r.field("body") + " has " + num(body->size()) +
                                           " fields; the limit is " + num(limits::kBodyFieldsMax),
                           r.field("body")));
    }
    for (const auto& [key, v] : body->items()) {
      if (r.failed()) break;
      const std::string at = r.field("body." + key);
      if (key.empty() || key.size() > limits::kBodyKeyBytesMax) {
        r.fail(ApiError::bad("bad_value", at + ": a body key is 1.." + num(limits::kBodyKeyBytesMax) +
                                              " bytes", at));
        break;
      }
      if (auto value = raw_value(key, v, at, r)) e.body[key] = *value;
    }
  }
  if (auto err = r.finish()) return *err;
  if (auto err = event_size_problem(e.body, prefix)) return *err;
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------- formats

std::optional<ApiError> node_id_error(const std::string& id, const std::string& field) {
  if (auto p = node_id_problem(id)) {
    return ApiError::bad("bad_value", field + ": " + *p, field);
  }
  return std::nullopt;
}

std::optional<ApiError> case_id_problem(const std::string& id, const std::string& field) {
  const bool shape = !id.empty() && id.size() <= limits::kCaseIdBytesMax &&
                     std::all_of(id.begin(), id.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                              c == '_';
                     }) &&
                     id.find('-') != std::string::npos && id.front() != '-' && id.back() != '-';
  if (shape) return std::nullopt;
  const bool printable = valid_utf8(id) && id.size() <= 2 * limits::kCaseIdBytesMax &&
                         std::none_of(id.begin(), id.end(), [](char c) {
                           return static_cast<unsigned char>(c) < 0x20;
                         });
  return ApiError::bad("bad_value",
                       (printable ? "\"" + id + "\"" : std::string("the value")) +
                           " is not a case id (like s01-c01-000001: a node id, '-', a number; at "
                           "most " + num(limits::kCaseIdBytesMax) + " bytes of a-z, 0-9, '-', '_')",
                       field);
}

std::optional<ApiError> hop_id_problem(const std::string& id, const std::string& field) {
  const auto colon = id.rfind(':');
  if (colon != std::string::npos && !node_id_problem(id.substr(0, colon)) &&
      parse_decimal(std::string_view(id).substr(colon + 1))) {
    return std::nullopt;
  }
  return ApiError::bad("bad_value",
                       field + " must name a hop as NODE:SEQ (e.g. s01-c01:2; `case show` lists them)",
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
    q.fail(ApiError::bad("bad_value", "status \"" + s + "\" is not a case status (" + all + ")",
                         "status"));
  }
  out.open = q.flag("open");
  out.holder = read_node(q, "holder");
  out.applicant = q.text("applicant", limits::kApplicantCharsMax).value_or("");
  out.matter = q.text("matter", kMatterCodeCharsMax).value_or("");
  out.waiting_for_me = q.flag("waiting_for_me");
  read_date(q, "since", &out.since);  // kept as text: the route takes the calendar's midnight
  if (auto e = q.finish()) return *e;
  return out;
}

Checked<CaseQuery> parse_case_get(const RequestView& r) {
  CaseQuery out;
  if (auto e = check_path_case(r, &out.case_id)) return *e;
  QueryReader q(r);
  out.full = q.flag("full");
  if (auto e = q.finish()) return *e;
  return out;
}

Checked<CaseQuery> parse_case_trace(const RequestView& r) {
  CaseQuery out;
  if (auto e = check_path_case(r, &out.case_id)) return *e;
  if (QueryReader q(r); auto e = q.finish()) return *e;
  return out;
}

namespace {

// A changes feed: a local position to read after (`position` names it), a limit, and for the
// long-poll how long to wait for something new.
Checked<FeedQuery> parse_feed(const RequestView& r, const char* position, bool waits) {
  QueryReader q(r);
  FeedQuery out;
  out.after = q.number(position, 0, UINT64_MAX >> 1).value_or(0);
  out.limit = q.limit();
  if (waits) out.wait_s = q.number("wait", 0, api_limits::kChangesWaitMaxS).value_or(0);
  if (auto e = q.finish()) return *e;
  return out;
}

}  // namespace

Checked<FeedQuery> parse_events_feed(const RequestView& r) { return parse_feed(r, "after", false); }

Checked<FeedQuery> parse_changes(const RequestView& r) { return parse_feed(r, "since", true); }

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
  if (auto e = q.finish()) return *e;
  if (out.from && out.to && out.from_text > out.to_text) {
    return ApiError::bad("out_of_range", "from " + out.from_text + " is after to " + out.to_text, "from");
  }
  return out;
}

Checked<bool> parse_no_input(const RequestView& r) {
  if (QueryReader q(r); auto e = q.finish()) return *e;
  return true;
}

// ---------------------------------------------------------------------------- writes

std::map<std::string, std::string> new_case_body(const NewCase& c) {
  std::map<std::string, std::string> body = c.fields;
  body[str(k::kMatter)] = c.matter;
  body[str(k::kApplicant)] = c.applicant;
  if (!c.id_number.empty()) body[str(k::kIdNumber)] = c.id_number;
  if (!c.materials.empty()) body[str(k::kMaterials)] = join_lines(c.materials);
  if (!c.legacy_id.empty()) body[str(k::kLegacyId)] = c.legacy_id;
  return body;
}

Checked<NewCase> parse_new_case(const RequestView& r) {
  auto obj = body_object(r);
  if (!obj.ok()) return obj.error();
  return read_new_case(*obj, "");
}

Checked<std::vector<NewCase>> parse_import(const RequestView& r) {
  if (QueryReader q(r); auto e = q.finish()) return *e;
  if (r.body.size() > api_limits::kBulkBodyBytesMax) {
    return ApiError{413, "body_too_large", "an import is at most " +
                                               num(api_limits::kBulkBodyBytesMax) + " bytes; split the file", ""};
  }
  std::vector<NewCase> out;
  std::size_t start = 0;
  for (std::size_t n = 1; start < r.body.size(); ++n) {
    std::size_t end = r.body.find('\n', start);
    if (end == std::string_view::npos) end = r.body.size();
    const std::string_view line = r.body.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (out.size() >= api_limits::kImportLinesMax) {
      return ApiError::bad("too_many", "at most " + num(api_limits::kImportLinesMax) +
                                           " cases per import; split the file", "line " + num(n));
    }
    const std::string where = "line " + num(n);
    auto obj = parse_json_object(line, api_limits::kBodyBytesMax, where);
    if (!obj.ok()) return obj.error();
    auto c = read_new_case(*obj, where + ".");
    if (!c.ok()) {
      ApiError e = c.error();
      e.message = where + ": " + e.message;
      return e;
    }
    c->line = n;
    out.push_back(std::move(*c));
  }
  if (out.empty()) return ApiError::bad("missing", "the import holds no cases (one JSON object per line)");
  return out;
}

Checked<CaseAction> parse_case_action(const RequestView& r) {
  CaseAction out;
  if (auto e = check_path_case(r, &out.case_id)) return *e;
  out.action = r.path.size() > 1 ? r.path[1] : "";
  const ActionSpec* spec = find_action(out.action);
  if (!spec) {
    std::string all;
    for (const auto& s : action_specs()) all += (all.empty() ? "" : ", ") + str(s.action);
    return ApiError::not_found("no case action \"" + out.action + "\" (actions: " + all + ", events)",
                               "action");
  }
  out.kind = str(spec->kind);
  out.needs_hop = spec->needs_hop;
  out.wants_hop = spec->wants_hop;
  auto obj = body_object(r);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  for (const auto& f : spec->fields) {
    if (auto v = read_action_field(reader, f)) out.body[str(f.body_key)] = *v;
  }
  if (auto e = reader.finish()) {
    for (const auto& f : spec->fields) {
      if (e->code == "missing" && e->field == f.request && f.when_missing) e->message = f.when_missing;
    }
    return *e;
  }
  if (auto e = event_size_problem(out.body, "")) return *e;
  return out;
}

std::string action_request_field(const std::string& action, const std::string& body_key) {
  if (const ActionSpec* spec = find_action(action)) {
    for (const auto& f : spec->fields) {
      if (f.body_key == body_key) return f.request;
    }
  }
  return body_key;
}

Checked<RawEvent> parse_case_event(const RequestView& r) {
  std::string case_id;
  if (auto e = check_path_case(r, &case_id)) return *e;
  auto obj = body_object(r);
  if (!obj.ok()) return obj.error();
  return read_raw_event(*obj, "", case_id);
}

Checked<std::vector<RawEvent>> parse_event_batch(const RequestView& r) {
  auto obj = body_object(r, api_limits::kBulkBodyBytesMax);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  const json* events = reader.array("events", api_limits::kBatchEventsMax, Need::kRequired);
  if (auto e = reader.finish()) return *e;
  if (events->empty()) return ApiError::bad("missing", "events must list at least one event", "events");
  std::vector<RawEvent> out;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string at = "events[" + num(i) + "]";
    if (!(*events)[i].is_object()) {
      return ApiError::bad("wrong_type", at + " must be an object {case_id, kind, body}", at);
    }
    auto e = read_raw_event((*events)[i], at + ".", "");
    if (!e.ok()) return e.error();
    out.push_back(std::move(*e));
  }
  return out;
}

Checked<BackupRequest> parse_backup(const RequestView& r) {
  auto obj = body_object(r);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  BackupRequest out;
  out.path = reader.text("path", api_limits::kPathBytesMax, Need::kRequired).value_or("");
  if (auto e = reader.finish()) return *e;
  if (out.path.front() != '/') {
    return ApiError::bad("bad_value", "path must be absolute (start with /)", "path");
  }
  return out;
}

Checked<RosterPush> parse_roster_push(const RequestView& r) {
  auto obj = body_object(r);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  RosterPush out;
  out.version = reader.number("version", 1, UINT64_MAX >> 1, Need::kRequired).value_or(0);
  out.text = reader.text("text", api_limits::kBodyBytesMax, Need::kRequired, Lines::kMany).value_or("");
  const std::string hex = reader.text("signature", 1024, Need::kRequired).value_or("");
  if (auto e = reader.finish()) return *e;
  auto sig = from_hex(hex);
  if (!sig) return ApiError::bad("bad_value", "signature must be hex", "signature");
  out.signature = std::move(*sig);
  return out;
}

}  // namespace casesync
