#include "common/civil_date.h"

namespace casesync {

namespace {
// Reads exactly `width` ASCII digits at `pos`.
std::optional<int> digits(std::string_view t, std::size_t pos, std::size_t width) {
  if (pos + width > t.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    v = v * 10 + (t[i] - '0');
  }
  return v;
}
}  // namespace

unsigned days_in_month(int year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool valid_civil_date(int year, int month, int day) {
  return year >= 1970 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         static_cast<unsigned>(day) <= days_in_month(year, static_cast<unsigned>(month));
}

// Howard Hinnant's civil_from_days.
CivilDate civil_from_day(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), static_cast<unsigned>(m),
          static_cast<unsigned>(d)};
}

// Howard Hinnant's days_from_civil.
std::int64_t day_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<CivilDate> parse_civil_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto y = digits(t, 0, 4), m = digits(t, 5, 2), d = digits(t, 8, 2);
  if (!y || !m || !d || !valid_civil_date(*y, *m, *d)) return std::nullopt;
  return CivilDate{*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d)};
}

std::optional<LocalDateTime> parse_local_datetime(std::string_view t) {
  auto date = parse_civil_date(t.substr(0, 10));
  if (!date) return std::nullopt;
  if (t.size() == 10) return LocalDateTime{*date, 0};
  if (t.size() != 16 || (t[10] != 'T' && t[10] != ' ') || t[13] != ':') return std::nullopt;
  auto h = digits(t, 11, 2), mi = digits(t, 14, 2);
  if (!h || !mi || *h > 23 || *mi > 59) return std::nullopt;
  return LocalDateTime{*date, *h * 60 + *mi};
}

}  // namespace casesync
