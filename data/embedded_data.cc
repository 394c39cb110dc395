#include "data/embedded_data.h"

extern const unsigned char kSampleMattersToml[];
extern const unsigned char kNationalCalendarToml[];

namespace casesync {

namespace {
// The embedded arrays end with a NUL byte; text data files never contain one.
std::string_view text_of(const unsigned char* bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes));
}
}  // namespace

std::string_view sample_matters_toml() { return text_of(kSampleMattersToml); }
std::string_view national_calendar_toml() { return text_of(kNationalCalendarToml); }

}  // namespace casesync
