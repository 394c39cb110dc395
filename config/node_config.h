// NodeConfig: one node's TOML configuration, validated. Every key is checked on load and an
// error names the file, line, key and the allowed values:
//   casesyncd.toml:12: sync.batch_events_max: 70000 is out of range (1..10000)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/roster.h"
#include "common/sync_limits.h"
#include "common/status.h"

namespace casesync {

struct NodeConfig {
  std::string source_path;                  // the file this was loaded from
  std::string node_id;                      // node.id
  Role role = Role::kCommunity;             // node.role
  std::string listen_endpoint;              // node.listen, e.g. "tcp://127.0.0.1:7000"; may be empty for leaves
  std::vector<std::string> parent_endpoints;  // node.parents: primary first, then fallbacks
  std::string data_dir;                     // paths.data_dir; relative paths are resolved against the config file's directory
  std::string key_file;                     // paths.key_file (Ed25519 secret, 0600)
  std::string roster_file;                  // paths.roster
  std::string matters_file;                 // paths.matters (optional; default "matters.toml")
  std::string api_address;                  // api.listen, "127.0.0.1:8000" (loopback only)
  std::string log_level = "info";           // log.level: debug | info | warning | error
  SyncLimits sync;                          // [sync]
};

// Parses and validates. Relative paths in [paths] are made absolute against the file's directory.
Result<NodeConfig> load_node_config(const std::string& path);

}  // namespace casesync
