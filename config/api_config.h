// The local API's limits and the backup folder, read from the [api] and [paths] tables (internal
// to config/; node_config.cc calls these). Every value is checked with FILE:LINE errors.
#pragma once

#include <filesystem>

#include "config/node_config.h"
#include "config/toml_errors.h"

namespace casesync {

// api.max_body_bytes, read/write/idle timeouts and connection caps into `limits`.
void read_api_limits(TableReader& api, ApiLimits& limits);

// paths.backup_dir: absent means `data_dir`/backup; it may not be the data folder itself (a
// backup could then be named like the live database). REQUIRES: data_dir already resolved.
void read_backup_dir(TableReader& paths, const std::filesystem::path& base_dir,
                     NodeConfig& config);

}  // namespace casesync
