#include "daemon/api_error.h"

namespace casesync {

ApiError api_error_from_status(const Status& st, std::string field) {
  switch (st.code()) {
    case Code::kInvalidArgument: return {400, "invalid", st.text(), std::move(field)};
    case Code::kNotFound: return {404, "not_found", st.text(), std::move(field)};
    case Code::kUnauthorized:
    case Code::kPermission: return {403, "forbidden", st.text(), std::move(field)};
    case Code::kDiskFull: return {507, "disk_full", st.text(), ""};
    case Code::kUnavailable: return {503, "unavailable", st.text(), ""};
    case Code::kOk:
    case Code::kCorruption:
    case Code::kIoError:
    case Code::kEquivocation:
    case Code::kInternal: break;
  }
  return {500, "internal", Text::layout("%s: %s", {Text(code_name(st.code())), st.text()}), ""};
}

ApiError api_error_for_http_status(int status) {
  switch (status) {
    case 400: return {400, "bad_json", ui_text("the request is not well-formed HTTP"), ""};
    case 404:
      return {404, "not_found", ui_text("no such route; the routes are listed in casesyncctl "
                                        "--help and the header of daemon/api_server.h"), ""};
    case 405: return {405, "not_found", ui_text("this route does not take that method"), ""};
    case 413:
      return {413, "body_too_large",
              ui_text("the request body is too large (at most api.max_body_bytes, 8 MiB by "
                      "default, for /api/import and /api/events/batch; 1 MiB elsewhere)"), ""};
    case 414: return {414, "uri_too_long", ui_text("the request line is longer than 8 KiB"), ""};
    default: break;
  }
  return {status, status >= 500 ? "internal" : "bad_value", ui_text("HTTP status %s", status),
          ""};
}

}  // namespace casesync
