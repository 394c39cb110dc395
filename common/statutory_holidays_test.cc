// Proves the built-in lunar-festival table (2027-2030) complete and consistent with astronomy
// rather than with itself: every year present; each Spring Festival, Dragon Boat (5th) and
// Mid-Autumn (15th) day falls on the right day of a lunar month, counted from a mean new moon;
// months and years between them are whole lunations; Qingming matches the solar-term formula;
// and each year has the regulation's 13 holiday days less the days two festivals share.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>

#include "common/civil_date.h"
#include "common/statutory_holidays.h"

using namespace casesync;

namespace {

constexpr double kSynodicDays = 29.530588861;
// A mean new moon (Meeus, k = 0: 2000-01-06 18:14 UTC) as days since 1970-01-01, in China time.
constexpr double kNewMoon0Days = 2451550.09766 - 2440587.5 + 8.0 / 24.0;

// The day of the mean new moon nearest `day`.
std::int64_t nearest_new_moon(std::int64_t day) {
  const double k = std::round((static_cast<double>(day) - kNewMoon0Days) / kSynodicDays);
  return static_cast<std::int64_t>(std::floor(kNewMoon0Days + k * kSynodicDays));
}

// Whether `first` (a lunar month's first day) is within a day of a mean new moon: the true new
// moon strays up to ~14 hours from the mean one.
bool starts_a_month(std::int64_t first) { return std::llabs(first - nearest_new_moon(first)) <= 1; }

int lunations(std::int64_t from, std::int64_t to) {
  return static_cast<int>(std::lround(static_cast<double>(to - from) / kSynodicDays));
}

std::int64_t day(int y, unsigned m, unsigned d) { return day_from_civil(y, m, d); }

}  // namespace

TEST_CASE("the lunar table covers 2027-2030, each festival on its lunar day") {
  for (int y = 2027; y <= 2030; ++y) {
    CAPTURE(y);
    const LunarYear* l = lunar_year(y);
    REQUIRE(l != nullptr);
    const std::int64_t new_year = day(y, l->spring_month, l->spring_day);
    // Spring Festival: the new moon between 21 January and 20 February.
    CHECK(new_year >= day(y, 1, 21));
    CHECK(new_year <= day(y, 2, 20));
    CHECK(starts_a_month(new_year));
    // 端午 is the 5th of the 5th month: 4 lunations on (5 with a leap month before it).
    const std::int64_t dragon_first = day(y, l->dragon_month, l->dragon_day) - 4;
    CHECK(starts_a_month(dragon_first));
    const int to_dragon = lunations(new_year, dragon_first);
    CHECK((to_dragon == 4 || to_dragon == 5));
    // 中秋 is the 15th of the 8th month: 7 lunations on (8 with a leap month before it).
    const std::int64_t moon_first = day(y, l->moon_month, l->moon_day) - 14;
    CHECK(starts_a_month(moon_first));
    const int to_moon = lunations(new_year, moon_first);
    CHECK((to_moon == 7 || to_moon == 8));
    CHECK((to_moon - to_dragon == 3 || to_moon - to_dragon == 4));
    // Qingming: the solar term, 4 or 5 April by the 21st century's formula.
    const int yy = y - 2000;
    CHECK(l->qingming_day == static_cast<unsigned>(static_cast<int>(yy * 0.2422 + 4.81) - yy / 4));
  }
  CHECK(lunar_year(2026) == nullptr);  // published schedules cover it; the table does not
  CHECK(lunar_year(2031) == nullptr);
}

TEST_CASE("the lunar table matches the almanac (紫金山天文台《中国天文年历》) day for day") {
  // year, 春节, 清明, 端午, 中秋 — transcribed separately from the table.
  struct Row { int y; unsigned sm, sd, qd, dm, dd, mm, md; };
  const Row almanac[] = {{2027, 2, 6, 5, 6, 9, 9, 15},
                         {2028, 1, 26, 4, 5, 28, 10, 3},
                         {2029, 2, 13, 4, 6, 16, 9, 22},
                         {2030, 2, 3, 5, 6, 5, 9, 12}};
  for (const Row& r : almanac) {
    CAPTURE(r.y);
    const LunarYear* l = lunar_year(r.y);
    REQUIRE(l != nullptr);
    CHECK(day(r.y, l->spring_month, l->spring_day) == day(r.y, r.sm, r.sd));
    CHECK(l->qingming_day == r.qd);
    CHECK(day(r.y, l->dragon_month, l->dragon_day) == day(r.y, r.dm, r.dd));
    CHECK(day(r.y, l->moon_month, l->moon_day) == day(r.y, r.mm, r.md));
    // The eve and the first three days are holidays; the fourth is not (by the regulation).
    const std::int64_t ny = day(r.y, r.sm, r.sd);
    for (std::int64_t d = ny - 1; d <= ny + 2; ++d) CHECK(is_statutory_holiday(d));
    CHECK_FALSE(is_statutory_holiday(ny + 3));
    CHECK_FALSE(is_statutory_holiday(ny - 2));
  }
}

TEST_CASE("the lunar table's years are 12 or 13 lunations apart (a leap month makes 13)") {
  for (int y = 2027; y < 2030; ++y) {
    CAPTURE(y);
    const LunarYear* a = lunar_year(y);
    const LunarYear* b = lunar_year(y + 1);
    const std::int64_t gap = day(y + 1, b->spring_month, b->spring_day) -
                             day(y, a->spring_month, a->spring_day);
    CHECK((gap == 354 || gap == 355 || gap == 383 || gap == 384));
  }
  // 2028's leap fifth month (闰五月) makes its lunar year 13 months long.
  CHECK(day(2029, 2, 13) - day(2028, 1, 26) == 384);
}

TEST_CASE("each covered year has the regulation's 13 holiday days, less shared ones") {
  // 2028: Mid-Autumn falls on 3 October, a National Day holiday already.
  const std::pair<int, int> expected[] = {{2027, 13}, {2028, 12}, {2029, 13}, {2030, 13}};
  for (const auto& [y, count] : expected) {
    CAPTURE(y);
    int n = 0;
    for (std::int64_t d = day(y, 1, 1); d < day(y + 1, 1, 1); ++d) n += is_statutory_holiday(d);
    CHECK(n == count);
  }
  // A year beyond the table keeps only the fixed-date holidays: 1 + 2 + 3.
  int n = 0;
  for (std::int64_t d = day(2031, 1, 1); d < day(2032, 1, 1); ++d) n += is_statutory_holiday(d);
  CHECK(n == 6);
}
