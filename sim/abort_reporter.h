// When the process dies mid-run — an assertion in the core or the simulator, a crash, or a seed
// that runs away (a hang, exponential work) — the seed must still be printed, or the failure
// cannot be replayed. Signal handlers write the prepared "reproduce:" line (async-signal-safe:
// preformatted buffers and write(2)) and end the process.
#pragma once

#include <cstdint>
#include <string>

namespace casesync::sim {

// Installs the handlers for SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGALRM. Idempotent.
void install_abort_reporter();
// The seed now running and the extra CLI arguments that reproduce it. Also (re)arms the
// watchdog: if this seed still runs after `watchdog_s` wall seconds the process is aborted with
// the reproduce line. 0 disarms it.
void set_abort_context(std::uint64_t seed, const std::string& extra_args, unsigned watchdog_s = 0);

// A seed takes about a second of CPU; two minutes of wall time mean something ran away.
inline constexpr unsigned kSeedWatchdogSeconds = 120;

}  // namespace casesync::sim
