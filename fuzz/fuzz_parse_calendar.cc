// Fuzzes parse_calendar, the working-day calendar (dates, ranges, hours) every deadline rests on.
#include "config/calendar_file.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)casesync::parse_calendar(std::string(casesync::fuzz::as_text(data, size)), "fuzz.toml");
  return 0;
}
