// Proves the working-day calendar on the shipped 2026 national schedule: weekends, holidays,
// make-up Saturdays, the Spring Festival, year boundaries, working-hour edges, the `always`
// calendar, and that a missing year is reported rather than assumed.
#include <doctest/doctest.h>

#include "common/civil_date.h"
#include "common/statutory_holidays.h"
#include "config/calendar_file.h"

using namespace casesync;

namespace {
// Local (UTC+8) wall time to UTC milliseconds.
std::uint64_t cst(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  std::int64_t day = WorkCalendar::day_from_civil(y, m, d);
  return static_cast<std::uint64_t>(((day * 1440 + h * 60 + min) - 480) * 60000);
}
const WorkCalendar& national() {
  static WorkCalendar cal = calendar_for("").value();
  return cal;
}
constexpr std::uint64_t kHour = 3600 * 1000;
}  // namespace

TEST_CASE("weekends, holidays and make-up working days") {
  const auto& c = national();
  auto day = [&](int y, unsigned m, unsigned d) { return WorkCalendar::day_from_civil(y, m, d); };
  CHECK(c.is_working_day(day(2026, 11, 25)));       // a Wednesday
  CHECK_FALSE(c.is_working_day(day(2026, 11, 28)));  // a Saturday
  CHECK_FALSE(c.is_working_day(day(2026, 10, 1)));   // National Day
  CHECK(c.is_working_day(day(2026, 10, 10)));        // make-up Saturday
  CHECK(c.is_working_day(day(2026, 1, 4)));          // make-up Sunday
  for (unsigned d = 15; d <= 23; ++d) CHECK_FALSE(c.is_working_day(day(2026, 2, d)));  // 春节
  CHECK(c.is_working_day(day(2026, 2, 14)));
  CHECK(c.is_working_day(day(2026, 2, 28)));
}

TEST_CASE("working days: the day of receipt does not count; due at the end of working hours") {
  const auto& c = national();
  // Received Wednesday 2026-11-25 10:00, 3 working days: Thu, Fri, Mon -> Mon 30 Nov 17:30.
  CHECK(c.add_working_days(cst(2026, 11, 25, 10), 3) == cst(2026, 11, 30, 17, 30));
  // Received Friday 2026-02-13 before the Spring Festival: Sat 14 (make-up) is day 1, then the
  // holiday, then Tue 24 Feb is day 2.
  CHECK(c.add_working_days(cst(2026, 2, 13, 16), 2) == cst(2026, 2, 24, 17, 30));
  // Over National Day: received Wed 30 Sep, 1 working day -> Thu 8 Oct.
  CHECK(c.add_working_days(cst(2026, 9, 30, 9), 1) == cst(2026, 10, 8, 17, 30));
}

TEST_CASE("working hours: edges of the day and the lunch break") {
  const auto& c = national();
  // 11:00 + 2h = 11:00-12:00, then 13:30-14:30.
  CHECK(c.add_working_ms(cst(2026, 11, 25, 11), 2 * kHour) == cst(2026, 11, 25, 14, 30));
  // 17:00 + 1h = 17:00-17:30, next morning 09:00-09:30.
  CHECK(c.add_working_ms(cst(2026, 11, 25, 17), kHour) == cst(2026, 11, 26, 9, 30));
  // Friday 17:30 + 1h -> Monday 10:00.
  CHECK(c.add_working_ms(cst(2026, 11, 27, 17, 30), kHour) == cst(2026, 11, 30, 10));
  // Received at night: the clock starts at opening.
  CHECK(c.add_working_ms(cst(2026, 11, 25, 22), kHour) == cst(2026, 11, 26, 10));
  CHECK(c.working_ms_between(cst(2026, 11, 25, 11), cst(2026, 11, 25, 14, 30)) == 2 * kHour);
  CHECK(c.working_ms_between(cst(2026, 11, 27, 17), cst(2026, 11, 30, 9, 30)) == kHour);
}

