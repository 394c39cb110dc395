// The case writes of the validation layer (daemon/api_commands.h): a new case, an import, a
// clerk's action, a raw event or a batch of them, each to a typed command whose values are
// within the limits of sync/limits.h and whose event fits an event.
#include <algorithm>

#include "daemon/api_commands.h"
#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/event_content.h"
#include "sync/external_ref.h"
#include "sync/limits.h"

namespace casesync {

using nlohmann::json;

namespace {

namespace k = kinds;

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
                  ui_text("the event would be about %s bytes; the limit of one event is %s bytes: "
                          "shorten the longest values",
                          bytes, limits::kEventBytesMax),
                  field};
}

std::string join_lines(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "\n") + n;
  return out;
}


// ---- free fields of a new case

std::optional<std::string> field_value(const json& v, const std::string& at, JsonObjectReader& r) {
  if (v.is_number_integer() || v.is_boolean()) return v.dump();  // legacy exports are numeric
  if (!v.is_string()) {
    r.fail(ApiError::bad("wrong_type", ui_text("%s must be text, a whole number or true/false", at),
                         at));
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
    r.fail(ApiError::bad("too_many",
                         ui_text("fields has %s entries; the limit is %s", obj->size(),
                                 limits::kCaseFieldsMax),
                         r.field("fields")));
    return out;
  }
  for (const auto& [key, v] : obj->items()) {
    const std::string at = r.field("fields." + key);
    if (auto p = text_problem(key, limits::kBodyKeyBytesMax, Lines::kOne, at)) {
      r.fail(std::move(*p));
      return out;
    }
    if (key.empty() || key.size() > limits::kBodyKeyBytesMax || is_named_case_key(key)) {
      r.fail(ApiError::bad("bad_value",
                           ui_text("%s: a field name is 1..%s bytes and not matter, applicant, "
                                   "id_number, materials, legacy_id, external_ref or "
                                   "external_source (give those at the top level)",
                                   at, limits::kBodyKeyBytesMax),
                           at));
      return out;
    }
    auto value = field_value(v, at, r);
    if (!value) return out;
    out[key] = *value;
  }
  return out;
}

// A department system's reference goes with the system's name, and each has its form.
std::optional<ApiError> external_problem(const json& obj, const NewCase& c,
                                         const JsonObjectReader& r) {
  const bool has_source = obj.contains("source"), has_ref = obj.contains("external_ref");
  if (has_source != has_ref) {
    const char* missing = has_source ? "external_ref" : "source";
    return ApiError::bad("missing",
                         ui_text("%s is missing: a department system's reference (external_ref) "
                                 "and the system's short name (source) go together",
                                 missing),
                         r.field(missing));
  }
  if (!has_source) return std::nullopt;
  if (auto p = external_source_problem(c.source)) {
    return ApiError::bad("bad_value", *p, r.field("source"));
  }
  if (auto p = external_ref_problem(c.external_ref)) {
    return ApiError::bad("bad_value", *p, r.field("external_ref"));
  }
  return std::nullopt;
}

