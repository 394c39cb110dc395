// A node's admin token (api.admin_token): what `admin-token new`, `testbed init` and the package
// write. Implemented in clerk_cmds.cc.
#pragma once

#include <string>

namespace casesync {

// A fresh admin token, one line: "csk_admin_<48 hex>\n" (the form daemon/api_token.h reads).
std::string new_admin_token();

}  // namespace casesync
