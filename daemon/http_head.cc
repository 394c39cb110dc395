#include "daemon/http_head.h"

#include <string>

namespace casesync {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// At most 19 digits, so the value fits in 64 bits; nothing else (no sign, no space inside).
std::optional<std::uint64_t> content_length_value(std::string_view v) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

ApiError too_large(std::uint64_t length, std::uint64_t max_body_bytes) {
  return {413, "body_too_large",
          ui_text("the request body is %s bytes; this node takes at most %s bytes in one request "
                  "(api.max_body_bytes): send fewer events or import lines at a time",
                  length, max_body_bytes),
          ""};
}

// What the headers say, read line by line; the first refusal wins.
struct HeadFields {
  std::optional<std::uint64_t> length;
  std::optional<ApiError> refusal;
  std::string_view connection;
  bool expect_continue = false;

  void read(std::string_view name, std::string_view value) {
    if (refusal) return;
    if (iequals(name, "Content-Length")) {
      auto n = content_length_value(value);
      if (!n || (length && *length != *n)) {
        refusal = ApiError::bad("bad_request",
                                ui_text("Content-Length must be one whole decimal number of "
                                        "bytes"));
      }
      length = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      refusal = ApiError{411, "length_required",
                         ui_text("send the body with a Content-Length; Transfer-Encoding "
                                 "(chunked) is not accepted"),
                         ""};
    } else if (iequals(name, "Content-Encoding") && !iequals(value, "identity")) {
      refusal = ApiError{415, "unsupported_encoding",
                         ui_text("the body is encoded (Content-Encoding: %s); send it "
                                 "uncompressed",
                                 value),
                         ""};
    } else if (iequals(name, "Connection")) {
      connection = value;
    } else if (iequals(name, "Expect")) {
      expect_continue = iequals(value, "100-continue");
    }
  }
};

}  // namespace

HeadScan scan_head(std::string_view received, std::uint64_t max_body_bytes) {
  HeadScan out;
  const std::size_t end = received.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > http_limits::kHeadBytesMax) {
    if (received.size() >= http_limits::kHeadBytesMax) {
      out.refusal = ApiError{431, "head_too_large",
                             ui_text("the request line and headers are over %s KiB",
                                     http_limits::kHeadBytesMax / 1024),
                             ""};
    }
    return out;
  }
  out.complete = true;
  out.head_bytes = end + 4;
  std::string_view head = received.substr(0, end + 2);  // every line ends with CRLF
  const std::size_t first_eol = head.find("\r\n");
  const std::string_view request_line = head.substr(0, first_eol);
  const bool http10 = request_line.size() >= 8 &&
                      request_line.substr(request_line.size() - 8) == "HTTP/1.0";
  HeadFields fields;
  for (std::size_t pos = first_eol + 2; pos < head.size();) {
    const std::size_t eol = head.find("\r\n", pos);
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // httplib skips such a line too
    fields.read(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  out.keep_alive = http10 ? iequals(fields.connection, "keep-alive")
                          : !iequals(fields.connection, "close");
  out.content_length = fields.length.value_or(0);
  out.expect_continue = fields.expect_continue;
  out.refusal = fields.refusal;
  if (!out.refusal && out.content_length > max_body_bytes) {
    out.refusal = too_large(out.content_length, max_body_bytes);
  }
  return out;
}

}  // namespace casesync
