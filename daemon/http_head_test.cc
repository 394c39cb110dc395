// Proves the front's reading of a request head: complete only at CRLF CRLF, the request's length
// from Content-Length, keep-alive by version and Connection, and a refusal before the body for
// every body httplib would read without a bound (too long, chunked, compressed) or a head too
// long to be one.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>

#include "daemon/http_head.h"

using namespace casesync;

namespace {
constexpr std::uint64_t kMax = 8u << 20;
}

TEST_CASE("a head is complete at its blank line, and the request's length follows from it") {
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t cut = 0; cut < get.size(); ++cut) {
    const HeadScan partial = scan_head(get.substr(0, cut), kMax);
    CHECK_FALSE(partial.complete);
    CHECK_FALSE(partial.refusal);
  }
  const HeadScan whole = scan_head(get + "GET /next", kMax);  // a pipelined request follows
  CHECK(whole.complete);
  CHECK(whole.head_bytes == get.size());
  CHECK(whole.request_bytes() == get.size());
  CHECK(whole.keep_alive);

  const HeadScan post =
      scan_head("POST /api/cases HTTP/1.1\r\ncontent-length:  12 \r\n\r\n{\"a\":", kMax);
  CHECK(post.complete);
  CHECK(post.content_length == 12);
  CHECK(post.request_bytes() == post.head_bytes + 12);
}

TEST_CASE("keep-alive: HTTP/1.1 unless closed, HTTP/1.0 only when asked") {
  CHECK_FALSE(scan_head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", kMax).keep_alive);
  CHECK_FALSE(scan_head("GET / HTTP/1.0\r\n\r\n", kMax).keep_alive);
  CHECK(scan_head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", kMax).keep_alive);
  CHECK(scan_head("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", kMax).expect_continue);
}

TEST_CASE("bodies read without a bound are refused before they are read") {
  auto refusal = [](const std::string& head) {
    const HeadScan s = scan_head(head, kMax);
    REQUIRE(s.refusal);
    return *s.refusal;
  };
  const ApiError big = refusal("POST / HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n");
  CHECK(big.status == 413);
  CHECK(big.message.english().find("api.max_body_bytes") != std::string::npos);
  CHECK_FALSE(scan_head("POST / HTTP/1.1\r\nContent-Length: 8388608\r\n\r\n", kMax).refusal);
  CHECK(refusal("POST / HTTP/1.1\r\nContent-Length: 8388609\r\n\r\n").status == 413);
  CHECK(refusal("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").status == 411);
  CHECK(refusal("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status == 411);
  CHECK(refusal("POST / HTTP/1.1\r\nContent-Encoding: gzip\r\n\r\n").status == 415);
  CHECK_FALSE(scan_head("POST / HTTP/1.1\r\nContent-Encoding: identity\r\n\r\n", kMax).refusal);
  for (const char* bad : {"-1", "+5", "1 2", "0x10", "", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(refusal(std::string("POST / HTTP/1.1\r\nContent-Length: ") + bad + "\r\n\r\n").status ==
          400);
  }
  // Two lengths that disagree are how requests are smuggled past a proxy.
  CHECK(refusal("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").status == 400);
}

TEST_CASE("a head longer than kHeadBytesMax is refused, complete or not") {
  const std::string filler(http_limits::kHeadBytesMax, 'a');
  const HeadScan endless = scan_head("GET / HTTP/1.1\r\nX: " + filler, kMax);
  REQUIRE(endless.refusal);
  CHECK(endless.refusal->status == 431);
  const HeadScan late = scan_head("GET / HTTP/1.1\r\nX: " + filler + "\r\n\r\n", kMax);
  REQUIRE(late.refusal);
  CHECK(late.refusal->status == 431);
}
