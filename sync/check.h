// CASESYNC_CHECK: an invariant of the protocol core that must hold in every build. A failed check
// is a programmer error (positions or sequence numbers going backwards, an outbox with a hole):
// the process stops at once with the condition, the reason and where, rather than carry on and
// corrupt what it stores or sends. Operating errors (bad input, a full disk) are never checks:
// they are Status values.
#pragma once

namespace casesync {

[[noreturn]] void check_failed(const char* condition, const char* why, const char* file, int line);

}  // namespace casesync

#define CASESYNC_CHECK(condition, why)                                  \
  do {                                                                  \
    if (!(condition)) ::casesync::check_failed(#condition, why, __FILE__, __LINE__); \
  } while (0)
