#include "config/deadline_defaults.h"

#include <array>

#include "common/duration.h"
#include "config/toml_errors.h"

namespace casesync {

namespace {
constexpr std::uint64_t kSecondMs = 1000;
constexpr std::uint64_t kDayMs = 24 * 3600 * kSecondMs;

// One duration key of [deadlines]: where it goes and its allowed range (from 1s).
struct DurationKey {
  std::string_view name;
  std::optional<std::uint64_t> DeadlineDefaults::*field;
  std::uint64_t SupervisionConfig::*target;
  std::uint64_t max_ms;
};

constexpr std::array<DurationKey, 6> kDurationKeys = {{
    {"delivery", &DeadlineDefaults::delivery_ms, &SupervisionConfig::delivery_ms, 30 * kDayMs},
    {"accept", &DeadlineDefaults::accept_ms, &SupervisionConfig::accept_ms, 30 * kDayMs},
    {"accept_district", &DeadlineDefaults::accept_district_ms,
     &SupervisionConfig::accept_district_ms, 30 * kDayMs},
    {"accept_street", &DeadlineDefaults::accept_street_ms, &SupervisionConfig::accept_street_ms,
     30 * kDayMs},
    {"accept_community", &DeadlineDefaults::accept_community_ms,
     &SupervisionConfig::accept_community_ms, 30 * kDayMs},
    {"answer", &DeadlineDefaults::answer_ms, &SupervisionConfig::answer_ms, 365 * kDayMs},
}};
constexpr std::string_view kWarnFractionKey = "warn_fraction";
constexpr std::array<std::string_view, 6> kNodeKeys = {"delivery",      "accept",
                                                        "accept_district", "accept_street",
                                                        "accept_community", "answer"};
constexpr std::array<std::string_view, 7> kBundleKeys = {
    "delivery", "accept", "accept_district", "accept_street", "accept_community", "answer",
    kWarnFractionKey};
}  // namespace

bool DeadlineDefaults::empty() const { return fields().empty(); }

void DeadlineDefaults::apply(SupervisionConfig& sc) const {
  for (const auto& k : kDurationKeys) {
    if (const auto& v = this->*k.field) sc.*k.target = *v;
  }
  if (warn_fraction) sc.warn_fraction = *warn_fraction;
}

std::vector<std::pair<std::string, std::string>> DeadlineDefaults::fields() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : kDurationKeys) {
    if (const auto& v = this->*k.field) out.emplace_back(k.name, format_duration_ms(*v));
  }
  if (warn_fraction) {
    std::string text = std::to_string(*warn_fraction);
    while (text.size() > 3 && text.back() == '0') text.pop_back();  // "0.700000" -> "0.7"
    out.emplace_back(kWarnFractionKey, text);
  }
  return out;
}

void read_deadline_defaults(TableReader d, bool with_warn_fraction, DeadlineDefaults& out) {
  if (with_warn_fraction) {
    d.allow_only(kBundleKeys);
  } else {
    d.allow_only(kNodeKeys);
  }
  for (const auto& k : kDurationKeys) {
    if (auto v = duration(d, k.name, kSecondMs, k.max_ms)) out.*k.field = *v;
  }
  if (!with_warn_fraction) return;
  if (auto v = fraction(d, kWarnFractionKey, 0.1, 1.0)) out.warn_fraction = *v;
}

Result<DeadlineDefaults> parse_deadline_defaults(const std::string& matters_toml,
                                                 const std::string& source_name) {
  ASSIGN_OR_RETURN(toml::table root, parse_toml(matters_toml, source_name));
  TomlErrors errors(source_name);
  TableReader top(root, "", errors);
  DeadlineDefaults out;
  read_deadline_defaults(top.table("deadlines"), true, out);  // absent: an empty table
  RETURN_IF_ERROR(errors.to_status());
  return out;
}

}  // namespace casesync
