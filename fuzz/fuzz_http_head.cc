// Fuzzes scan_head: the API's front reads every request head with it before anything else, from
// any local program (or, with TLS, any client). Checks what the front relies on: a complete head
// lies within the bytes seen and within kHeadBytesMax, a body over the limit is always refused,
// and a refusal is a 4xx with a message.
#include <cassert>

#include "daemon/http_head.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace casesync;
  constexpr std::uint64_t kMaxBody = 8u << 20;
  const std::string_view text = fuzz::as_text(data, size);
  const HeadScan scan = scan_head(text, kMaxBody);
  if (scan.refusal) {
    assert(scan.refusal->status >= 400 && scan.refusal->status < 500);
    assert(!scan.refusal->message.empty());
    return 0;
  }
  if (!scan.complete) {
    assert(text.size() < http_limits::kHeadBytesMax);
    return 0;
  }
  assert(scan.head_bytes <= text.size() && scan.head_bytes <= http_limits::kHeadBytesMax);
  assert(text.substr(scan.head_bytes - 4, 4) == "\r\n\r\n");
  assert(scan.content_length <= kMaxBody);
  return 0;
}