Checked<NewCase> read_new_case(const json& obj, const std::string& prefix) {
  JsonObjectReader r(obj, prefix);
  NewCase c;
  c.matter = r.text("matter", api_limits::kMatterCodeCharsMax, Need::kRequired).value_or("");
  c.applicant = r.text("applicant", limits::kApplicantCharsMax, Need::kRequired).value_or("");
  c.id_number = r.text("id_number", value_chars_max(k::kIdNumber), Need::kOptional).value_or("");
  c.legacy_id = r.text("legacy_id", value_chars_max(k::kLegacyId), Need::kOptional).value_or("");
  c.materials = r.text_list("materials", limits::kMaterialsMax, limits::kMaterialCharsMax,
                            Need::kOptional).value_or(std::vector<std::string>{});
  c.source = r.text("source", limits::kExternalSourceBytesMax, Need::kOptional).value_or("");
  c.external_ref =
      r.text("external_ref", limits::kExternalRefCharsMax, Need::kOptional).value_or("");
  c.fields = read_fields(r);
  if (auto e = r.finish()) return *e;
  if (auto e = external_problem(obj, c, r)) return *e;
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
  return ApiError::bad("too_long",
                       ui_text("%s is longer than %s bytes", at, limits::kBodyKeyBytesMax), at);
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
    r.fail(ApiError::bad("wrong_type", ui_text("%s must be text", at), at));
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
    r.fail(ApiError::not_found(ui_text("unknown event kind \"%s\"", e.kind), r.field("kind")));
  }
  if (const json* body = r.object("body", Need::kOptional)) {
    if (body->size() > limits::kBodyFieldsMax) {
      r.fail(ApiError::bad("too_many",
                           ui_text("%s has %s fields; the limit is %s", r.field("body"),
                                   body->size(), limits::kBodyFieldsMax),
                           r.field("body")));
    }
    for (const auto& [key, v] : body->items()) {
      if (r.failed()) break;
      const std::string at = r.field("body." + key);
      if (key.empty() || key.size() > limits::kBodyKeyBytesMax) {
        r.fail(ApiError::bad("bad_value",
                             ui_text("%s: a body key is 1..%s bytes", at, limits::kBodyKeyBytesMax),
                             at));
        break;
      }
      if (is_actor_key(key)) {
        r.fail(ApiError::bad("bad_value",
                             ui_text("%s: the clerk is named by the node from the token, never by "
                                     "the request",
                                     at),
                             at));
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

// ---------------------------------------------------------------------------- writes

std::map<std::string, std::string> new_case_body(const NewCase& c) {
  std::map<std::string, std::string> body = c.fields;
  body[str(k::kMatter)] = c.matter;
  body[str(k::kApplicant)] = c.applicant;
  if (!c.id_number.empty()) body[str(k::kIdNumber)] = c.id_number;
  if (!c.materials.empty()) body[str(k::kMaterials)] = join_lines(c.materials);
  if (!c.legacy_id.empty()) body[str(k::kLegacyId)] = c.legacy_id;
  if (!c.external_ref.empty()) {
    body[str(k::kExternalSource)] = c.source;
    body[str(k::kExternalRef)] = c.external_ref;
  }
  return body;
}

std::string new_case_external_id(const NewCase& c) {
  return c.external_ref.empty() ? "" : external_case_id(c.source, c.external_ref);
}

Checked<NewCase> parse_new_case(const RequestView& r) {
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  return read_new_case(*obj, "");
}

Checked<std::vector<NewCase>> parse_import(const RequestView& r) {
  if (QueryReader q(r); auto e = q.finish()) return *e;
  if (r.body.size() > api_limits::kBulkBodyBytesMax) {
    return ApiError{413, "body_too_large",
                    ui_text("an import is at most %s bytes; split the file",
                            api_limits::kBulkBodyBytesMax),
                    ""};
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
      return ApiError::bad("too_many",
                           ui_text("at most %s cases per import; split the file",
                                   api_limits::kImportLinesMax),
                           "line " + num(n));
    }
    const std::string where = "line " + num(n);
    auto obj = parse_json_object(line, api_limits::kBodyBytesMax, where);
    if (!obj.ok()) return obj.error();
    auto c = read_new_case(*obj, where + ".");
    if (!c.ok()) {
      ApiError e = c.error();
      e.message = Text::layout("%s: %s", {Text(where), e.message});
      return e;
    }
    c->line = n;
    out.push_back(std::move(*c));
  }
  if (out.empty()) {
    return ApiError::bad("missing", ui_text("the import holds no cases (one JSON object per line)"));
  }
  return out;
}

Checked<CaseAction> parse_case_action(const RequestView& r) {
  CaseAction out;
  if (auto e = path_case_id(r, &out.case_id)) return *e;
  out.action = r.path.size() > 1 ? r.path[1] : "";
  if (auto p = text_problem(out.action, 32, Lines::kOne, "action")) return *p;
  const ActionSpec* spec = find_action(out.action);
  if (!spec) {
    std::string all;
    for (const auto& s : action_specs()) all += (all.empty() ? "" : ", ") + str(s.action);
    return ApiError::not_found(
        ui_text("no case action \"%s\" (actions: %s, events)", out.action, all), "action");
  }
  out.kind = str(spec->kind);
  out.needs_hop = spec->needs_hop;
  out.wants_hop = spec->wants_hop;
  auto obj = post_body(r);
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

Checked<std::vector<std::string>> catalogue_materials(const std::string& matter,
                                                      const std::vector<std::string>& allowed,
                                                      const std::vector<std::string>& names,
                                                      const std::string& field) {
  std::string listed;
  for (const auto& a : allowed) listed += (listed.empty() ? "\"" : "\", \"") + a;
  listed = allowed.empty() ? "none" : listed + "\"";
  std::vector<std::string> out;
  for (const auto& name : names) {
    std::vector<std::string> matches;
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      matches = {name};
    } else {
      for (const auto& a : allowed) {
        if (!name.empty() && a.rfind(name, 0) == 0) matches.push_back(a);
      }
    }
    if (matches.size() != 1) {
      return ApiError::bad(matches.empty() ? "unknown_material" : "ambiguous_material",
                           matches.empty()
                               ? ui_text("material \"%s\" is not one of the materials of matter "
                                         "%s (%s); give one of them as listed",
                                         name, matter, listed)
                               : ui_text("material \"%s\" names more than one of the materials "
                                         "of matter %s (%s); give one of them as listed",
                                         name, matter, listed),
                           field);
    }
    if (std::find(out.begin(), out.end(), matches[0]) == out.end()) out.push_back(matches[0]);
  }
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
  if (auto e = path_case_id(r, &case_id)) return *e;
  auto obj = post_body(r);
  if (!obj.ok()) return obj.error();
  auto e = read_raw_event(*obj, "", case_id);
  if (e.ok() && e->kind == kinds::kCreated) {
    // The id of a new case is the node's to give (or its reference's): a caller's id could be
    // one the node gives later and poison its next create.
    return ApiError::bad("bad_value",
                         ui_text("a case is created with POST /api/cases, which gives it its id, "
                                 "not under an id of the caller's choosing"),
                         "kind");
  }
  return e;
}

Checked<std::vector<RawEvent>> parse_event_batch(const RequestView& r) {
  auto obj = post_body(r, api_limits::kBulkBodyBytesMax);
  if (!obj.ok()) return obj.error();
  JsonObjectReader reader(*obj, "");
  const json* events = reader.array("events", api_limits::kBatchEventsMax, Need::kRequired);
  if (auto e = reader.finish()) return *e;
  if (events->empty()) {
    return ApiError::bad("missing", ui_text("events must list at least one event"), "events");
  }
  std::vector<RawEvent> out;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string at = "events[" + num(i) + "]";
    if (!(*events)[i].is_object()) {
      return ApiError::bad("wrong_type", ui_text("%s must be an object {case_id, kind, body}", at),
                           at);
    }
    auto e = read_raw_event((*events)[i], at + ".", "");
    if (!e.ok()) return e.error();
    if (e->kind == kinds::kCreated) {
      const json* body = (*events)[i].contains("body") ? &(*events)[i]["body"] : nullptr;
      auto c = read_new_case(body ? *body : json::object(), at + ".body.");
      if (!c.ok()) return c.error();
      e->body = new_case_body(*c);
      e->new_case = std::move(*c);
    }
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace casesync
