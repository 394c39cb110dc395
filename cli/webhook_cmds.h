// casesyncctl's webhook commands: `webhook list` (each [[webhook]] of the node and how its
// delivery stands) and `webhook retry NAME` (resend its dead letters); `status` prints the same
// table.
#pragma once

#include <nlohmann/json.hpp>

namespace casesync {

struct Cli;  // cli/cli_common.h

int cmd_webhook(Cli& cli);
// The "webhooks" array of /api/status or /api/webhooks as a table (nothing when empty).
void print_webhooks(const nlohmann::json& webhooks);

}  // namespace casesync
