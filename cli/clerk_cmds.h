// casesyncctl's commands for who may use a node: its clerks (through the node's API, as its
// admin) and the files a node's access rests on (written locally, as root):
//   clerk add ID --name NAME --role window|reviewer|admin|system   prints the token once
//   clerk list | clerk disable ID
//   admin-token new [--out FILE] [--replace]   the node's admin token (api.admin_token)
//   keygen --data-key FILE                     a node's data key (paths.data_key)
#pragma once

#include <string>

#include "cli/admin_token.h"
#include "cli/cli_common.h"

namespace casesync {

int cmd_clerk(Cli& cli);
int cmd_admin_token(Cli& cli);
// `keygen --data-key FILE`: the data key alone.
int cmd_keygen_data_key(Cli& cli, const std::string& path);

}  // namespace casesync
