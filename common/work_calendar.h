// WorkCalendar: working days and working hours, for legal time limits counted in working days
// (the matter's limit) and working hours (acceptance). Holidays and make-up working days (调休)
// come per year from a data file (data/calendar.toml ships the State Council schedule); a year
// the file does not cover falls back to Monday-Friday less the statutory public holidays
// (common/statutory_holidays.h) and is reported by missing_years() so the daemon can warn loudly
// instead of assuming silently.
//
// The special calendar always() treats every minute as working time (24-hour services, tests).
// Pure: times in and out are UTC milliseconds; the calendar's zone offset maps them to local days.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace casesync {

class WorkCalendar {
 public:
  static constexpr std::uint64_t kDayMs = 24ull * 60 * 60 * 1000;
  // The longest span anyone may ask for: a matter's limit or a forward's `due_working_days` is
  // at most 3650 working days (sync/case_rules.cc), the CLI's `calendar due` the same.
  static constexpr std::uint32_t kWorkingDaysMax = 3650;
  // Loops over days are bounded: no deadline is further than this from its start. 3650 working
  // days take about 14.6 years of ~250 working days; 16 years leave room for long holidays.
  static constexpr std::int64_t kSearchDaysMax = 16 * 366;

  static WorkCalendar always();
  static WorkCalendar weekdays(int tz_offset_minutes);  // Mon-Fri, 09:00-17:00, no holidays

  // --- building (config/calendar_file.cc) ---
  void set_zone_offset_minutes(int minutes) { tz_offset_min_ = minutes; }
  // REQUIRES: 0 <= begin < end <= 1440, intervals added in order without overlap.
  void add_working_interval(int begin_minute, int end_minute);
  void add_holiday(std::int64_t day) { holidays_.insert(day); }
  void add_workday(std::int64_t day) { workdays_.insert(day); }
  void add_year(int year, std::string source) {
    covered_.insert(year);
    years_.emplace(year, std::move(source));
  }
  // Years the data does not cover get the statutory holidays instead of none (calendar files).
  void use_statutory_fallback() { statutory_fallback_ = true; }

  // --- queries ---
  bool is_always() const { return always_; }
  bool is_working_day(std::int64_t day) const;
  // The end of working hours on the n-th working day after the local day of `from_ms`
  // (the day of receipt does not count, as in the legal rule).
  // REQUIRES: 1 <= n <= kWorkingDaysMax.
  std::uint64_t add_working_days(std::uint64_t from_ms, std::uint32_t n) const;
  // `from_ms` plus `amount_ms` of working time.
  std::uint64_t add_working_ms(std::uint64_t from_ms, std::uint64_t amount_ms) const;
  // Working time between two instants (0 when b <= a).
  std::uint64_t working_ms_between(std::uint64_t a_ms, std::uint64_t b_ms) const;
  // Years touched by [from, to] that the data does not cover.
  std::vector<int> missing_years(std::uint64_t from_ms, std::uint64_t to_ms) const;
  const std::vector<std::pair<int, std::string>> covered_years() const {
    return {years_.begin(), years_.end()};
  }

  // Day number (days since 1970-01-01 in the calendar's zone) and civil date helpers.
  std::int64_t local_day(std::uint64_t utc_ms) const;
  static std::int64_t day_from_civil(int y, unsigned m, unsigned d);
  static int year_of_day(std::int64_t day);
  // UTC milliseconds of local midnight starting `day`.
  std::uint64_t day_start_utc(std::int64_t day) const;

 private:
  bool always_ = false;
  int tz_offset_min_ = 8 * 60;  // China Standard Time
  std::vector<std::pair<int, int>> intervals_;  // working minutes of a working day
  std::set<std::int64_t> holidays_;
  std::set<std::int64_t> workdays_;
  std::set<std::pair<int, std::string>> years_;
  std::set<int> covered_;
  bool statutory_fallback_ = false;
};

}  // namespace casesync
