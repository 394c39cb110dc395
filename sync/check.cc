#include "sync/check.h"

#include <cstdio>
#include <cstdlib>

namespace casesync {

void check_failed(const char* condition, const char* why, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: CASESYNC_CHECK(%s) failed: %s\n", file, line, condition, why);
  std::fflush(stderr);
  std::abort();
}

}  // namespace casesync
