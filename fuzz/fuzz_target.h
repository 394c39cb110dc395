// The one entry point every casesync fuzz target defines: libFuzzer's. The same target builds as
// a libFuzzer binary (make fuzz) and as a corpus replayer run by ctest (replay_main.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace casesync::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace casesync::fuzz
