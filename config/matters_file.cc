#include "config/matters_file.h"

#include "config/toml_errors.h"

namespace casesync {

namespace {
// [deadlines]: the district's deadline defaults, read by config/deadline_defaults.h.
constexpr std::string_view kTopKeys[] = {"version", "matter", "deadlines"};
constexpr std::string_view kMatterKeys[] = {"code", "name", "limit_working_days", "materials"};
constexpr std::int64_t kLimitMaxDays = 365;

void read_matter(TableReader r, MattersCatalogue& out) {
  r.allow_only(kMatterKeys);
  auto code = r.string("code", Presence::kRequired);
  auto name = r.string("name", Presence::kRequired);
  auto limit = r.integer("limit_working_days", Presence::kRequired);
  auto materials = r.strings("materials", Presence::kOptional);
  if (code && code->empty()) r.error("code", "must not be empty");
  if (name && name->empty()) r.error("name", "must not be empty");
  if (limit && (*limit < 1 || *limit > kLimitMaxDays)) {
    r.error("limit_working_days",
            std::to_string(*limit) + " is out of range (1.." + std::to_string(kLimitMaxDays) + ")");
  }
  if (!code || !name || !limit || code->empty() || *limit < 1 || *limit > kLimitMaxDays) return;
  if (out.find(*code)) {
    r.error("code", "duplicate matter code " + in_quotes(*code));
    return;
  }
  out.add({*code, *name, static_cast<std::uint32_t>(*limit),
           materials ? *materials : std::vector<std::string>{}});
}
}  // namespace

Result<MattersCatalogue> parse_matters(const std::string& text, const std::string& source_name) {
  ASSIGN_OR_RETURN(toml::table root, parse_toml(text, source_name));
  TomlErrors errors(source_name);
  TableReader top(root, "", errors);
  top.allow_only(kTopKeys);
  MattersCatalogue out;
  const toml::array* list = root["matter"].as_array();
  if (!list || list->empty()) {
    errors.missing("matter", "(at least one [[matter]] table)");
  } else {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table* t = (*list)[i].as_table();
      std::string prefix = "matter[" + std::to_string(i) + "]";
      if (!t) {
        errors.add(&(*list)[i], prefix, "expected a table ([[matter]])");
        continue;
      }
      read_matter(TableReader(*t, prefix, errors), out);
    }
  }
  RETURN_IF_ERROR(errors.to_status());
  return out;
}

Result<MattersCatalogue> load_matters(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path, "matters catalogue"));
  return parse_matters(text, path);
}

}  // namespace casesync
