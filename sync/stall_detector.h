// Stall detection: which hops of a case are late, by how much in working time, and why.
// A pure function of the folded case, the deadlines, the calendar, the clock and what this node
// knows about other nodes' liveness — every node that holds the hop runs it on its own clock.
//
// Stages and their deadlines:
//   delivery  forwarded, no delivery receipt      forwarded + deadlines.delivery (wall clock)
//   accept    delivered, not signed for (签收)     delivered + deadlines.accept (working time)
//   answer    accepted, no reply/return            accepted + the matter's limit in working days
//                                                 (or deadlines.answer), paused while a
//                                                 supplement request waits for the applicant
//   case      the whole case, not completed        received + the matter's limit
//
// Attribution (a node that was cut off is never blamed as silent):
//   silent        the receiver was known in step after the deadline and still did not act
//   not_accepted  accept stage, receiver not known in step since: its signed receipt proves it
//                 had the case, nothing shows whether it ignores it or is cut off
//   unreachable   nothing shows the receiver in step since the deadline (network or power)
//
// One alert per (case, hop, stage): its id is derived from them, so every node that detects the
// stall reports the same alert. Escalation: overdue → the sender; overdue by escalate_fraction of
// the limit → the sender's parent; by twice that → the district.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/roster.h"
#include "common/work_calendar.h"
#include "sync/case_state.h"
#include "sync/due_record.h"

namespace casesync {

struct StallPolicy {
  std::uint64_t delivery_ms = 10 * 60 * 1000;
  std::uint64_t accept_ms = 4 * 3600 * 1000;                  // default for every role
  std::map<Role, std::uint64_t> accept_ms_by_role;            // overrides
  std::uint64_t answer_ms = 0;                                // 0: the matter's limit
  double warn_fraction = 0.8;
  double escalate_fraction = 0.5;
};

struct Stall {
  std::string alert_id;  // "<case>/<hop>/<stage>"
  std::string case_id;
  std::string hop;       // "" for the whole-case stage
  std::string stage;     // delivery | accept | answer | case
  std::string sender;
  std::string receiver;
  std::string level;     // warning | overdue
  std::uint64_t due_ms = 0;
  std::int64_t overdue_by_ms = 0;  // working time past due (negative: time left, for warnings)
  std::string attribution;         // silent | not_accepted | unreachable
  std::string escalated_to;        // the node whose staff should act now
};

// What a deadline depends on: district policy (the calendar, the matters' limits) and this
// node's stall policy. No clock: a deadline is the same whenever it is asked for.
struct DeadlineInputs {
  const Roster* roster = nullptr;
  const WorkCalendar* calendar = nullptr;
  const StallPolicy* policy = nullptr;
  // The matter's limit in working days, or 0 when unknown.
  std::function<std::uint32_t(const std::string& matter)> matter_limit_days;
  // The district policy version the calendar, limits and deadline defaults come from
  // (config/policy_bundle.h).
  std::uint64_t policy_version = 0;
  // This node's memory of the due times it computed (daemon/due_ledger.h): given a deadline's
  // key (due_key) and its due time now, the record that says whether a policy change moved it.
  // Empty: nothing remembered, no notes.
  std::function<DueRecord(const std::string& key, std::uint64_t due_ms)> remember_due;
};

struct StallInputs : DeadlineInputs {
  // The latest time a node was known to be in step, or nullopt (see HealthBook::in_step_at).
  std::function<std::optional<std::uint64_t>(const std::string& node)> in_step_at;
  std::uint64_t now_ms = 0;
};

// The deadline an open hop (or the case as a whole) is waiting against.
struct Deadline {
  std::string stage;  // delivery | accept | answer | case
  std::uint64_t start_ms = 0;
  std::uint64_t due_ms = 0;
  bool wall_clock = false;  // delivery counts real time, the rest working time
};

// The deadline of the stage the hop waits in, or nullopt when it waits for nobody at the
// receiver: answered, returned, superseded, paused for the applicant's materials, or an answer
// stage with no limit known (unknown matter, no override).
std::optional<Deadline> hop_deadline(const Hop& hop, const CaseState& state, const DeadlineInputs& in);
// The case's own deadline (received + the matter's limit, moved by every pause), or nullopt when
// it is closed, paused for the applicant, or its matter has no known limit.
std::optional<Deadline> case_deadline(const CaseState& state, const DeadlineInputs& in);

std::vector<Stall> detect_stalls(const CaseState& state, const StallInputs& in);

}  // namespace casesync
