// The query-string half of the validation layer (daemon/api_request.h): decoding a request
// target's parameters and reading them as typed, bounded values.
#include <algorithm>

#include "daemon/answer_language.h"
#include "daemon/api_request.h"

namespace casesync {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  const auto hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    out.emplace_back(percent_decode(part.substr(0, eq)),
                     eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1)));
  }
  return out;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  constexpr std::size_t kDigitsMax = 19;  // every 19-digit number fits 64 bits
  if (text.empty() || text.size() > kDigitsMax) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// ---------------------------------------------------------------------------- QueryReader

QueryReader::QueryReader(const RequestView& request) : request_(request) {
  if (request.query.size() > api_limits::kQueryParamsMax) {
    fail(ApiError::bad("too_many",
                       ui_text("at most %s query parameters", api_limits::kQueryParamsMax), ""));
  }
}

void QueryReader::fail(ApiError e) {
  if (!error_) error_ = std::move(e);
}

const std::string* QueryReader::single(const char* key) {
  asked_.insert(key);
  const std::string* found = nullptr;
  for (const auto& [k, v] : request_.query) {
    if (k != key) continue;
    if (found) {
      fail(ApiError::bad("bad_value", ui_text("%s is given twice", key), key));
      return nullptr;
    }
    found = &v;
  }
  return error_ ? nullptr : found;
}

std::size_t QueryReader::limit() {
  auto n = number("limit", 1, api_limits::kListLimitMax);
  return n ? static_cast<std::size_t>(*n) : api_limits::kListLimitDefault;
}

std::optional<std::uint64_t> QueryReader::number(const char* key, std::uint64_t min,
                                                 std::uint64_t max) {
  const std::string* v = single(key);
  if (!v) return std::nullopt;
  if (auto p = text_problem(*v, 64, Lines::kOne, key)) {
    fail(std::move(*p));
    return std::nullopt;
  }
  auto n = parse_decimal(*v);
  if (auto p = number_problem(n, min, max, key, "\"" + *v + "\"")) {
    fail(std::move(*p));
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> QueryReader::text(const char* key, std::size_t chars_max) {
  const std::string* v = single(key);
  if (!v) return std::nullopt;
  if (auto p = text_problem(*v, chars_max, Lines::kOne, key)) {
    fail(std::move(*p));
    return std::nullopt;
  }
  return *v;
}

bool QueryReader::flag(const char* key) {
  auto v = text(key, 8);
  if (!v) return false;
  if (*v == "1" || *v == "true") return true;
  if (*v != "0" && *v != "false") {
    fail(ApiError::bad("bad_value", ui_text("%s must be 1 or 0, not \"%s\"", key, *v), key));
  }
  return false;
}

std::vector<std::string> QueryReader::all(const char* key, std::size_t chars_max) {
  asked_.insert(key);
  std::vector<std::string> out;
  for (const auto& [k, v] : request_.query) {
    if (k != key) continue;
    if (auto p = text_problem(v, chars_max, Lines::kOne, key)) {
      fail(std::move(*p));
      return {};
    }
    out.push_back(v);
  }
  return out;
}

std::optional<ApiError> QueryReader::finish() {
  if (error_) return error_;
  for (const auto& [k, v] : request_.query) {
    // lang= is the answer's language on every route (daemon/answer_language.h).
    if (asked_.count(k) || k == kLanguageParameter) continue;
    if (auto p = text_problem(k, 64, Lines::kOne, "a query parameter")) return p;
    std::string known;
    for (const auto& a : asked_) known += (known.empty() ? "" : ", ") + a;
    return ApiError::bad("unknown_field",
                         known.empty() ? ui_text("%s is not a parameter here (this route takes none)", k)
                                       : ui_text("%s is not a parameter here (parameters: %s)", k,
                                                 known),
                         k);
  }
  return std::nullopt;
}

}  // namespace casesync
