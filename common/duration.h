// Durations in config files and on the command line: "500ms", "10s", "5m", "4h", "3d".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace casesync {

// Milliseconds, or nullopt when `text` is not a number followed by ms|s|m|h|d.
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);
// The shortest exact form: 90000 -> "1m30s", 0 -> "0s".
std::string format_duration_ms(std::uint64_t ms);

}  // namespace casesync
