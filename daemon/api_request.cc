#include "daemon/api_request.h"

#include <algorithm>

#include "common/utf8.h"

namespace casesync {

using nlohmann::json;

namespace {

std::string num(std::uint64_t n) { return std::to_string(n); }

Text type_name(const json& v) {
  if (v.is_string()) return ui_text("text");
  if (v.is_number()) return ui_text("a number");
  if (v.is_boolean()) return ui_text("true/false");
  if (v.is_array()) return ui_text("a list");
  if (v.is_object()) return ui_text("an object");
  return "null";
}

ApiError wrong_type(const std::string& field, const Text& want, const json& got) {
  return ApiError::bad("wrong_type", ui_text("%s must be %s, not %s", field, want, type_name(got)),
                       field);
}

bool is_control(unsigned char c, Lines lines) {
  if (lines == Lines::kMany && (c == '\n' || c == '\r' || c == '\t')) return false;
  return c < 0x20 || c == 0x7F;
}

// Depth of [ and { outside strings; a scan, so a hostile body never reaches a deep recursion.
std::size_t json_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::optional<ApiError> text_problem(std::string_view text, std::size_t chars_max, Lines lines,
                                     const std::string& field) {
  if (!valid_utf8(text)) {
    return ApiError::bad("bad_utf8",
                         ui_text("%s is not UTF-8 text (bad byte at offset %s)", field,
                                 utf8_error_offset(text)),
                         field);
  }
  const std::size_t chars = utf8_chars(text);
  if (chars > chars_max) {
    return ApiError::bad("too_long",
                         ui_text("%s has %s characters; the limit is %s", field, chars, chars_max),
                         field);
  }
  const auto bad = std::find_if(text.begin(), text.end(), [&](char c) {
    return is_control(static_cast<unsigned char>(c), lines);
  });
  if (bad != text.end()) {
    return ApiError::bad("bad_value",
                         lines == Lines::kOne
                             ? ui_text("%s contains a control character (byte %s); it must be one "
                                       "line",
                                       field, static_cast<unsigned char>(*bad))
                             : ui_text("%s contains a control character (byte %s)", field,
                                       static_cast<unsigned char>(*bad)),
                         field);
  }
  return std::nullopt;
}

Checked<json> parse_json_object(std::string_view body, std::size_t bytes_max,
                                const std::string& field) {
  const Text where = field.empty() ? ui_text("the request body") : Text(field);
  if (body.size() > bytes_max) {
    return ApiError{413, "body_too_large",
                    ui_text("%s is %s bytes; the limit is %s", where, body.size(), bytes_max),
                    field};
  }
  if (!valid_utf8(body)) {
    return ApiError::bad("bad_utf8",
                         ui_text("%s is not UTF-8 (bad byte at offset %s)", where,
                                 utf8_error_offset(body)),
                         field);
  }
  if (json_depth(body) > api_limits::kJsonDepthMax) {
    return ApiError::bad("bad_json",
                         ui_text("%s nests deeper than %s levels", where, api_limits::kJsonDepthMax),
                         field);
  }
  json parsed;
  try {
    parsed = json::parse(body.empty() ? std::string_view("{}") : body);
  } catch (const json::exception& e) {
    // The parser quotes the token it stopped at, perhaps half a character of it.
    return ApiError::bad("bad_json", ui_text("%s is not JSON: %s", where, utf8_sanitize(e.what())),
                         field);
  }
  if (!parsed.is_object()) {
    return ApiError::bad("bad_json",
                         ui_text("%s must be a JSON object {...}, not %s", where, type_name(parsed)),
                         field);
  }
  return parsed;
}

std::optional<ApiError> number_problem(std::optional<std::uint64_t> v, std::uint64_t min,
                                       std::uint64_t max, const std::string& field,
                                       const std::string& shown) {
  const std::string range = num(min) + ".." + num(max);
  if (!v) {
    return ApiError::bad("bad_value",
                         ui_text("%s must be a whole number %s, not %s", field, range, shown),
                         field);
  }
  if (*v < min || *v > max) {
    return ApiError::bad("out_of_range", ui_text("%s is %s; allowed: %s", field, *v, range),
                         field);
  }
  return std::nullopt;
}

Checked<json> post_body(const RequestView& r, std::size_t bytes_max) {
  if (QueryReader q(r); auto e = q.finish()) return *e;  // a write takes no parameters
  return parse_json_object(r.body, bytes_max);
}

// ---------------------------------------------------------------------------- JsonObjectReader

JsonObjectReader::JsonObjectReader(const json& obj, std::string prefix)
    : obj_(obj), prefix_(std::move(prefix)) {}

void JsonObjectReader::fail(ApiError e) {
  if (!error_) error_ = std::move(e);
}

const json* JsonObjectReader::find(const char* key, Need need) {
  asked_.insert(key);
  if (error_) return nullptr;
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) {
    if (need == Need::kRequired) fail(ApiError::bad("missing", ui_text("%s is required", field(key)), field(key)));
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> JsonObjectReader::text(const char* key, std::size_t chars_max,
                                                  Need need, Lines lines) {
  const json* v = find(key, need);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(wrong_type(field(key), ui_text("text"), *v));
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (auto p = text_problem(s, chars_max, lines, field(key))) {
    fail(std::move(*p));
    return std::nullopt;
  }
  if (s.empty() && need == Need::kRequired) {
    fail(ApiError::bad("missing", ui_text("%s must not be empty", field(key)), field(key)));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> JsonObjectReader::choice(const char* key,
                                                    const std::vector<std::string>& choices,
                                                    Need need) {
  auto v = text(key, 64, need);
  if (!v) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *v) != choices.end()) return v;
  std::string allowed;
  for (const auto& c : choices) allowed += (allowed.empty() ? "" : ", ") + c;
  fail(ApiError::bad("bad_value",
                     ui_text("%s must be one of %s, not \"%s\"", field(key), allowed, *v),
                     field(key)));
  return std::nullopt;
}

std::optional<std::uint64_t> JsonObjectReader::number(const char* key, std::uint64_t min,
                                                      std::uint64_t max, Need need) {
  const json* v = find(key, need);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    fail(wrong_type(field(key), ui_text("a whole number"), *v));
    return std::nullopt;
  }
  // A negative number is out of every range here; its magnitude is shown as given.
  std::optional<std::uint64_t> n;
  if (v->is_number_unsigned()) n = v->get<std::uint64_t>();
  if (!n) {
    fail(ApiError::bad("out_of_range",
                       ui_text("%s is %s; allowed: %s", field(key), v->dump(),
                               num(min) + ".." + num(max)),
                       field(key)));
    return std::nullopt;
  }
  if (auto p = number_problem(n, min, max, field(key), v->dump())) {
    fail(std::move(*p));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> JsonObjectReader::boolean(const char* key) {
  const json* v = find(key, Need::kOptional);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(wrong_type(field(key), ui_text("true or false"), *v));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<std::string>> JsonObjectReader::text_list(const char* key,
                                                                    std::size_t items_max,
                                                                    std::size_t chars_max,
                                                                    Need need) {
  const json* v = array(key, items_max, need);
  if (!v) return std::nullopt;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& item = (*v)[i];
    const std::string at = field(key) + "[" + num(i) + "]";
    if (!item.is_string()) {
      fail(wrong_type(at, ui_text("text"), item));
      return std::nullopt;
    }
    const auto& s = item.get_ref<const std::string&>();
    if (auto p = text_problem(s, chars_max, Lines::kOne, at)) {
      fail(std::move(*p));
      return std::nullopt;
    }
    if (s.empty()) {
      fail(ApiError::bad("missing", ui_text("%s must not be empty", at), at));
      return std::nullopt;
    }
    out.push_back(s);
  }
  if (out.empty() && need == Need::kRequired) {
    fail(ApiError::bad("missing", ui_text("%s must list at least one", field(key)), field(key)));
    return std::nullopt;
  }
  return out;
}

const json* JsonObjectReader::object(const char* key, Need need) {
  const json* v = find(key, need);
  if (v && !v->is_object()) {
    fail(wrong_type(field(key), ui_text("an object {...}"), *v));
    return nullptr;
  }
  return v;
}

const json* JsonObjectReader::array(const char* key, std::size_t items_max, Need need) {
  const json* v = find(key, need);
  if (!v) return nullptr;
  if (!v->is_array()) {
    fail(wrong_type(field(key), ui_text("a list [...]"), *v));
    return nullptr;
  }
  if (v->size() > items_max) {
    fail(ApiError::bad("too_many",
                       ui_text("%s has %s items; the limit is %s", field(key), v->size(), items_max),
                       field(key)));
    return nullptr;
  }
  return v;
}

std::optional<ApiError> JsonObjectReader::finish() {
  if (error_) return error_;
  for (const auto& [k, v] : obj_.items()) {
    if (asked_.count(k)) continue;
    std::string known;
    for (const auto& a : asked_) known += (known.empty() ? "" : ", ") + a;
    return ApiError::bad("unknown_field",
                         known.empty() ? ui_text("%s is not a field here", field(k))
                                       : ui_text("%s is not a field here (fields: %s)", field(k),
                                                 known),
                         field(k));
  }
  return std::nullopt;
}

}  // namespace casesync
