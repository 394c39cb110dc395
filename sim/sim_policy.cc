#include "sim/sim_policy.h"

#include "config/deadline_defaults.h"

namespace casesync::sim {

std::string sim_policy_text(std::uint64_t version) {
  if (version == 0) return "";
  // 5N+1 minutes is never the built-in 4h (what version 0 uses), so every version moves it.
  return "# policy " + std::to_string(version) + "\n[deadlines]\naccept = \"" +
         std::to_string(5 * version + 1) + "m\"\ndelivery = \"" + std::to_string(10 + version) +
         "m\"\nwarn_fraction = 0.5\n";
}

SimPolicyInputs sim_policy_inputs(const SignedDoc& policy) {
  SimPolicyInputs in;
  const std::int64_t first = WorkCalendar::day_from_civil(2027, 2, 6);
  for (std::uint64_t i = 0; i < policy.version; ++i) {
    in.calendar.add_holiday(first + static_cast<std::int64_t>(i));
  }
  // A text that does not parse keeps the defaults: policy_diverged reports the node anyway.
  auto defaults = parse_deadline_defaults(policy.text, "simulated policy");
  if (!defaults.is_ok()) return in;
  SupervisionConfig sc;
  defaults->apply(sc);
  in.stall.delivery_ms = sc.delivery_ms;
  in.stall.accept_ms = sc.accept_ms;
  in.stall.warn_fraction = sc.warn_fraction;
  return in;
}

}  // namespace casesync::sim
