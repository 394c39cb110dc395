#include "config/calendar_file.h"

#include <map>
#include <set>

#include "common/civil_date.h"
#include "config/toml_errors.h"
#include "data/embedded_data.h"

namespace casesync {

namespace {
constexpr std::string_view kTopKeys[] = {"timezone", "working_hours", "year"};
constexpr std::string_view kYearKeys[] = {"year", "source", "holidays", "workdays"};
// A schedule's year: four digits, within what the day arithmetic and the State Council cover.
constexpr std::int64_t kYearMin = 2000;
constexpr std::int64_t kYearMax = 2199;

std::optional<std::int64_t> parse_date(std::string_view t) {
  auto date = parse_civil_date(t);
  if (!date) return std::nullopt;
  return day_from_civil(date->year, date->month, date->day);
}

std::optional<int> parse_minute(std::string_view t) {
  int h = 0, m = 0;
  if (t.size() != 5 || t[2] != ':' ||
      std::sscanf(std::string(t).c_str(), "%2d:%2d", &h, &m) != 2 || h > 24 || m > 59) {
    return std::nullopt;
  }
  return h * 60 + m;
}

// A day is listed once in the whole file: as a holiday or as a make-up working day (a day in two
// overlapping ranges, or in both lists, is a contradiction the publisher must resolve).
struct DaysSeen {
  std::map<std::int64_t, std::string> listed_as;  // day -> "holidays" / "workdays"
};

// Days of year `year` may reach into the neighbouring months (a New Year holiday that starts on
// 31 December), not further.
bool near_year(std::int64_t day, int year) {
  return day >= WorkCalendar::day_from_civil(year - 1, 12, 1) &&
         day <= WorkCalendar::day_from_civil(year + 1, 1, 31);
}

// Monday-Friday (1970-01-01 was a Thursday): a make-up working day on one of them means nothing.
bool is_weekday(std::int64_t day) { return ((day % 7) + 7 + 3) % 7 < 5; }

// "2026-02-15" or "2026-02-15..2026-02-23", each day added through `add`.
template <class Add>
void read_days(TableReader& r, std::string_view key, int year, DaysSeen& seen, Add add) {
  auto list = r.strings(key, Presence::kOptional);
  if (!list) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& item = (*list)[i];
    const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
    auto dots = item.find("..");
    auto first = parse_date(item.substr(0, dots));
    auto last = dots == std::string::npos ? first : parse_date(item.substr(dots + 2));
    if (!first || !last || *last < *first || *last - *first > 60) {
      r.error_at(r.element(key, i), at,
                 in_quotes(item) + " is not a date or a range (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)");
      continue;
    }
    if (year > 0 && (!near_year(*first, year) || !near_year(*last, year))) {
      r.error_at(r.element(key, i), at, in_quotes(item) + " is not in year " + std::to_string(year));
      continue;
    }
    if (key == "workdays" && is_weekday(*first) && *first == *last) {
      r.error_at(r.element(key, i), at,
                 in_quotes(item) + " is a Monday-Friday already; make-up working days (调休) are "
                 "weekend days");
      continue;
    }
    for (std::int64_t d = *first; d <= *last; ++d) {
      auto [it, fresh] = seen.listed_as.emplace(d, std::string(key));
      if (!fresh) {
        r.error_at(r.element(key, i), at,
                   in_quotes(item) + (it->second == key ? " overlaps another entry of " + it->second
                                                        : " contradicts an entry of " + it->second) +
                       " (a day is listed once)");
        break;
      }
      add(d);
    }
  }
}

void read_hours(TableReader& top, WorkCalendar& cal) {
  auto hours = top.strings("working_hours", Presence::kRequired);
  if (!hours) return;
  int prev_end = -1;
  for (std::size_t i = 0; i < hours->size(); ++i) {
    const std::string& h = (*hours)[i];
    auto dash = h.find('-');
    auto b = parse_minute(h.substr(0, dash));
    auto e = dash == std::string::npos ? std::nullopt : parse_minute(h.substr(dash + 1));
    if (!b || !e || *b >= *e || *b < prev_end) {
      top.error_at(top.element("working_hours", i), "working_hours[" + std::to_string(i) + "]",
                   in_quotes(h) + " is not HH:MM-HH:MM after the previous interval");
      continue;
    }
    cal.add_working_interval(*b, *e);
    prev_end = *e;
  }
}

void read_zone(TableReader& top, WorkCalendar& cal) {
  auto tz = top.string("timezone", Presence::kRequired);
  if (!tz) return;
  int h = 0, m = 0;
  char sign = 0;
  if (tz->size() != 6 || std::sscanf(tz->c_str(), "%c%2d:%2d", &sign, &h, &m) != 3 ||
      (sign != '+' && sign != '-') || h > 14 || m > 59) {
    top.error("timezone", in_quotes(*tz) + " is not an offset like +08:00");
    return;
  }
  cal.set_zone_offset_minutes((sign == '-' ? -1 : 1) * (h * 60 + m));
}
}  // namespace

Result<WorkCalendar> parse_calendar(const std::string& text, const std::string& source_name) {
  ASSIGN_OR_RETURN(toml::table root, parse_toml(text, source_name));
  TomlErrors errors(source_name);
  TableReader top(root, "", errors);
  top.allow_only(kTopKeys);
  WorkCalendar cal;
  cal.use_statutory_fallback();
  read_zone(top, cal);
  read_hours(top, cal);
  DaysSeen seen;
  std::set<std::int64_t> years_seen;
  if (const toml::array* years = root["year"].as_array()) {
    for (std::size_t i = 0; i < years->size(); ++i) {
      const toml::table* t = (*years)[i].as_table();
      if (!t) continue;
      TableReader y(*t, "year[" + std::to_string(i) + "]", errors);
      y.allow_only(kYearKeys);
      auto year = y.integer("year", Presence::kRequired);
      auto source = y.string("source", Presence::kRequired);
      if (year && (*year < kYearMin || *year > kYearMax)) {
        y.error("year", std::to_string(*year) + " is not a four-digit year (" +
                            std::to_string(kYearMin) + ".." + std::to_string(kYearMax) + ")");
        year.reset();
      } else if (year && !years_seen.insert(*year).second) {
        y.error("year", std::to_string(*year) + " has two [[year]] blocks; merge them");
        year.reset();
      }
      if (year && source) cal.add_year(static_cast<int>(*year), *source);
      const int y_num = year ? static_cast<int>(*year) : 0;
      read_days(y, "holidays", y_num, seen, [&](std::int64_t d) { cal.add_holiday(d); });
      read_days(y, "workdays", y_num, seen, [&](std::int64_t d) { cal.add_workday(d); });
    }
  }
  RETURN_IF_ERROR(errors.to_status());
  return cal;
}

Result<WorkCalendar> load_calendar(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path, "calendar"));
  return parse_calendar(text, path);
}

Result<WorkCalendar> calendar_for(const std::string& setting) {
  if (setting == "always") return WorkCalendar::always();
  if (setting.empty()) return parse_calendar(std::string(national_calendar_toml()), "built-in calendar");
  return load_calendar(setting);
}

}  // namespace casesync
