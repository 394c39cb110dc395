// Text reports of runs: the verbose summary of one seed (for replay) and the totals of a batch.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/sim_options.h"
#include "sim/trace_hash.h"

namespace casesync::sim {

// Sums over a batch of seeds.
struct BatchTotals {
  std::uint64_t seeds = 0;
  std::uint64_t first_seed = 0;
  std::uint64_t last_seed = 0;
  FaultCounts faults{};
  std::uint64_t slowest_convergence_ms = 0;
  std::uint64_t slowest_seed = 0;
  std::uint64_t convergence_ms_sum = 0;
  std::uint64_t events = 0;
  double wall_s = 0;
  double cpu_s = 0;  // the machine may be shared: CPU time says what one core does
  TraceHash trace;   // over every seed's trace hash: one value says the whole batch replayed

  void add(const RunResult& r);
};

void print_run(std::ostream& out, const RunResult& r, const SimOptions& o, double wall_s);
void print_batch(std::ostream& out, const BatchTotals& t);
// Violations, then the line that replays the run. `extra_args` are the non-default options.
void print_failure(std::ostream& out, const RunResult& r, const std::string& extra_args);
std::string hex64(std::uint64_t v);

}  // namespace casesync::sim
