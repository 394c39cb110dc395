// The roster file: a TOML list of nodes (id, name, role, parent, fallbacks, keys, endpoints).
// Plain in the walking skeleton; the trust work adds the root signature.
//
//   version = 1
//   [[node]]
//   id = "district"
//   name = "District approval centre"
//   role = "district"
//   parent = ""                      # empty only for the district
//   fallback_parents = []            # optional
//   sign_public_key = "hex (32 bytes)"
//   endpoint = "tcp://127.0.0.1:7000"  # optional: where it listens for children
//   api = "http://127.0.0.1:8000"      # optional: its local API (testbeds)
#pragma once

#include <string>

#include "common/roster.h"
#include "common/status.h"

namespace casesync {

// Validates: unique ids, known roles, every parent and fallback present, exactly one root, no
// cycles, keys of the right length. Errors read "FILE:LINE: node[3].parent: ...".
Result<Roster> load_roster(const std::string& path);
Result<Roster> parse_roster(const std::string& text, const std::string& source_name);
std::string render_roster(const Roster& roster);

}  // namespace casesync
