// Stall detection: which stages of a case this node sees late, on its own clock, by how much in
// working time. A pure function of the folded case, the deadlines, the calendar and the clock.
//
// Stages and their deadlines:
//   delivery  forwarded, no delivery receipt      forwarded + deadlines.delivery (wall clock)
//   accept    delivered, not signed for (签收)     delivered + deadlines.accept (working time)
//   answer    accepted, no reply/return            accepted + the matter's limit in working days
//                                                 (or deadlines.answer), paused while a
//                                                 supplement request waits for the applicant
//   case      the whole case, not completed        received + the matter's limit
//
// Each node reports only what it sees on its own clock, as a signed stall_seen event in the case
// (sync/stall_sighting.h): the sender of a hop counts every stage from its forward, the receiver
// counts accept and answer from its own receipts, the receiving node counts the whole case. One
// event per step a reporter reaches: warning, overdue, escalated (overdue by escalate_fraction of
// the limit), escalated twice (by twice that). What the stall IS — level, attribution, whom to
// escalate to — is folded from those events alone (sync/stall_fold.h), so it reads the same at
// every node holding them.
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
  std::string seen_by;             // the reporter whose sighting these figures are
  std::uint64_t seen_ms = 0;       // when it looked, on its own clock
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
  std::string self;         // the reporter
  std::uint64_t now_ms = 0;  // its clock
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

// The sightings `in.self` should record now: for each stage it watches (see above) that has
// reached a step beyond the highest it already recorded for that stage, one sighting of the
// step reached (event and reporter left empty: the signed event fills them).
std::vector<StallSighting> sightings_due(const CaseState& state, const StallInputs& in);

}  // namespace casesync
