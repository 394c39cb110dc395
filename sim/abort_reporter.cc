#include "sim/abort_reporter.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace casesync::sim {

namespace {

char g_message[512] = "casesync_sim: crashed before the first seed started\n";

void on_fatal_signal(int sig) {
  const ssize_t ignored = ::write(STDERR_FILENO, g_message, std::strlen(g_message));
  (void)ignored;
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void install_abort_reporter() {
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_fatal_signal);
}

void set_abort_context(std::uint64_t seed, const std::string& extra_args) {
  std::snprintf(g_message, sizeof g_message,
                "casesync_sim: the process died in seed %llu (assertion or crash above)\n"
                "reproduce: make sim SEED=%llu%s%s%s\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
                extra_args.empty() ? "" : " SIM_ARGS=\"", extra_args.c_str(),
                extra_args.empty() ? "" : "\"");
}

}  // namespace casesync::sim
