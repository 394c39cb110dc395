#include "sim/abort_reporter.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace casesync::sim {

namespace {

char g_died[512] = "casesync_sim: crashed before the first seed started\n";
char g_ran_away[512] = "casesync_sim: watchdog fired before the first seed started\n";

void write_all(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void on_fatal_signal(int sig) {
  write_all(g_died);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void on_watchdog(int) {
  write_all(g_ran_away);
  ::signal(SIGABRT, SIG_DFL);
  ::abort();
}

}  // namespace

void install_abort_reporter() {
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_fatal_signal);
  ::signal(SIGALRM, on_watchdog);
}

void set_abort_context(std::uint64_t seed, const std::string& extra_args, unsigned watchdog_s) {
  const auto s = static_cast<unsigned long long>(seed);
  const char* open = extra_args.empty() ? "" : " SIM_ARGS=\"";
  const char* close = extra_args.empty() ? "" : "\"";
  std::snprintf(g_died, sizeof g_died,
                "casesync_sim: the process died in seed %llu (assertion or crash above)\n"
                "reproduce: make sim SEED=%llu%s%s%s\n",
                s, s, open, extra_args.c_str(), close);
  std::snprintf(g_ran_away, sizeof g_ran_away,
                "casesync_sim: seed %llu still running after %u s of wall time: a hang or runaway "
                "work (attach a debugger to see where)\nreproduce: make sim SEED=%llu%s%s%s\n",
                s, watchdog_s, s, open, extra_args.c_str(), close);
  ::alarm(watchdog_s);
}

}  // namespace casesync::sim
