// Proves the working-day calendar on the shipped 2026 national schedule: weekends, holidays,
// make-up Saturdays, the Spring Festival, year boundaries, working-hour edges, the `always`
// calendar, and that a missing year is reported rather than assumed.
#include <doctest/doctest.h>

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
