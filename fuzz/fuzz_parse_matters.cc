// Fuzzes parse_matters, the matters catalogue the district ships as a data file.
#include "config/matters_file.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)casesync::parse_matters(std::string(casesync::fuzz::as_text(data, size)), "fuzz.toml");
  return 0;
}
