// The public holidays fixed by the national regulation (全国年节及纪念日放假办法, as revised by
// the State Council in 2024, in force from 2025-01-01), used for a year whose State Council
// schedule (with its make-up working days) has not been published yet. This is a fallback, not
// a schedule: it knows no make-up days (调休) and no bridging, so the daemon and the CLI still
// warn that the year is missing.
//
//   New Year's Day 1 Jan; Labour Day 1-2 May; National Day 1-3 Oct          (every year)
//   Spring Festival: New Year's Eve and days 1-3 of the first lunar month;
//   Qingming (the solar term); Dragon Boat (5th of the 5th lunar month);
//   Mid-Autumn (15th of the 8th lunar month)          (from the table, 2027-2030 only)
//
// The lunar dates are a small table, not a conversion: extend it (with a test) when a year
// beyond it comes within reach of deadlines.
#pragma once

#include <cstdint>

namespace casesync {

// Whether `day` (days since 1970-01-01) is a statutory public holiday by the rule above.
bool is_statutory_holiday(std::int64_t day);
// Whether the lunar-festival table covers `year` (the fixed-date holidays apply to every year).
bool lunar_table_covers(int year);

// One row of the table: the Gregorian dates of the lunar festivals of a year.
struct LunarYear {
  int year;
  unsigned spring_month, spring_day;  // 正月初一 (the eve is the day before)
  unsigned qingming_day;              // in April
  unsigned dragon_month, dragon_day;  // 端午
  unsigned moon_month, moon_day;      // 中秋
};
// The row for `year`, or null when the table does not cover it (for its test).
const LunarYear* lunar_year(int year);

}  // namespace casesync
