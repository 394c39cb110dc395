// The [api] and [privacy] tables of a node config (internal to config/; node_config.h has the
// fields): where the local API listens and who it lets in — loopback HTTP, an optional TLS
// listener for department systems on other hosts, the origins and host names it accepts, the
// admin token — and which body fields hold personal data (docs/SECURITY.md).
#pragma once

#include <filesystem>

#include "config/node_config.h"
#include "config/toml_errors.h"

namespace casesync {

// Relative paths (certificate, key, admin token) resolve against `base_dir`, the config's
// directory.
void read_api(TableReader api, const std::filesystem::path& base_dir, NodeConfig& config);
void read_privacy(TableReader privacy, NodeConfig& config);

}  // namespace casesync
