#include "common/duration.h"

#include <cctype>

namespace casesync {

namespace {
constexpr std::uint64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute,
                        kDay = 24 * kHour;
constexpr std::uint64_t kMaxDurationMs = 3650 * kDay;  // ten years: beyond is surely a typo
}  // namespace

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (n > kMaxDurationMs) return std::nullopt;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = text.substr(i);
  std::uint64_t mult = 0;
  if (unit == "ms") mult = 1;
  if (unit == "s") mult = kSecond;
  if (unit == "m") mult = kMinute;
  if (unit == "h") mult = kHour;
  if (unit == "d") mult = kDay;
  if (mult == 0 || n * mult > kMaxDurationMs) return std::nullopt;
  return n * mult;
}

std::string format_duration_ms(std::uint64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  const std::pair<std::uint64_t, const char*> units[] = {
      {kDay, "d"}, {kHour, "h"}, {kMinute, "m"}, {kSecond, "s"}, {1, "ms"}};
  for (const auto& [size, name] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size) + name;
      ms %= size;
    }
  }
  return out;
}

}  // namespace casesync
