// ApiError: how the local API says no. Every error answer, whoever produces it (a route, the
// validation layer, httplib itself for 404/413/414, the last-resort catch), has one JSON shape:
//
//   {"error": CODE, "message": "what went wrong and what to do", "field": "the input at fault"}
//
// CODE and `field` are English and stable in every language; `message` is rendered in the
// language of the request (daemon/answer_language.h: ?lang=en, else Accept-Language, else
// Simplified Chinese) from a Text (common/text.h) that holds the English msgid and arguments.
//
// `field` names the body key, query parameter or path part ("applicant", "events[2].case_id",
// "limit", "case_id"), or is "" when no single input is at fault. CODE is a stable token a
// client may switch on:
//
// | status | CODE            | meaning                                                        |
// |--------|-----------------|----------------------------------------------------------------|
// | 400    | bad_json        | the body is not a JSON object (or nests too deep)              |
// | 400    | bad_utf8        | a body, parameter or path part is not UTF-8                    |
// | 400    | wrong_type      | a value of the wrong JSON type (a number where text belongs)   |
// | 400    | missing         | a required value is absent or empty                            |
// | 400    | unknown_field   | a body key or query parameter this route does not take         |
// | 400    | too_long        | text over its character limit (the message names the limit)    |
// | 400    | too_many        | a list or map over its count limit                             |
// | 400    | out_of_range    | a number outside its range                                     |
// | 400    | bad_value       | the right type, not an allowed value (format, choice)          |
// | 400    | bad_request     | a malformed Content-Length                                     |
// | 400    | invalid         | the case rules refuse the value (sync/case_rules.h)            |
// | 403    | forbidden       | this node may never do this to this case                       |
// | 404    | not_found       | no such route, case, hop, node, matter or event kind           |
// | 408    | timeout         | the request did not arrive whole within api.read_timeout       |
// | 409    | conflict        | the case's state forbids it now (closed, held elsewhere, ...)  |
// | 411    | length_required | a body without Content-Length (chunked is not accepted)        |
// | 413    | body_too_large  | the request body, or the event it makes, is over its size      |
// | 414    | uri_too_long    | the request line is over 8 KiB                                 |
// | 415    | unsupported_encoding | a compressed body (Content-Encoding)                      |
// | 431    | head_too_large  | the request line and headers are over 16 KiB                   |
// | 500    | internal        | a bug: counted in api_errors (status, /metrics)                |
// | 503    | unavailable     | the node cannot write now (restored, waiting for its parent)   |
// | 503    | busy            | too many connections (api.max_connections*) or queued requests |
// | 507    | disk_full       | the disk is full: reads still work                             |
#pragma once

#include <cassert>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>

#include "common/status.h"
#include "common/text.h"

namespace casesync {

struct ApiError {
  int status = 400;
  std::string code;
  Text message;
  std::string field;

  nlohmann::json to_json(UiLanguage language) const {
    return {{"error", code}, {"message", message.render(language)}, {"field", field}};
  }
  static ApiError bad(std::string code, Text message, std::string field = "") {
    return {400, std::move(code), std::move(message), std::move(field)};
  }
  static ApiError not_found(Text message, std::string field = "") {
    return {404, "not_found", std::move(message), std::move(field)};
  }
};

// The generic answer for an error status of the core or the store.
ApiError api_error_from_status(const Status& status, std::string field = "");
// The JSON body for an error status with no body of its own (httplib's 404, 413, 414, ...).
ApiError api_error_for_http_status(int status);

// A typed value or the ApiError that stands instead of it.
template <typename T>
class [[nodiscard]] Checked {
 public:
  Checked(T value) : v_(std::move(value)) {}        // NOLINT: implicit, like Result
  Checked(ApiError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const ApiError& error() const {
    assert(!ok());
    return std::get<ApiError>(v_);
  }
  T& operator*() {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& operator*() const {
    assert(ok());
    return std::get<T>(v_);
  }
  T* operator->() { return &**this; }
  const T* operator->() const { return &**this; }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace casesync
