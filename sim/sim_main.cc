// casesync_sim: runs the deterministic simulator. `--seed=S` replays one seed with a verbose
// summary; `--seeds=N [--first=S]` runs a batch and stops at the first failure, printing the line
// that reproduces it. Exit status: 0 all invariants held, 1 an invariant failed, 2 bad usage.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "sim/abort_reporter.h"
#include "sim/report.h"
#include "sim/sim_args.h"
#include "sim/simulator.h"

using namespace casesync;
using namespace casesync::sim;

namespace {

constexpr const char* kUsage =
    "usage: casesync_sim (--seed=S | --seeds=N [--first=S]) [--time-box-s=T]\n"
    "                    [--topology=STREETSxCOMMUNITIES] [--faults=all|none|KIND,..|-KIND,..]\n"
    "                    [--fault-phase-s=60] [--heal-bound-s=120] [--no-reopen] [--no-rush]\n"
    "                    [--timeline]\n";

struct Args {
  std::optional<std::uint64_t> seed;
  std::uint64_t seeds = 0;
  std::optional<std::uint64_t> first;
  double time_box_s = 0;  // 0: no box
  bool timeline = false;
  SimOptions options;
  std::string extra;  // the options that change a run, for the reproduce line
};

std::optional<std::uint64_t> number(std::string_view v) {
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  const std::string s(v);
  const unsigned long long n = std::strtoull(s.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return n;
}

bool parse_arg(std::string_view arg, Args* a) {
  if (arg == "--timeline") return a->timeline = true;
  if (parse_run_option(arg, &a->options, &a->extra)) return true;
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = arg.substr(0, eq), v = arg.substr(eq + 1);
  if (key == "--seed") return (a->seed = number(v)).has_value();
  if (key == "--first") return (a->first = number(v)).has_value();
  if (key == "--seeds") {
    auto n = number(v);
    a->seeds = n.value_or(0);
    return a->seeds > 0;
  }
  if (key == "--time-box-s") {
    auto n = number(v);
    a->time_box_s = static_cast<double>(n.value_or(0));
    return n.has_value();
  }
  return false;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

int replay_one(Args& a) {
  a.options.seed = *a.seed;
  if (a.timeline) a.options.log = &std::cout;
  set_abort_context(a.options.seed, a.extra, kSeedWatchdogSeconds);
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r = run_seed(a.options);
  print_run(std::cout, r, a.options, seconds_since(t0));
  if (r.ok()) return 0;
  print_failure(std::cout, r, a.extra);
  return 1;
}

int run_batch(Args& a) {
  // Without --first every batch explores new seeds; the first one is printed, so it replays.
  const std::uint64_t first = a.first.value_or(
      static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
      1'000'000'000'000ull);
  std::cout << "seeds " << first << " .. " << first + a.seeds - 1 << ", topology "
            << topology_name(a.options.topology) << std::endl;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  BatchTotals totals;
  for (std::uint64_t s = first; s < first + a.seeds; ++s) {
    if (a.time_box_s > 0 && seconds_since(t0) >= a.time_box_s) break;
    a.options.seed = s;
    set_abort_context(s, a.extra, kSeedWatchdogSeconds);
    RunResult r = run_seed(a.options);
    totals.add(r);
    if (!r.ok()) {
      totals.wall_s = seconds_since(t0);
      totals.cpu_s = cpu_seconds() - cpu0;
      print_batch(std::cout, totals);
      std::cout << "seed " << s << " FAILED\n";
      print_failure(std::cout, r, a.extra);
      return 1;
    }
  }
  totals.wall_s = seconds_since(t0);
  totals.cpu_s = cpu_seconds() - cpu0;
  print_batch(std::cout, totals);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    if (!parse_arg(argv[i], &a)) {
      std::cerr << "casesync_sim: bad argument " << argv[i] << "\n" << kUsage;
      return 2;
    }
  }
  if (a.seed.has_value() == (a.seeds > 0)) {
    std::cerr << kUsage;
    return 2;
  }
  if (!crypto::init().is_ok()) {
    std::cerr << "casesync_sim: libsodium failed to initialise\n";
    return 2;
  }
  install_abort_reporter();
  return a.seed ? replay_one(a) : run_batch(a);
}
