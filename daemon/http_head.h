// The front of the local API reads a request's head before any thread or buffer is spent on it
// (daemon/http_front.h). This is that reading: from the bytes received so far (peeked, not
// consumed), whether the head is complete, how long the request is, and whether it must be
// refused before its body is read. Pure, so it is unit-tested and fuzzed on its own.
//
// It decides only what the front must know; httplib parses the same head again, fully, when a
// worker serves the request. What it refuses, it refuses because a body would otherwise be read
// without a bound:
//   - a Content-Length above api.max_body_bytes: 413, before one byte of the body is read;
//   - Transfer-Encoding (chunked or any other): 411. httplib 0.11 applies no size limit to a
//     chunked body and would read all of it into memory;
//   - Content-Encoding other than identity: 415. httplib would inflate it without a limit;
//   - a head over kHeadBytesMax: 431; a malformed Content-Length: 400.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "daemon/api_error.h"

namespace casesync {

namespace http_limits {
// A request line and its headers. httplib refuses a request line over 8 KiB (414) and a header
// line over 8 KiB; a whole head beyond this is refused here (431).
constexpr std::size_t kHeadBytesMax = 16 * 1024;
// A request whose head and body together fit this is read whole by the front before a worker
// takes it, so a client that sends slowly holds no thread. Kept below any socket receive window
// (Linux starts at 64 KiB), or the rest of the body could never arrive while we only peek.
constexpr std::size_t kWholeRequestBytesMax = 32 * 1024;
static_assert(kHeadBytesMax < kWholeRequestBytesMax, "a small request is a head and a body");
}  // namespace http_limits

struct HeadScan {
  bool complete = false;            // the blank line that ends the head has arrived
  std::size_t head_bytes = 0;       // through the blank line
  std::uint64_t content_length = 0;
  bool keep_alive = true;           // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive
  bool expect_continue = false;     // "Expect: 100-continue": the body comes after httplib's 100
  std::optional<ApiError> refusal;  // answer this and close; set only when complete or too long

  // Head and body: what a worker may read of this request, and no byte beyond it.
  std::uint64_t request_bytes() const { return head_bytes + content_length; }
};

// `received`: the first bytes of a request as they stand. Not complete and no refusal: wait for
// more (the caller bounds the wait with api.read_timeout).
HeadScan scan_head(std::string_view received, std::uint64_t max_body_bytes);

}  // namespace casesync
