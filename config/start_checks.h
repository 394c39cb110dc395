// Everything a node reads at start besides its config, checked in one place: casesyncd refuses
// to start and `casesyncctl config check` says not ok for exactly the same files, with the same
// words, so the two cannot drift (issue 26). Each refusal points at the config line that names
// the file or value, then says what is wrong with it:
//   /etc/casesync/casesyncd.toml:9: paths.key_file: /var/lib/casesync/node.key: ... mode 0644 ...
//
// Checked: trust.root_public_key present; the roster (or the newer copy the node saved) signed
// by that pinned key; this node in it; the matters file; the key file (present, 0600, a key) and
// that it is the key the roster lists for this node; the calendar ("", "always" or a file).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/roster.h"
#include "common/status.h"
#include "common/work_calendar.h"
#include "config/matters_file.h"
#include "config/node_config.h"
#include "config/signed_roster.h"
#include "crypto/crypto.h"

namespace casesync {

struct StartInputs {
  SignedRoster signed_roster;  // the configured file, or the newer copy in the data folder
  Roster roster;
  MattersCatalogue matters;
  crypto::KeyPair keys;
  WorkCalendar calendar;
  std::vector<std::string> warnings;  // worth a log line, not a refusal
};

// REQUIRES: crypto::init() has run (the secret key lives in sodium's guarded memory).
Result<StartInputs> check_start_inputs(const NodeConfig& config);

// "FILE:LINE: KEY" for a key of the config file, "FILE: KEY" when the key is not written there
// (its default applies).
std::string config_where(const NodeConfig& config, std::string_view dotted_key);

}  // namespace casesync
