#include "common/work_calendar.h"

#include <algorithm>
#include <cassert>

#include "common/civil_date.h"
#include "common/statutory_holidays.h"

namespace casesync {

namespace {
constexpr std::uint64_t kMinuteMs = 60 * 1000;
}  // namespace

WorkCalendar WorkCalendar::always() {
  WorkCalendar c;
  c.always_ = true;
  c.add_working_interval(0, 24 * 60);
  return c;
}

WorkCalendar WorkCalendar::weekdays(int tz_offset_minutes) {
  WorkCalendar c;
  c.tz_offset_min_ = tz_offset_minutes;
  c.add_working_interval(9 * 60, 17 * 60);
  return c;
}

void WorkCalendar::add_working_interval(int begin, int end) {
  assert(begin >= 0 && begin < end && end <= 24 * 60);
  assert(intervals_.empty() || intervals_.back().second <= begin);
  intervals_.emplace_back(begin, end);
}

std::int64_t WorkCalendar::day_from_civil(int y, unsigned m, unsigned d) {
  return casesync::day_from_civil(y, m, d);
}

int WorkCalendar::year_of_day(std::int64_t day) { return civil_from_day(day).year; }

std::int64_t WorkCalendar::local_day(std::uint64_t utc_ms) const {
  const std::int64_t local = static_cast<std::int64_t>(utc_ms) + tz_offset_min_ * 60'000ll;
  return local >= 0 ? local / static_cast<std::int64_t>(kDayMs)
                    : (local - static_cast<std::int64_t>(kDayMs) + 1) /
                          static_cast<std::int64_t>(kDayMs);
}

std::uint64_t WorkCalendar::day_start_utc(std::int64_t day) const {
  return static_cast<std::uint64_t>(day * static_cast<std::int64_t>(kDayMs) -
                                    tz_offset_min_ * 60'000ll);
}

bool WorkCalendar::is_working_day(std::int64_t day) const {
  if (always_) return true;
  if (workdays_.count(day)) return true;
  if (holidays_.count(day)) return false;
  const std::int64_t weekday = ((day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  if (weekday < 1 || weekday > 5) return false;
  return !(statutory_fallback_ && !covered_.count(year_of_day(day)) && is_statutory_holiday(day));
}

std::uint64_t WorkCalendar::add_working_days(std::uint64_t from_ms, std::uint32_t n) const {
  assert(n >= 1 && n <= kWorkingDaysMax);
  if (always_) return from_ms + n * kDayMs;
  std::int64_t day = local_day(from_ms);
  for (std::int64_t step = 0; step < kSearchDaysMax && n > 0; ++step) {
    ++day;
    if (is_working_day(day)) --n;
  }
  return day_start_utc(day) + static_cast<std::uint64_t>(intervals_.back().second) * kMinuteMs;
}

std::uint64_t WorkCalendar::add_working_ms(std::uint64_t from_ms, std::uint64_t amount) const {
  if (always_) return from_ms + amount;
  std::int64_t day = local_day(from_ms);
  std::uint64_t cursor = from_ms;
  for (std::int64_t step = 0; step < kSearchDaysMax; ++step, ++day) {
    if (!is_working_day(day)) continue;
    const std::uint64_t start = day_start_utc(day);
    for (const auto& [b, e] : intervals_) {
      const std::uint64_t lo = std::max(cursor, start + static_cast<std::uint64_t>(b) * kMinuteMs);
      const std::uint64_t hi = start + static_cast<std::uint64_t>(e) * kMinuteMs;
      if (lo >= hi) continue;
      if (hi - lo >= amount) return lo + amount;
      amount -= hi - lo;
    }
  }
  return cursor + amount;  // unreachable with sane data: kSearchDaysMax bounds the walk
}

std::uint64_t WorkCalendar::working_ms_between(std::uint64_t a, std::uint64_t b) const {
  if (b <= a) return 0;
  if (always_) return b - a;
  std::uint64_t total = 0;
  const std::int64_t last = local_day(b);
  std::int64_t day = local_day(a);
  for (std::int64_t step = 0; day <= last && step < kSearchDaysMax; ++step, ++day) {
    if (!is_working_day(day)) continue;
    const std::uint64_t start = day_start_utc(day);
    for (const auto& [ib, ie] : intervals_) {
      const std::uint64_t lo = std::max(a, start + static_cast<std::uint64_t>(ib) * kMinuteMs);
      const std::uint64_t hi = std::min(b, start + static_cast<std::uint64_t>(ie) * kMinuteMs);
      if (lo < hi) total += hi - lo;
    }
  }
  return total;
}

std::vector<int> WorkCalendar::missing_years(std::uint64_t from_ms, std::uint64_t to_ms) const {
  std::vector<int> out;
  if (always_) return out;
  for (int y = year_of_day(local_day(from_ms)); y <= year_of_day(local_day(to_ms)); ++y) {
    if (!covered_.count(y)) out.push_back(y);
  }
  return out;
}

}  // namespace casesync
