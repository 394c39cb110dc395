#include "cli/health_cmd.h"

#include <cstdio>

namespace casesync {

int cmd_health(const std::string&, bool) {
  std::fprintf(stderr, "casesyncctl health: not built yet\n");
  return 1;
}

}  // namespace casesync
