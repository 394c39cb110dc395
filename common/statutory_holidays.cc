#include "common/statutory_holidays.h"

#include "common/civil_date.h"

namespace casesync {

namespace {
// Gregorian dates of the lunar festivals (Purple Mountain Observatory almanac).
constexpr LunarYear kLunar[] = {
    {2027, 2, 6, 5, 6, 9, 9, 15},
    {2028, 1, 26, 4, 5, 28, 10, 3},
    {2029, 2, 13, 4, 6, 16, 9, 22},
    {2030, 2, 3, 5, 6, 5, 9, 12},
};

bool fixed_date_holiday(unsigned m, unsigned d) {
  return (m == 1 && d == 1) || (m == 5 && d <= 2) || (m == 10 && d <= 3);
}

bool lunar_holiday(const LunarYear& l, std::int64_t day, unsigned m, unsigned d) {
  const std::int64_t new_year = day_from_civil(l.year, l.spring_month, l.spring_day);
  if (day >= new_year - 1 && day <= new_year + 2) return true;  // 除夕 and 初一..初三
  return (m == 4 && d == l.qingming_day) || (m == l.dragon_month && d == l.dragon_day) ||
         (m == l.moon_month && d == l.moon_day);
}
}  // namespace

const LunarYear* lunar_year(int year) {
  for (const auto& l : kLunar) {
    if (l.year == year) return &l;
  }
  return nullptr;
}

bool lunar_table_covers(int year) { return lunar_year(year) != nullptr; }

bool is_statutory_holiday(std::int64_t day) {
  const CivilDate c = civil_from_day(day);
  if (fixed_date_holiday(c.month, c.day)) return true;
  for (const auto& l : kLunar) {
    if (l.year == c.year && lunar_holiday(l, day, c.month, c.day)) return true;
  }
  return false;
}

}  // namespace casesync