TEST_CASE("year boundaries: into a year the file does not cover is reported, not assumed") {
  const auto& c = national();
  // New Year 2026: received Wed 31 Dec 2025 (not covered), 1 working day -> Sun 4 Jan (make-up).
  CHECK(c.add_working_days(cst(2025, 12, 31, 10), 1) == cst(2026, 1, 4, 17, 30));
  CHECK(c.missing_years(cst(2025, 12, 31), cst(2026, 1, 4)) == std::vector<int>{2025});
  auto due = c.add_working_days(cst(2026, 12, 30, 10), 5);
  CHECK(c.missing_years(cst(2026, 12, 30), due) == std::vector<int>{2027});
  CHECK(c.missing_years(cst(2026, 3, 1), cst(2026, 4, 1)).empty());
}

TEST_CASE("the always calendar counts every minute") {
  WorkCalendar a = WorkCalendar::always();
  CHECK(a.add_working_days(1000, 2) == 1000 + 2 * WorkCalendar::kDayMs);
  CHECK(a.add_working_ms(1000, 5000) == 6000);
  CHECK(a.working_ms_between(1000, 6000) == 5000);
  CHECK(a.missing_years(0, 1ull << 40).empty());
}

TEST_CASE("calendar files are validated with file:line errors") {
  auto r = parse_calendar("timezone = \"+8\"\nworking_hours = [\"9-5\"]\n", "cal.toml");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("cal.toml:1: timezone") != std::string::npos);
  CHECK(r.status().message().find("cal.toml:2: working_hours[0]") != std::string::npos);
}

TEST_CASE("dates are real dates: no roll-over, no trailing junk") {
  CHECK(parse_civil_date("2026-02-28").has_value());
  CHECK_FALSE(parse_civil_date("2026-02-29").has_value());  // not a leap year
  CHECK(parse_civil_date("2028-02-29").has_value());
  CHECK_FALSE(parse_civil_date("2026-02-30").has_value());
  CHECK_FALSE(parse_civil_date("2026-04-31").has_value());
  CHECK_FALSE(parse_civil_date("2026-13-01").has_value());
  CHECK_FALSE(parse_civil_date("2026-00-10").has_value());
  CHECK_FALSE(parse_civil_date("2026-1-10x").has_value());
  CHECK(parse_local_datetime("2026-11-25T17:30")->minute_of_day == 17 * 60 + 30);
  CHECK(parse_local_datetime("2026-11-25 09:05")->minute_of_day == 9 * 60 + 5);
  CHECK_FALSE(parse_local_datetime("2026-11-25T24:00").has_value());
  CHECK_FALSE(parse_local_datetime("2026-11-25T10:60").has_value());
  CHECK_FALSE(parse_local_datetime("2026-11-25T10:00junk").has_value());
  CHECK_FALSE(parse_local_datetime("2026-02-30T10:00").has_value());
  // A calendar file naming 2026-02-30 is refused at its line rather than read as 03-02.
  auto r = parse_calendar("timezone = \"+08:00\"\nworking_hours = [\"09:00-17:00\"]\n"
                          "[[year]]\nyear = 2026\nsource = \"t\"\nholidays = [\"2026-02-30\"]\n",
                          "cal.toml");
  REQUIRE_FALSE(r.is_ok());
  INFO(r.status().message());
  CHECK(r.status().message().find("cal.toml:6: year[0].holidays[0]") != std::string::npos);
}

TEST_CASE("civil dates round-trip through day numbers") {
  for (std::int64_t day = day_from_civil(2026, 1, 1); day < day_from_civil(2031, 1, 1); ++day) {
    const CivilDate c = civil_from_day(day);
    REQUIRE(valid_civil_date(c.year, static_cast<int>(c.month), static_cast<int>(c.day)));
    REQUIRE(day_from_civil(c.year, c.month, c.day) == day);
  }
}

