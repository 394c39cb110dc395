// Fuzzes parse_enrollment: a request file a stranger's terminal produced, read by the district
// admin's tool; then approve_enrollment against a small roster.
#include "config/enrollment.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = casesync::parse_enrollment(std::string(casesync::fuzz::as_text(data, size)), "fuzz.json");
  if (!r.is_ok()) return 0;
  (void)casesync::render_enrollment(*r);
  casesync::Roster roster;
  casesync::RosterNode district;
  district.id = "district";
  district.role = casesync::Role::kDistrict;
  district.sign_public_key = std::string(32, '\x01');
  roster.add(district);
  (void)casesync::approve_enrollment(roster, *r);
  return 0;
}
