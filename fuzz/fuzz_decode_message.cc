// Fuzzes decode_message, the first decoder every byte from a peer meets: it must refuse anything
// malformed with a Status, never crash or allocate past the input, and what it accepts must
// survive a re-encode.
#include <cassert>

#include "fuzz/fuzz_target.h"
#include "sync/limits.h"
#include "sync/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = casesync::decode_message(casesync::fuzz::as_text(data, size));
  if (!m.is_ok()) return 0;
  assert(size <= casesync::limits::kFrameBytesMax);
  const std::string again = casesync::encode_message(*m);
  auto m2 = casesync::decode_message(again);
  assert(m2.is_ok() && "a decoded message must decode again after re-encoding");
  assert(m2->index() == m->index());
  return 0;
}