TEST_CASE("a year without a published schedule gets the statutory holidays, still reported") {
  const auto& c = national();
  auto day = [&](int y, unsigned m, unsigned d) { return WorkCalendar::day_from_civil(y, m, d); };
  // 2027 is not in data/calendar.toml: New Year's Day (a Friday) is a holiday, not a working day.
  CHECK_FALSE(c.is_working_day(day(2027, 1, 1)));
  CHECK(c.is_working_day(day(2027, 1, 4)));
  CHECK(c.is_working_day(day(2027, 5, 3)));  // Monday after Labour Day: no 调休 known
  for (unsigned d = 1; d <= 3; ++d) CHECK_FALSE(c.is_working_day(day(2029, 10, d)));  // Mon-Wed
  CHECK_FALSE(c.is_working_day(day(2028, 5, 1)));  // Monday
  CHECK_FALSE(c.is_working_day(day(2028, 5, 2)));  // Tuesday: Labour Day is two days since 2025
  // The lunar table: Spring Festival 2027 is Sat 6 Feb (eve Fri 5 Feb, then Mon 8 Feb = 初三).
  CHECK_FALSE(c.is_working_day(day(2027, 2, 5)));
  CHECK_FALSE(c.is_working_day(day(2027, 2, 8)));
  CHECK(c.is_working_day(day(2027, 2, 9)));
  CHECK_FALSE(c.is_working_day(day(2027, 4, 5)));   // Qingming, Monday
  CHECK_FALSE(c.is_working_day(day(2027, 6, 9)));   // Dragon Boat, Wednesday
  CHECK_FALSE(c.is_working_day(day(2027, 9, 15)));  // Mid-Autumn, Wednesday
  CHECK_FALSE(c.is_working_day(day(2028, 1, 25)));  // eve of 2028-01-26, Tuesday
  CHECK_FALSE(c.is_working_day(day(2028, 10, 3)));  // Mid-Autumn on National Day
  CHECK(c.is_working_day(day(2029, 6, 15)));  // the day before Dragon Boat works
  CHECK_FALSE(c.is_working_day(day(2030, 9, 12)));  // Mid-Autumn, Thursday
  CHECK(lunar_table_covers(2030));
  CHECK_FALSE(lunar_table_covers(2031));
  // The published year keeps its own schedule: 2026-01-01 is a holiday by the file, and a
  // make-up Sunday still works; the fallback never overrides a published year.
  CHECK(c.is_working_day(day(2026, 1, 4)));
  // Received Thu 31 Dec 2026: day 1 skips New Year's Day 2027 -> Mon 4 Jan, reported missing.
  auto due = c.add_working_days(cst(2026, 12, 31, 10), 1);
  CHECK(due == cst(2027, 1, 4, 17, 30));
  CHECK(c.missing_years(cst(2026, 12, 31), due) == std::vector<int>{2027});
  // A hand-built calendar (tests, `weekdays`) has no fallback: plain Monday-Friday.
  CHECK(WorkCalendar::weekdays(480).is_working_day(day(2027, 1, 1)));
}

TEST_CASE("the search reaches the longest span a forward may ask for") {
  const auto& c = national();
  const std::uint64_t from = cst(2026, 11, 25, 10);
  const std::uint64_t due = c.add_working_days(from, WorkCalendar::kWorkingDaysMax);
  // Counting back: exactly kWorkingDaysMax working days lie after the day of receipt up to the due day.
  std::uint32_t counted = 0;
  for (std::int64_t d = c.local_day(from) + 1; d <= c.local_day(due); ++d) counted += c.is_working_day(d);
  CHECK(counted == WorkCalendar::kWorkingDaysMax);
  CHECK(c.is_working_day(c.local_day(due)));
  // Before the fix the walk stopped after 3*366 calendar days and answered a date ~4 years out.
  CHECK(civil_from_day(c.local_day(due)).year >= 2040);
  // Working hours: 3650 h at 7 h a day is 522 working days, well inside the search.
  const std::uint64_t h = c.add_working_ms(from, 3650ull * kHour);
  CHECK(c.working_ms_between(from, h) == 3650ull * kHour);
}
