// The command-line options that change what a run does (topology, faults, phase lengths,
// workload). One parser serves casesync_sim and sim_test, so a failure in either prints the
// exact arguments that replay it.
#pragma once

#include <string>
#include <string_view>

#include "sim/sim_options.h"

namespace casesync::sim {

// Parses one option ("--topology=3x2", "--faults=-bit_flip", "--fault-phase-s=30",
// "--heal-bound-s=60", "--no-reopen", "--no-rush") into *options and appends it to *replay_args.
// Returns false (and leaves both unchanged) when `arg` is not such an option or its value is bad.
bool parse_run_option(std::string_view arg, SimOptions* options, std::string* replay_args);

// Parses a space-separated list of run options. Returns false on the first bad one.
bool parse_run_options(std::string_view args, SimOptions* options, std::string* replay_args);

}  // namespace casesync::sim
