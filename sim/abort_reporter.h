// When an assertion in the core (or the simulator) aborts the process mid-run, the seed must
// still be printed, or the failure cannot be replayed. A signal handler writes the prepared
// "reproduce:" line (async-signal-safe: a preformatted buffer and write(2)) and re-raises.
#pragma once

#include <cstdint>
#include <string>

namespace casesync::sim {

// Installs the handler for SIGABRT, SIGSEGV, SIGBUS, SIGFPE and SIGILL. Idempotent.
void install_abort_reporter();
// The seed now running and the extra CLI arguments that reproduce it.
void set_abort_context(std::uint64_t seed, const std::string& extra_args);

}  // namespace casesync::sim
