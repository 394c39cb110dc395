// Proves stall detection on a simulated clock: every stage (delivery, accept, answer, case), each
// attribution (silent, not_accepted, unreachable), warnings before the deadline, the paused answer
// clock during a supplement request, escalation sender -> parent -> district, and that a
// partitioned receiver is never blamed as silent; and which due times a newer policy moved.
#include <doctest/doctest.h>

#include "sync/stall_detector.h"

using namespace casesync;

namespace {

constexpr std::uint64_t kMin = 60 * 1000;
constexpr std::uint64_t T0 = 1'800'000'000'000;

Roster roster() {
  Roster r;
  r.add({.id = "d", .role = Role::kDistrict});
  r.add({.id = "s1", .role = Role::kStreet, .parent = "d"});
  r.add({.id = "c1", .role = Role::kCommunity, .parent = "s1"});
  return r;
}

CaseState case_with_hop(HopStage stage) {
  CaseState s;
  s.exists = true;
  s.id = "c1-000001";
  s.matter = "QY-001";
  s.receiving_node = "c1";
  s.holder = "s1";
  s.received_ms = T0;
  s.status = CaseStatus::kForwarded;
  Hop h{.id = "c1:2", .from = "c1", .to = "s1", .stage = stage, .forwarded_ms = T0};
  if (stage >= HopStage::kDelivered) h.delivered_ms = T0 + kMin;
  if (stage >= HopStage::kAccepted) h.accepted_ms = T0 + 2 * kMin;
  s.hops.push_back(h);
  return s;
}

struct Fixture {
  Roster r = roster();
  WorkCalendar cal = WorkCalendar::always();
  StallPolicy policy{.delivery_ms = 10 * kMin, .accept_ms = 30 * kMin, .answer_ms = 60 * kMin,
                     .warn_fraction = 0.5, .escalate_fraction = 0.5};
  std::map<std::string, std::uint64_t> in_step;  // node -> last known in step
  StallInputs at(std::uint64_t now) {
    StallInputs in;
    in.roster = &r;
    in.calendar = &cal;
    in.policy = &policy;
    in.matter_limit_days = [](const std::string&) { return 3u; };
    in.in_step_at = [this](const std::string& n) -> std::optional<std::uint64_t> {
      auto it = in_step.find(n);
      if (it == in_step.end()) return std::nullopt;
      return it->second;
    };
    in.now_ms = now;
    return in;
  }
  std::optional<Stall> hop_stall(const CaseState& s, std::uint64_t now) {
    for (auto& st : detect_stalls(s, at(now))) {
      if (st.stage != "case") return st;
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("delivery stage: nothing before the warning, a warning, then overdue") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kForwarded);
  CHECK_FALSE(f.hop_stall(s, T0 + 4 * kMin));
  auto warn = f.hop_stall(s, T0 + 6 * kMin);
  REQUIRE(warn);
  CHECK(warn->stage == "delivery");
  CHECK(warn->level == "warning");
  CHECK(warn->overdue_by_ms == -static_cast<std::int64_t>(4 * kMin));
  auto late = f.hop_stall(s, T0 + 12 * kMin);
  REQUIRE(late);
  CHECK(late->level == "overdue");
  CHECK(late->overdue_by_ms == static_cast<std::int64_t>(2 * kMin));
  CHECK(late->attribution == "unreachable");
  CHECK(late->alert_id == "c1-000001/c1:2/delivery");
}

TEST_CASE("accept stage: in step after the deadline -> silent; receipt but no news -> not_accepted") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kDelivered);
  const std::uint64_t due = T0 + kMin + 30 * kMin;
  f.in_step[std::string("s1")] = due + kMin;  // heard from, in step, after the deadline
  auto st = f.hop_stall(s, due + 5 * kMin);
  REQUIRE(st);
  CHECK(st->stage == "accept");
  CHECK(st->attribution == "silent");
  f.in_step.erase("s1");
  CHECK(f.hop_stall(s, due + 5 * kMin)->attribution == "not_accepted");
}

TEST_CASE("answer stage: an online but idle receiver is silent; a partitioned one is unreachable") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kAccepted);
  const std::uint64_t due = T0 + 2 * kMin + 60 * kMin;
  f.in_step["s1"] = due + kMin;
  CHECK(f.hop_stall(s, due + 3 * kMin)->attribution == "silent");
  // Partitioned: the last time it was known in step was before the deadline.
  f.in_step["s1"] = due - kMin;
  CHECK(f.hop_stall(s, due + 3 * kMin)->attribution == "unreachable");
  f.in_step.erase("s1");
  CHECK(f.hop_stall(s, due + 3 * kMin)->attribution == "unreachable");
}

TEST_CASE("the answer clock pauses while a supplement request waits for the applicant") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kSupplementRequested);
  CHECK_FALSE(f.hop_stall(s, T0 + 1000 * kMin));
  // Supplied after a 100-minute pause: the deadline moves by the pause.
  s.hops[0].stage = HopStage::kAccepted;
  s.hops[0].paused_ms = 100 * kMin;
  const std::uint64_t due = T0 + 2 * kMin + 60 * kMin + 100 * kMin;
  CHECK(f.hop_stall(s, due - kMin)->level == "warning");
  CHECK(f.hop_stall(s, due + kMin)->level == "overdue");
}

