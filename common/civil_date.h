// Civil dates typed by people (CLI flags, calendar files): strict parsing, so 2026-02-30 is
// refused instead of rolling over to 2026-03-02, and trailing junk is never ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace casesync {

struct CivilDate {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
};

// Days in `month` of `year` (proleptic Gregorian). REQUIRES: 1 <= month <= 12.
unsigned days_in_month(int year, unsigned month);
bool valid_civil_date(int year, int month, int day);
// Day numbers (days since 1970-01-01) to and from civil dates.
CivilDate civil_from_day(std::int64_t day);
std::int64_t day_from_civil(int year, unsigned month, unsigned day);

// "YYYY-MM-DD", a real date in 1970..9999, or nothing.
std::optional<CivilDate> parse_civil_date(std::string_view text);

struct LocalDateTime {
  CivilDate date;
  int minute_of_day = 0;  // 0..1439
};
// "YYYY-MM-DD" (midnight) or "YYYY-MM-DDTHH:MM" / "YYYY-MM-DD HH:MM", hours 00..23.
std::optional<LocalDateTime> parse_local_datetime(std::string_view text);

}  // namespace casesync
