// The policy bundles the simulated district publishes (the publish_policy fault): version N
// stands for a calendar with N holidays from 2027-02-06 (weekdays, 09:00-17:00 China time
// otherwise) and carries deadline defaults that change with N, written as the real [deadlines]
// table of a matters file and read by the real parser (config/deadline_defaults.h). So two
// versions give different due times for the same hop, and nodes that hold one version agree.
#pragma once

#include <cstdint>
#include <string>

#include "common/work_calendar.h"
#include "sync/effects.h"
#include "sync/stall_detector.h"

namespace casesync::sim {

std::string sim_policy_text(std::uint64_t version);

// What a node holding `policy` computes deadlines with.
struct SimPolicyInputs {
  WorkCalendar calendar = WorkCalendar::weekdays(8 * 60);
  StallPolicy stall;
};
SimPolicyInputs sim_policy_inputs(const SignedDoc& policy);

}  // namespace casesync::sim
