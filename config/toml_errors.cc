#include "config/toml_errors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <memory>
#include <system_error>

#include "common/duration.h"

namespace casesync {
namespace {

std::uint32_t line_of(const toml::source_region& region) { return region.begin.line; }

Code code_for_errno(int error) {
  if (error == ENOENT || error == ENOTDIR) return Code::kNotFound;
  if (error == EACCES || error == EPERM) return Code::kPermission;
  return Code::kIoError;
}

bool is_host_char(char c) { return c > ' ' && c != '/' && c != '\x7f'; }

}  // namespace

Result<std::string> read_text_file(const std::string& path, std::string_view what) {
  auto fail = [&](int error) {
    return Status::error(code_for_errno(error), path + ": cannot read " + std::string(what) + ": " +
                                                    std::generic_category().message(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return fail(errno);
  std::string text;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  // fopen succeeds on a directory; the error (EISDIR) only shows when reading.
  if (std::ferror(file.get())) return fail(errno);
  return text;
}

Result<toml::table> parse_toml(const std::string& text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Status::error(Code::kInvalidArgument,
                         Text::layout("%s:%s: %s", {source_name, text_arg(line_of(e.source())),
                                                    ui_text("TOML syntax error: %s",
                                                            std::string(e.description()))}));
  }
}

Text toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return ui_text("nothing");
    case toml::node_type::table:
      return ui_text("a table");
    case toml::node_type::array:
      return ui_text("an array");
    case toml::node_type::string:
      return ui_text("a string");
    case toml::node_type::integer:
      return ui_text("an integer");
    case toml::node_type::floating_point:
      return ui_text("a floating-point number");
    case toml::node_type::boolean:
      return ui_text("a boolean");
    case toml::node_type::date:
      return ui_text("a date");
    case toml::node_type::time:
      return ui_text("a time");
    case toml::node_type::date_time:
      return ui_text("a date-time");
  }
  return ui_text("an unknown type");
}

Text out_of_range(std::int64_t value, std::int64_t min, std::int64_t max) {
  return ui_text("%s is out of range (%s..%s)", value, min, max);
}

// --- TomlErrors ---

void TomlErrors::add(const toml::node* where, std::string_view key, const Text& problem) {
  record(where ? line_of(where->source()) : 0, key, problem);
}

void TomlErrors::add(const toml::key& where, std::string_view key, const Text& problem) {
  record(line_of(where.source()), key, problem);
}

void TomlErrors::missing(std::string_view key, std::string_view reason) {
  const Text problem = ui_text("required key is missing");
  record(0, key,
         reason.empty() ? problem : Text::layout("%s %s", {problem, std::string(reason)}));
}

void TomlErrors::record(std::uint32_t line, std::string_view key, const Text& problem) {
  std::string where = line ? source_ + ":" + std::to_string(line) : source_;
  errors_.emplace_back(line, Text::layout("%s: %s: %s", {where, std::string(key), problem}));
}

Status TomlErrors::to_status() const {
  if (errors_.empty()) return Status::ok();
  auto sorted = errors_;
  // Line order lets the user walk the file once; problems without a line go last.
  auto rank = [](std::uint32_t line) {
    return line ? line : std::numeric_limits<std::uint32_t>::max();
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  std::vector<Text> lines;
  for (const auto& [line, text] : sorted) lines.push_back(text);
  return Status::error(Code::kInvalidArgument, Text::join(lines, "\n"));
}

// --- TableReader ---

std::string TableReader::full_key(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

void TableReader::error_at(const toml::node* where, std::string_view key, const Text& problem) {
  errors_.add(where, full_key(key), problem);
}

const toml::node* TableReader::element(std::string_view key, std::size_t index) const {
  const toml::array* array = table_.get_as<toml::array>(key);
  return array ? array->get(index) : nullptr;
}

void TableReader::allow_only(std::span<const std::string_view> allowed) {
  for (auto&& [key, value] : table_) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    errors_.add(key, full_key(key.str()), ui_text("unknown key (allowed: %s)", join_names(allowed)));
  }
}

const toml::node* TableReader::typed(std::string_view key, toml::node_type want,
                                     Presence presence) {
  const toml::node* node = table_.get(key);
  if (node == nullptr) {
    if (presence == Presence::kRequired) errors_.missing(full_key(key));
    return nullptr;
  }
  if (node->type() != want) {
    error_at(node, key,
             ui_text("expected %s, found %s", toml_type_name(want), toml_type_name(node->type())));
    return nullptr;
  }
  return node;
}

std::optional<std::string> TableReader::string(std::string_view key, Presence presence) {
  const toml::node* node = typed(key, toml::node_type::string, presence);
  if (node == nullptr) return std::nullopt;
  return node->as_string()->get();
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, Presence presence) {
  const toml::node* node = typed(key, toml::node_type::integer, presence);
  if (node == nullptr) return std::nullopt;
  return node->as_integer()->get();
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const toml::node* node = typed(key, toml::node_type::boolean, Presence::kOptional);
  if (node == nullptr) return std::nullopt;
  return node->as_boolean()->get();
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key,
                                                             Presence presence) {
  const toml::node* node = typed(key, toml::node_type::array, presence);
  if (node == nullptr) return std::nullopt;
  std::vector<std::string> out;
  bool all_strings = true;
  const toml::array& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const toml::node& item = array[i];
    if (const auto* text = item.as_string()) {
      out.push_back(text->get());
      continue;
    }
    all_strings = false;
    error_at(&item, std::string(key) + "[" + std::to_string(i) + "]",
             ui_text("expected %s, found %s", toml_type_name(toml::node_type::string),
                     toml_type_name(item.type())));
  }
  if (!all_strings) return std::nullopt;
  return out;
}

TableReader TableReader::table(std::string_view key) {
  // Shared by every absent table; never written to.
  static const toml::table kEmpty;
  const toml::node* node = typed(key, toml::node_type::table, Presence::kOptional);
  return TableReader(node ? *node->as_table() : kEmpty, full_key(key), errors_);
}

// --- Value checks ---

std::optional<std::string> node_id_problem(std::string_view text) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  };
  if (!text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), allowed)) {
    return std::nullopt;
  }
  return in_quotes(text) + " is not a valid id (allowed: 1..64 characters of a-z, 0-9, '-', '_')";
}

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return std::nullopt;
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  std::uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return std::pair(std::string(host), static_cast<std::uint16_t>(port));
}

