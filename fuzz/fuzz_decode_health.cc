// Fuzzes decode_health: health reports are relayed from every node of a subtree, so a parent
// decodes bytes that a compromised descendant chose.
#include <cassert>

#include "fuzz/fuzz_target.h"
#include "sync/health_report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = casesync::decode_health(casesync::fuzz::as_text(data, size));
  if (!r.is_ok()) return 0;
  (void)r->upward_in_step();
  auto again = casesync::decode_health(casesync::encode_health(*r));
  assert(again.is_ok() && again->node == r->node);
  return 0;
}
