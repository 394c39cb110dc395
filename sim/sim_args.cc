#include "sim/sim_args.h"

#include <charconv>

namespace casesync::sim {

namespace {

constexpr std::uint64_t kPhaseSecondsMax = 3600;

bool seconds(std::string_view v, std::uint64_t* ms) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n == 0 || n > kPhaseSecondsMax)
    return false;
  *ms = n * 1000;
  return true;
}

bool apply(std::string_view key, std::string_view v, SimOptions* o) {
  if (key == "--topology") {
    auto t = parse_topology(v);
    if (t) o->topology = *t;
    return t.has_value();
  }
  if (key == "--faults") {
    std::string error;
    auto m = parse_fault_mask(v, &error);
    if (m) o->faults = *m;
    return m.has_value();
  }
  if (key == "--fault-phase-s") return seconds(v, &o->fault_phase_ms);
  if (key == "--heal-bound-s") return seconds(v, &o->heal_bound_ms);
  return false;
}

}  // namespace

bool parse_run_option(std::string_view arg, SimOptions* options, std::string* replay_args) {
  SimOptions o = *options;
  if (arg == "--no-reopen") {
    o.reopen = false;
  } else if (arg == "--no-rush") {
    o.rush = false;
  } else {
    const auto eq = arg.find('=');
    if (eq == std::string_view::npos || !apply(arg.substr(0, eq), arg.substr(eq + 1), &o))
      return false;
  }
  *options = o;
  if (!replay_args->empty()) *replay_args += " ";
  *replay_args += arg;
  return true;
}

bool parse_run_options(std::string_view args, SimOptions* options, std::string* replay_args) {
  while (!args.empty()) {
    const auto space = args.find(' ');
    const std::string_view one = args.substr(0, space);
    args = space == std::string_view::npos ? std::string_view() : args.substr(space + 1);
    if (!one.empty() && !parse_run_option(one, options, replay_args)) return false;
  }
  return true;
}

}  // namespace casesync::sim
