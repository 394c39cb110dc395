#include "sim/report.h"

#include <cstdio>

namespace casesync::sim {

namespace {

void print_faults(std::ostream& out, const FaultCounts& counts, const char* indent) {
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    if (counts[k] == 0) continue;
    out << indent << fault_kind_name(static_cast<FaultKind>(k)) << ": " << counts[k] << "\n";
  }
}

void print_map(std::ostream& out, const char* title,
               const std::map<std::string, std::uint64_t>& m) {
  out << title << ":";
  if (m.empty()) out << " none";
  for (const auto& [k, v] : m) out << " " << k << "=" << v;
  out << "\n";
}

std::string ms_as_s(std::uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace

std::string hex64(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void BatchTotals::add(const RunResult& r) {
  if (seeds++ == 0) first_seed = r.seed;
  last_seed = r.seed;
  trace.mix_u64(r.trace_hash);
  for (std::size_t k = 0; k < kFaultKinds; ++k) faults[k] += r.faults[k];
  convergence_ms_sum += r.convergence_ms;
  events += r.events_total;
  if (r.convergence_ms >= slowest_convergence_ms) {
    slowest_convergence_ms = r.convergence_ms;
    slowest_seed = r.seed;
  }
}

void print_run(std::ostream& out, const RunResult& r, const SimOptions& o, double wall_s) {
  out << "seed " << r.seed << " topology " << topology_name(o.topology) << ": "
      << (r.ok() ? "ok" : "FAILED") << ", trace " << hex64(r.trace_hash) << "\n";
  out << "profile (ppm):";
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    if (r.profile.ppm[k])
      out << " " << fault_kind_name(static_cast<FaultKind>(k)) << "=" << r.profile.ppm[k];
  }
  out << "\nlimits: batch_events_max=" << r.limits.batch_events_max
      << " batch_bytes_max=" << r.limits.batch_bytes_max
      << " window=" << r.limits.window_batches_max
      << " resend_timeout_ms=" << r.limits.resend_timeout_ms
      << " heartbeat_ms=" << r.limits.heartbeat_interval_ms
      << " peer_timeout_ms=" << r.limits.peer_timeout_ms
      << " outbox_bytes_max=" << r.limits.outbox_bytes_max
      << " outbox_age_max_ms=" << r.limits.outbox_age_max_ms << "\n";
  out << "faults injected:\n";
  print_faults(out, r.faults, "  ");
  out << "clerks: " << r.clerks.actions << " actions, " << r.clerks.events_acked
      << " events acknowledged, " << r.clerks.refused << " refused by the rules, "
      << r.clerks.disk_errors << " failed on a full disk, " << r.clerks.idle << " idle, "
      << r.clerks.external_found << " department-system cases found already held\n";
  print_map(out, "acknowledged by kind", r.clerks.acked_by_kind);
  for (const auto& why : r.clerks.refusals) out << "  refused: " << why << "\n";
  out << "district holds " << r.events_total << " events in " << r.cases_total << " cases ("
      << r.conflicts << " conflicts decided by the fold); " << r.frames_delivered
      << " frames delivered, " << r.frames_lost << " lost to partitions or dead nodes; "
      << r.restarts << " restarts\n";
  print_map(out, "conflicts by rule", r.conflicts_by_rule);
  print_map(out, "rejects", r.rejects);
  print_map(out, "alerts", r.alerts);
  out << (r.converged ? "converged " + ms_as_s(r.convergence_ms) + " after healing"
                      : std::string("did NOT converge"))
      << " (virtual run " << ms_as_s(r.end_ms) << ", wall " << wall_s << " s)\n";
}

void print_batch(std::ostream& out, const BatchTotals& t) {
  out << "seeds run: " << t.seeds;
  if (t.seeds) out << " (" << t.first_seed << " .. " << t.last_seed << ")";
  out << ", batch trace " << hex64(t.trace.value());
  out << "\nfaults injected by kind:\n";
  print_faults(out, t.faults, "  ");
  out << "slowest convergence: " << ms_as_s(t.slowest_convergence_ms) << " (seed " << t.slowest_seed
      << ")";
  if (t.seeds) out << ", mean " << ms_as_s(t.convergence_ms_sum / t.seeds);
  out << "\nwall time " << t.wall_s << " s";
  if (t.wall_s > 0)
    out << ", " << static_cast<double>(t.seeds) * 60.0 / t.wall_s << " seeds/minute";
  out << "; cpu time " << t.cpu_s << " s";
  if (t.cpu_s > 0)
    out << ", " << static_cast<double>(t.seeds) * 60.0 / t.cpu_s << " seeds/cpu-minute";
  out << "\n";
}

void print_failure(std::ostream& out, const RunResult& r, const std::string& extra_args) {
  for (const auto& v : r.violations) out << to_string(v) << "\n";
  out << "reproduce: make sim SEED=" << r.seed;
  if (!extra_args.empty()) out << " SIM_ARGS=\"" << extra_args << "\"";
  out << "\n";
}

}  // namespace casesync::sim
