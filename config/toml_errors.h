// Shared by the node config and roster readers (internal to config/): reading and parsing a TOML
// file into a Status, typed key lookups that collect every problem as
//   FILE:LINE: KEY: problem (allowed ...)
// so a user fixes a file in one pass, and the value checks both files apply (ids, endpoints).
// A problem is a Text (common/text.h): FILE:LINE and KEY stay as written, the words are shown in
// the reader's language (casesyncd: log.language or the locale; casesyncctl: its locale).
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace casesync {

// The whole file, or kNotFound / kPermission / kIoError "PATH: cannot read WHAT: <reason>".
Result<std::string> read_text_file(const std::string& path, std::string_view what);

// The adapter for toml++: a syntax error becomes kInvalidArgument "SOURCE:LINE: TOML syntax
// error: ...". toml::parse_error never escapes.
Result<toml::table> parse_toml(const std::string& text, const std::string& source_name);

// "a string", "an integer", ... for "expected X, found Y".
Text toml_type_name(toml::node_type type);

// Collects problems of one file. Sorted by line when reported; problems without a line (missing
// keys) come last.
class TomlErrors {
 public:
  explicit TomlErrors(std::string source_name) : source_(std::move(source_name)) {}

  // "SOURCE:LINE: KEY: problem"; the line comes from `where`, omitted when it is null.
  void add(const toml::node* where, std::string_view key, const Text& problem);
  // Same, at a key's own line (used for unknown keys, which have no value worth pointing at).
  void add(const toml::key& where, std::string_view key, const Text& problem);
  // "SOURCE: KEY: required key is missing" plus an optional reason, e.g. "(role street)".
  void missing(std::string_view key, std::string_view reason = {});

  bool empty() const { return errors_.empty(); }
  // ok when nothing was recorded, else one kInvalidArgument with the problems joined by "\n".
  Status to_status() const;

 private:
  void record(std::uint32_t line, std::string_view key, const Text& problem);

  std::string source_;
  std::vector<std::pair<std::uint32_t, Text>> errors_;  // (line, message); line 0 = none
};

enum class Presence { kOptional, kRequired };

// Typed lookups in one table whose keys are named "PREFIX.KEY" ("sync.batch_events_max",
// "node[3].parent"). A lookup returns nullopt when the key is absent (recording it when
// required) or has the wrong type (recording that), so callers only handle good values.
// "*table" and "*errors" must outlive the reader.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, TomlErrors& errors)
      : table_(table), prefix_(std::move(prefix)), errors_(errors) {}

  // Records every key of the table that is not in `allowed`, listing the allowed ones.
  void allow_only(std::span<const std::string_view> allowed);

  std::optional<std::string> string(std::string_view key, Presence presence);
  std::optional<std::int64_t> integer(std::string_view key, Presence presence);
  std::optional<bool> boolean(std::string_view key);
  // Each element must be a string; a bad element is named "KEY[i]".
  std::optional<std::vector<std::string>> strings(std::string_view key, Presence presence);
  // A sub-table; an absent one reads as empty so its required keys are reported individually.
  TableReader table(std::string_view key);

  // Records a problem with a present key's value, at the value's line.
  void error(std::string_view key, const Text& problem) { error_at(node(key), key, problem); }
  // Same at an explicit node, e.g. an array element with key "parents[1]".
  void error_at(const toml::node* where, std::string_view key, const Text& problem);
  std::string full_key(std::string_view key) const;
  const toml::node* node(std::string_view key) const { return table_.get(key); }
  // Element `index` of the array at `key`, or null.
  const toml::node* element(std::string_view key, std::size_t index) const;
  TomlErrors& errors() { return errors_; }

 private:
  // The node when present with type `want`; records absence or a type mismatch otherwise.
  const toml::node* typed(std::string_view key, toml::node_type want, Presence presence);

  const toml::table& table_;
  std::string prefix_;
  TomlErrors& errors_;
};

// A duration key ("10s", "4h", "3d") within [min, max]; nullopt when absent or invalid (recorded).
std::optional<std::uint64_t> duration(TableReader& r, std::string_view key, std::uint64_t min,
                                      std::uint64_t max);

// A number key within [min, max]; nullopt when absent or invalid (recorded).
std::optional<double> fraction(TableReader& r, std::string_view key, double min, double max);

// --- Value checks shared by both files ---

// Node ids: 1..64 characters of a-z, 0-9, '-', '_' (they become file names and log fields).
// The problem ("\"S 1\" is not a valid id (...)"), or nullopt when `text` is one.
std::optional<std::string> node_id_problem(std::string_view text);

// "HOST:PORT" with a non-empty HOST (IPv6 in brackets, or bare "::1") and PORT 1..65535.
// Returns {host, port} without brackets, or nullopt.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text);

// ZeroMQ endpoints as written in configs and rosters: "tcp://HOST:PORT". The problem, or nullopt.
std::optional<std::string> endpoint_problem(std::string_view text);

// Relative paths follow the config file, not the daemon's working directory (systemd starts
// it in /).
std::string resolve_path(const std::filesystem::path& base_dir, const std::string& path);

// "\"TEXT\"" for messages (no escaping; messages are for people, not parsers).
std::string in_quotes(std::string_view text);
// "N is out of range (MIN..MAX)" for an integer key.
Text out_of_range(std::int64_t value, std::int64_t min, std::int64_t max);
// "a, b, c" for the "(allowed: ...)" part of messages.
std::string join_names(std::span<const std::string_view> names);
// "\"NAME\" is not a role (allowed: district, street, community)".
std::string not_a_role(std::string_view name);

// Quotes a string for TOML output (basic string with escapes).
std::string toml_quote(std::string_view text);

}  // namespace casesync
