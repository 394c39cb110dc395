// Deadline defaults: the time limits of a hop's stages that no matter sets (delivery, accept per
// role, answer) and the reminder lead (warn_fraction: warn once this share of a limit is used).
// A node reads them from its own [deadlines] table (and stall.warn_fraction); the district's
// policy bundle may carry a [deadlines] table in its matters file, and every key it sets
// overrides the node's own, so every node counts the same limits (docs/POLICY.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/node_config.h"

namespace casesync {

class TableReader;  // config/toml_errors.h

struct DeadlineDefaults {
  std::optional<std::uint64_t> delivery_ms;
  std::optional<std::uint64_t> accept_ms;
  std::optional<std::uint64_t> accept_district_ms;
  std::optional<std::uint64_t> accept_street_ms;
  std::optional<std::uint64_t> accept_community_ms;
  std::optional<std::uint64_t> answer_ms;
  std::optional<double> warn_fraction;

  bool empty() const;
  // Every key set here replaces the configuration's.
  void apply(SupervisionConfig& sc) const;
  // The keys set, as written in the file ("accept" -> "4h", "warn_fraction" -> "0.7"), in the
  // order of the table's keys: for `policy show` and the simulator's texts.
  std::vector<std::pair<std::string, std::string>> fields() const;
};

// Reads a [deadlines] table, recording each problem with its line. `with_warn_fraction`: the
// bundle's table also takes the reminder lead (a node's own config keeps it in [stall]).
void read_deadline_defaults(TableReader d, bool with_warn_fraction, DeadlineDefaults& out);

// The [deadlines] table of a matters file (none: empty), errors as FILE:LINE: deadlines.KEY: ...
Result<DeadlineDefaults> parse_deadline_defaults(const std::string& matters_toml,
                                                 const std::string& source_name);

}  // namespace casesync
