// The working-day calendar file (data/calendar.toml ships the national schedule):
//   timezone = "+08:00"
//   working_hours = ["09:00-12:00", "13:30-17:30"]
//   [[year]]  year = 2026, source = "...", holidays = ["2026-02-15..2026-02-23", ...],
//             workdays = ["2026-02-14", ...]   # make-up working days (调休)
#pragma once

#include <string>

#include "common/status.h"
#include "common/work_calendar.h"

namespace casesync {

Result<WorkCalendar> parse_calendar(const std::string& text, const std::string& source_name);
Result<WorkCalendar> load_calendar(const std::string& path);
// The calendar a node's config names: "always", a file path, or "" for the built-in national
// calendar compiled into the binaries.
Result<WorkCalendar> calendar_for(const std::string& setting);

}  // namespace casesync
