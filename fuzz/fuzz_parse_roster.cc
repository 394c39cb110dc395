// Fuzzes parse_roster: a roster arrives from the district over the wire (RosterMsg) and is parsed
// after its signature checks; a bug here is one a stolen root key could exploit on every node.
#include "config/roster_file.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = casesync::parse_roster(std::string(casesync::fuzz::as_text(data, size)), "fuzz.toml");
  if (r.is_ok()) {
    // What parses renders, and the rendering parses again.
    auto again = casesync::parse_roster(casesync::render_roster(*r), "rendered.toml");
    (void)again;
  }
  return 0;
}
