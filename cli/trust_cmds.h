// casesyncctl's root-of-trust commands: root init, roster sign, enroll request|approve, revoke.
// They work on files (the root key never leaves the admin's machine); approve and revoke also
// hand the new signed roster to the district daemon when a node is given (--config or --api),
// which installs it and pushes it down the tree.
#pragma once

#include <string>
#include <vector>

namespace casesync {

class ApiClient;

// `args` starts at the command name; `node` is the district's API, or null (files only);
// `config` is the node config given with --config (enroll request reads its id, role and key).
// Returns the exit code.
int trust_main(std::vector<std::string> args, const ApiClient* node, const std::string& config);

}  // namespace casesync