std::optional<std::string> endpoint_problem(std::string_view text) {
  constexpr std::string_view kScheme = "tcp://";
  std::string_view rest =
      text.substr(0, kScheme.size()) == kScheme ? text.substr(kScheme.size()) : std::string_view();
  // ZeroMQ needs IPv6 hosts in brackets, so a bare "::1" is refused here.
  bool bare_ipv6 = !rest.empty() && rest.front() != '[' &&
                   rest.substr(0, rest.rfind(':')).find(':') != std::string_view::npos;
  if (!rest.empty() && !bare_ipv6 && split_host_port(rest)) return std::nullopt;
  return in_quotes(text) +
         " is not an endpoint (allowed: tcp://HOST:PORT, port 1..65535, IPv6 in brackets)";
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string join_names(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string not_a_role(std::string_view name) {
  return in_quotes(name) + " is not a role (allowed: district, street, community)";
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string resolve_path(const std::filesystem::path& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  return (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
}

// A duration key ("10s", "4h", "3d") within [min, max]; nullopt when absent or invalid (reported).
std::optional<std::uint64_t> duration(TableReader& r, std::string_view key, std::uint64_t min,
                                      std::uint64_t max) {
  auto text = r.string(key, Presence::kOptional);
  if (!text) return std::nullopt;
  auto ms = parse_duration_ms(*text);
  const std::string range = format_duration_ms(min) + ".." + format_duration_ms(max);
  if (!ms) {
    r.error(key, ui_text("%s is not a duration (write e.g. 10s, 5m, 4h, 3d) (%s)",
                         in_quotes(*text), range));
  } else if (*ms < min || *ms > max) {
    r.error(key, ui_text("%s is out of range (%s)", in_quotes(*text), range));
    return std::nullopt;
  }
  return ms;
}

std::optional<double> fraction(TableReader& r, std::string_view key, double min, double max) {
  const toml::node* n = r.node(key);
  if (!n) return std::nullopt;
  auto v = n->value<double>();
  if (!v) {
    r.error(key, "expected a number");
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    r.error(key, std::to_string(*v) + " is out of range (" + std::to_string(min) + ".." +
                     std::to_string(max) + ")");
    return std::nullopt;
  }
  return v;
}

}  // namespace casesync
