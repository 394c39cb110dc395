// casesyncctl's case commands: `case create|show|trace|<action>` and the `cases` worklist.
#pragma once

#include "cli/cli_common.h"

namespace casesync {

int cmd_case(Cli& cli);
int cmd_cases(Cli& cli);

}  // namespace casesync
