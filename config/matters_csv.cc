#include "config/matters_csv.h"

#include <set>
#include <vector>

#include "common/utf8.h"
#include "config/matters_file.h"
#include "config/toml_errors.h"

namespace casesync {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kHeader[] = {"code", "name", "limit_working_days", "materials"};
// Same bound as the TOML file's (config/matters_file.cc).
constexpr long kLimitMaxDays = 365;
// A catalogue is a few thousand matters; a file far beyond that is the wrong file.
constexpr std::size_t kRowsMax = 100'000;

struct Row {
  std::size_t line = 0;  // where the row starts (1-based)
  std::vector<std::string> fields;
};

// RFC 4180 records; a quoted field may hold commas, "" and line breaks. `error` gets
// "LINE: problem" for an unterminated quote.
std::vector<Row> split_records(std::string_view text, std::string* error) {
  std::vector<Row> rows;
  Row row{1, {}};
  std::string field;
  bool quoted = false, field_started = false;
  std::size_t line = 1;
  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_field();
      rows.push_back(std::move(row));
      row = Row{++line, {}};
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) *error = std::to_string(row.line) + ": a quoted field is never closed";
  if (field_started || !row.fields.empty() || !field.empty()) {
    end_field();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool blank(const Row& r) { return r.fields.size() == 1 && trim(r.fields[0]).empty(); }

// The row as a matter, or the problem with it.
std::string read_row(const Row& r, Matter* m) {
  if (r.fields.size() != 4) {
    return std::to_string(r.fields.size()) + " fields, expected 4 (code,name,limit_working_days,"
           "materials; quote a field that holds a comma)";
  }
  m->code = trim(r.fields[0]);
  m->name = trim(r.fields[1]);
  const std::string limit = trim(r.fields[2]);
  if (m->code.empty()) return "code is empty";
  if (m->name.empty()) return "name is empty";
  char* end = nullptr;
  const long n = std::strtol(limit.c_str(), &end, 10);
  if (limit.empty() || *end != '\0' || n < 1 || n > kLimitMaxDays) {
    return "limit_working_days: " + in_quotes(limit) + " is not a whole number of working days (1.." +
           std::to_string(kLimitMaxDays) + ")";
  }
  m->limit_working_days = static_cast<std::uint32_t>(n);
  std::string rest = r.fields[3];
  for (std::size_t at = 0; at <= rest.size();) {
    std::size_t semi = rest.find(';', at);
    if (semi == std::string::npos) semi = rest.size();
    if (std::string item = trim(rest.substr(at, semi - at)); !item.empty()) m->materials.push_back(item);
    at = semi + 1;
  }
  return "";
}

std::string render(const std::vector<Matter>& matters, const std::string& source_name) {
  std::string out = "# Converted by `casesyncctl matters import` from " + source_name + ".\n";
  for (const auto& m : matters) {
    out += "\n[[matter]]\ncode = " + toml_quote(m.code) + "\nname = " + toml_quote(m.name) +
           "\nlimit_working_days = " + std::to_string(m.limit_working_days) + "\nmaterials = [";
    for (std::size_t i = 0; i < m.materials.size(); ++i) {
      out += (i ? ", " : "") + toml_quote(m.materials[i]);
    }
    out += "]\n";
  }
  return out;
}
}  // namespace

Result<std::string> matters_csv_to_toml(const std::string& csv, const std::string& source_name) {
  std::string_view text = csv;
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  if (!valid_utf8(text)) {
    return Status::error(Code::kInvalidArgument,
                         source_name + ": not UTF-8 (save the export as UTF-8 CSV)");
  }
  std::string quote_error;
  std::vector<Row> rows = split_records(text, &quote_error);
  if (!quote_error.empty()) {
    return Status::error(Code::kInvalidArgument, source_name + ":" + quote_error);
  }
  if (rows.size() > kRowsMax) {
    return Status::error(Code::kInvalidArgument, source_name + ": more than " +
                                                     std::to_string(kRowsMax) + " rows");
  }
  std::vector<std::string> header;
  if (!rows.empty()) {
    for (auto& f : rows[0].fields) header.push_back(trim(f));
  }
  if (header != std::vector<std::string>(std::begin(kHeader), std::end(kHeader))) {
    return Status::error(Code::kInvalidArgument,
                         source_name + ":1: the header must be code,name,limit_working_days,materials");
  }
  std::vector<Matter> matters;
  std::set<std::string> codes;
  std::string errors;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (blank(rows[i])) continue;
    Matter m;
    std::string problem = read_row(rows[i], &m);
    if (problem.empty() && !codes.insert(m.code).second) problem = "duplicate code " + in_quotes(m.code);
    if (!problem.empty()) {
      errors += (errors.empty() ? "" : "\n") + source_name + ":" + std::to_string(rows[i].line) +
                ": " + problem;
      continue;
    }
    matters.push_back(std::move(m));
  }
  if (!errors.empty()) return Status::error(Code::kInvalidArgument, errors);
  if (matters.empty()) {
    return Status::error(Code::kInvalidArgument, source_name + ": no matters below the header");
  }
  std::string toml = render(matters, source_name);
  RETURN_IF_ERROR(parse_matters(toml, source_name + " (converted)").status());
  return toml;
}

}  // namespace casesync
