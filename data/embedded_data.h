// Data files compiled into the binaries: the sample matters catalogue (data/matters.toml) and,
// as they land, the working-day calendar and the dashboard page.
#pragma once

#include <string_view>

namespace casesync {

std::string_view sample_matters_toml();
std::string_view national_calendar_toml();

}  // namespace casesync
