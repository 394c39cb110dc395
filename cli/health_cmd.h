// `casesyncctl health [--json]`: the node tree with each node's state, last seen, backlog, lag and
// clock offset; exits non-zero when any node is not in_step, for cron and monitoring agents.
#pragma once

#include <string>

namespace casesync {

class ApiClient;

// `node` is the node's API. Returns the process exit code.
int cmd_health(const ApiClient& node, bool as_json);

struct Cli;
// `casesyncctl security-alert clear NODE --reason TEXT` (admin): the node's security_alert is
// understood; health counts only refusals after this. The node records who, when and why.
int cmd_security_alert(Cli& cli);

}  // namespace casesync