TEST_CASE("escalation: sender, then the sender's parent, then the district") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kAccepted);
  const std::uint64_t due = T0 + 2 * kMin + 60 * kMin;
  CHECK(f.hop_stall(s, due + 10 * kMin)->escalated_to == "c1");
  CHECK(f.hop_stall(s, due + 31 * kMin)->escalated_to == "s1");
  CHECK(f.hop_stall(s, due + 61 * kMin)->escalated_to == "d");
}

TEST_CASE("answered hops and closed cases do not stall; the whole case has its own deadline") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kAnswered);
  CHECK_FALSE(f.hop_stall(s, T0 + 100000 * kMin));
  auto all = detect_stalls(s, f.at(T0 + 4 * 24 * 60 * kMin));
  REQUIRE(all.size() == 1);
  CHECK(all[0].stage == "case");
  s.status = CaseStatus::kCompleted;
  CHECK(detect_stalls(s, f.at(T0 + 4 * 24 * 60 * kMin)).empty());
}

TEST_CASE("working-day calendar: a Friday-evening delivery is not late over the weekend") {
  Fixture f;
  f.cal = WorkCalendar::weekdays(8 * 60);
  CaseState s = case_with_hop(HopStage::kDelivered);
  // 2027-01-08 is a Friday; delivered 16:30 local with hours 09:00-17:00 and a 4h accept limit:
  // 30 min on Friday, 3.5 h on Monday -> due Monday 12:30 local.
  const std::uint64_t fri = f.cal.day_start_utc(WorkCalendar::day_from_civil(2027, 1, 8));
  s.hops[0].delivered_ms = fri + (16 * 60 + 30) * kMin;
  f.policy.accept_ms = 4 * 60 * kMin;
  f.policy.warn_fraction = 1.0;
  const std::uint64_t sunday = fri + 2 * 24 * 60 * kMin;
  CHECK_FALSE(f.hop_stall(s, sunday));
  const std::uint64_t monday_13h = fri + 3 * 24 * 60 * kMin + 13 * 60 * kMin;
  auto st = f.hop_stall(s, monday_13h);
  REQUIRE(st);
  CHECK(st->overdue_by_ms == static_cast<std::int64_t>(30 * kMin));
}

TEST_CASE("deadlines: each open hop's stage deadline, the case's own, none while paused") {
  Fixture f;
  f.cal = WorkCalendar::weekdays(8 * 60);
  f.policy.answer_ms = 0;  // the matter's limit (3 working days) or the hop's own
  const DeadlineInputs& in = f.at(T0);
  CaseState s = case_with_hop(HopStage::kForwarded);
  auto d = hop_deadline(s.hops[0], s, in);
  REQUIRE(d);
  CHECK(d->stage == "delivery");
  CHECK(d->due_ms == T0 + 10 * kMin);
  s.hops[0].stage = HopStage::kDelivered;
  CHECK(hop_deadline(s.hops[0], s, in)->stage == "accept");
  s.hops[0].stage = HopStage::kAccepted;
  d = hop_deadline(s.hops[0], s, in);
  REQUIRE(d);
  CHECK(d->stage == "answer");
  CHECK(d->due_ms == f.cal.add_working_days(s.hops[0].accepted_ms, 3));
  s.hops[0].due_working_days = 5;  // the forwarder's own limit wins over the matter's
  CHECK(hop_deadline(s.hops[0], s, in)->due_ms == f.cal.add_working_days(s.hops[0].accepted_ms, 5));
  s.hops[0].stage = HopStage::kSupplementRequested;
  CHECK_FALSE(hop_deadline(s.hops[0], s, in));
  s.hops[0].stage = HopStage::kReturned;
  CHECK_FALSE(hop_deadline(s.hops[0], s, in));

  // The case: received + the matter's limit, moved by every pause (window and hops).
  auto c = case_deadline(s, in);
  REQUIRE(c);
  CHECK(c->due_ms == f.cal.add_working_days(T0, 3));
  s.paused_ms = 7 * kMin;
  s.hops[0].paused_ms = 11 * kMin;
  CHECK(case_deadline(s, in)->due_ms == f.cal.add_working_days(T0, 3) + 18 * kMin);
  s.status = CaseStatus::kSupplementRequested;
  CHECK_FALSE(case_deadline(s, in));
  s.status = CaseStatus::kCompleted;
  CHECK_FALSE(case_deadline(s, in));
}

TEST_CASE("a due time a newer policy moved is remembered with the version and the time before") {
  const DueRecord first = advance_due_record(std::nullopt, 1, 1000);
  CHECK(first == DueRecord{1, 1000, 0, 0});
  CHECK(advance_due_record(first, 1, 1000) == first);  // asked again: nothing new
  const DueRecord moved = advance_due_record(first, 2, 800);
  CHECK(moved == DueRecord{2, 800, 2, 1000});
  CHECK(advance_due_record(moved, 2, 800) == moved);   // the note stays
  CHECK(advance_due_record(moved, 3, 800) == DueRecord{3, 800, 2, 1000});  // v3 left it alone
  // The case itself moved it (a pause for the applicant): the note would no longer be the story.
  CHECK(advance_due_record(moved, 2, 900) == DueRecord{2, 900, 0, 0});
  // Kept as text in the node's database, read back exactly; anything else reads as none.
  CHECK(decode_due_record(encode_due_record(moved)) == moved);
  CHECK_FALSE(decode_due_record("v2 due 800 moved 2").has_value());
  CHECK_FALSE(decode_due_record(encode_due_record(moved) + " x").has_value());
  CHECK(due_key("c1", "s01:4", "accept") == "c1/s01:4/accept");
  CHECK(due_key("c1", "", "case") == "c1//case");
}
