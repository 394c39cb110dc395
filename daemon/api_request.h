// The validation layer of the local API, part 1: reading untrusted input. A request's body,
// query parameters and path parts become typed values, or an ApiError saying which input is
// wrong, why, and what is allowed. Nothing else in daemon/ reads a request's JSON or parameters;
// routes get typed commands (daemon/api_commands.h). Pure — no httplib, no node — so the fuzz
// target (fuzz/fuzz_api_request.cc) drives it directly.
//
// What every reader enforces: text is UTF-8 and within its character limit (sync/limits.h),
// single-line text has no control characters, numbers are whole decimal numbers in range, a
// JSON value has the type asked for, and a key or parameter nobody asked for is refused (a typo
// is an error, not silently ignored).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/api_error.h"

namespace casesync {

// Limits of the API's requests; what a clerk types is bounded by sync/limits.h.
namespace api_limits {
constexpr std::size_t kListLimitDefault = 100;    // rows of a list when `limit` is not given
constexpr std::size_t kListLimitMax = 10000;      // limit=1..10000 on every list
constexpr std::size_t kBodyBytesMax = 1u << 20;   // a request body
// /api/events/batch and /api/import: the upper bound of api.max_body_bytes (config/api_config.cc),
// which the front enforces before a body is read (8 MiB by default).
constexpr std::size_t kBulkBodyBytesMax = 64u << 20;
constexpr std::size_t kBatchEventsMax = 10000;    // events in one /api/events/batch
constexpr std::size_t kImportLinesMax = 10000;    // cases in one /api/import
constexpr std::uint64_t kChangesWaitMaxS = 60;    // long-poll of /api/changes and /api/events
constexpr std::size_t kJsonDepthMax = 16;         // nesting of a body (ours is 3 deep)
constexpr std::size_t kQueryParamsMax = 32;
constexpr std::size_t kBackupNameCharsMax = 128;  // a backup's file name
constexpr std::size_t kMatterCodeCharsMax = 64;   // a matter code of the catalogue
static_assert(kBulkBodyBytesMax >= kBodyBytesMax, "bulk routes take the larger bodies");
}  // namespace api_limits

// One request as the route received it.
struct RequestView {
  std::string_view body;
  std::vector<std::pair<std::string, std::string>> query;  // in order, repeats kept
  std::vector<std::string> path;                            // the route's captures
};

enum class Need { kOptional, kRequired };
enum class Lines { kOne, kMany };  // kMany: newlines and tabs allowed (notes, reasons)

// The reasons text is refused, shared by the body and query readers.
std::optional<ApiError> text_problem(std::string_view text, std::size_t chars_max, Lines lines,
                                     const std::string& field);

// A number read from the request against its range: bad_value when it is none, else
// out_of_range when outside `min..max`. `shown` is the value as the caller gave it.
std::optional<ApiError> number_problem(std::optional<std::uint64_t> v, std::uint64_t min,
                                       std::uint64_t max, const std::string& field,
                                       const std::string& shown);

// The body as one JSON object: UTF-8, not too deep, well-formed, an object.
Checked<nlohmann::json> parse_json_object(std::string_view body, std::size_t bytes_max,
                                          const std::string& field = "");

// The body of a write: no query parameters, a JSON object within `bytes_max`.
Checked<nlohmann::json> post_body(const RequestView& r,
                                  std::size_t bytes_max = api_limits::kBodyBytesMax);

// Reads one JSON object key by key. Getters return nullopt when the key is absent or wrong; the
// first problem is kept and returned by finish(), which also refuses keys nobody asked for.
class JsonObjectReader {
 public:
  // "obj" must outlive the reader; `prefix` names it in errors ("events[2]." or "").
  JsonObjectReader(const nlohmann::json& obj, std::string prefix);

  std::optional<std::string> text(const char* key, std::size_t chars_max, Need need,
                                  Lines lines = Lines::kOne);
  // One of `choices`, else bad_value listing them.
  std::optional<std::string> choice(const char* key, const std::vector<std::string>& choices,
                                    Need need);
  std::optional<std::uint64_t> number(const char* key, std::uint64_t min, std::uint64_t max,
                                      Need need);
  std::optional<bool> boolean(const char* key);
  std::optional<std::vector<std::string>> text_list(const char* key, std::size_t items_max,
                                                    std::size_t chars_max, Need need);
  const nlohmann::json* object(const char* key, Need need);
  const nlohmann::json* array(const char* key, std::size_t items_max, Need need);
  void fail(ApiError e);
  bool failed() const { return error_.has_value(); }
  std::string field(const std::string& key) const { return prefix_ + key; }
  std::optional<ApiError> finish();

 private:
  const nlohmann::json* find(const char* key, Need need);
  const nlohmann::json& obj_;
  std::string prefix_;
  std::set<std::string> asked_;
  std::optional<ApiError> error_;
};

// Reads the query parameters. Each is given at most once unless read with all().
class QueryReader {
 public:
  explicit QueryReader(const RequestView& request);

  // `limit`: 1..kListLimitMax, kListLimitDefault when absent.
  std::size_t limit();
  std::optional<std::uint64_t> number(const char* key, std::uint64_t min, std::uint64_t max);
  std::optional<std::string> text(const char* key, std::size_t chars_max);
  // "1"/"true" or "0"/"false"; false when absent.
  bool flag(const char* key);
  std::vector<std::string> all(const char* key, std::size_t chars_max);
  void fail(ApiError e);
  std::optional<ApiError> finish();

 private:
  const std::string* single(const char* key);
  const RequestView& request_;
  std::set<std::string> asked_;
  std::optional<ApiError> error_;
};

// The parameters of a request target's query string ("/p?a=1&b=%E5%BC%A0" -> a=1, b=张), in
// order: '+' is a space, %XX a byte. Only the URL counts: a form-encoded body is not a query.
std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view target);

// A whole decimal number, or nullopt (a sign, a space or a letter is not a number).
std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace casesync
