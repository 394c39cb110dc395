// The [api] and [privacy] tables of a node config and the backup folder of [paths] (internal to
// config/; node_config.h has the fields, node_config.cc calls these): where the local API listens
// and who it lets in — loopback HTTP, an optional TLS listener for department systems on other
// hosts, the origins and host names it accepts, the admin token —, its limits under load, which
// body fields hold personal data (docs/SECURITY.md), and where backups go. Every value is checked
// with FILE:LINE errors.
#pragma once

#include <filesystem>

#include "config/node_config.h"
#include "config/toml_errors.h"

namespace casesync {

// The whole [api] table. Relative paths (certificate, key, admin token) resolve against
// `base_dir`, the config's directory.
void read_api(TableReader api, const std::filesystem::path& base_dir, NodeConfig& config);
// api.max_body_bytes, read/write/idle timeouts and connection caps into `limits`.
void read_api_limits(TableReader& api, ApiLimits& limits);
void read_privacy(TableReader privacy, NodeConfig& config);

// paths.backup_dir: absent means `data_dir`/backup; it may not be the data folder itself (a
// backup could then be named like the live database). REQUIRES: data_dir already resolved.
void read_backup_dir(TableReader& paths, const std::filesystem::path& base_dir,
                     NodeConfig& config);

}  // namespace casesync
