// Proves what a node sees late on its own clock (the sightings it records): every stage
// (delivery, accept, answer, case), warnings before the deadline, the steps of escalation, the
// paused answer clock, each step recorded once, the sender counting from its own forward and the
// receiver from its own receipts, and working-day calendars; and which due times a newer policy moved. What a stall IS (attribution,
// escalation target) is the fold's, proved in stall_fold_test.cc.
#include <doctest/doctest.h>

#include "sync/stall_detector.h"
#include "sync/stall_sighting.h"

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
  StallInputs at(std::uint64_t now, const std::string& self = "c1") {
    StallInputs in;
    in.roster = &r;
    in.calendar = &cal;
    in.policy = &policy;
    in.matter_limit_days = [](const std::string&) { return 3u; };
    in.self = self;
    in.now_ms = now;
    return in;
  }
  // The hop sighting `self` would record at `now`, if any.
  std::optional<StallSighting> hop_sighting(const CaseState& s, std::uint64_t now,
                                            const std::string& self = "c1") {
    for (auto& x : sightings_due(s, at(now, self))) {
      if (x.stage != "case") return x;
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("delivery stage: the sender sees nothing before the warning, a warning, then overdue") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kForwarded);
  CHECK_FALSE(f.hop_sighting(s, T0 + 4 * kMin));
  auto warn = f.hop_sighting(s, T0 + 6 * kMin);
  REQUIRE(warn);
  CHECK(warn->stage == "delivery");
  CHECK(warn->hop == "c1:2");
  CHECK(warn->step == kStepWarning);
  CHECK(warn->overdue_by_ms == -static_cast<std::int64_t>(4 * kMin));
  auto late = f.hop_sighting(s, T0 + 12 * kMin);
  REQUIRE(late);
  CHECK(late->step == kStepOverdue);
  CHECK(late->due_ms == T0 + 10 * kMin);
  CHECK(late->seen_ms == T0 + 12 * kMin);
  CHECK(late->overdue_by_ms == static_cast<std::int64_t>(2 * kMin));
  // The receiver holds nothing before its receipt; a third node reports nothing of the hop.
  CHECK_FALSE(f.hop_sighting(s, T0 + 12 * kMin, "s1"));
  CHECK_FALSE(f.hop_sighting(s, T0 + 12 * kMin, "d"));
}

TEST_CASE("accept stage: the receiver counts from its receipt, the sender from its forward") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kDelivered);
  // Receiver: delivered T0+1 (its clock) + 30 min. Sender: forwarded T0 + 10 (delivery) + 30.
  auto mine = f.hop_sighting(s, T0 + 32 * kMin, "s1");
  REQUIRE(mine);
  CHECK(mine->stage == "accept");
  CHECK(mine->due_ms == T0 + 31 * kMin);
  CHECK(mine->step == kStepOverdue);
  auto sender = f.hop_sighting(s, T0 + 32 * kMin, "c1");
  REQUIRE(sender);
  CHECK(sender->due_ms == T0 + 40 * kMin);
  CHECK(sender->step == kStepWarning);
}

TEST_CASE("each step is recorded once: nothing new until the next step is reached") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kAccepted);
  const std::uint64_t due = T0 + 2 * kMin + 60 * kMin;  // the receiver's answer deadline
  auto first = f.hop_sighting(s, due + 10 * kMin, "s1");
  REQUIRE(first);
  CHECK(first->step == kStepOverdue);
  first->reporter = "s1";
  s.sightings.push_back(*first);
  CHECK_FALSE(f.hop_sighting(s, due + 20 * kMin, "s1"));
  // Another reporter's sighting does not stand for this one's.
  CHECK(f.hop_sighting(s, T0 + 10 * kMin + 30 * kMin + 60 * kMin + kMin, "c1"));
  auto esc = f.hop_sighting(s, due + 31 * kMin, "s1");
  REQUIRE(esc);
  CHECK(esc->step == 2);
  CHECK(f.hop_sighting(s, due + 61 * kMin, "s1")->step == kStepEscalatedTwice);
}

TEST_CASE("the answer clock pauses while a supplement request waits for the applicant") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kSupplementRequested);
  CHECK_FALSE(f.hop_sighting(s, T0 + 1000 * kMin, "s1"));
  // Supplied after a 100-minute pause: the deadline moves by the pause.
  s.hops[0].stage = HopStage::kAccepted;
  s.hops[0].paused_ms = 100 * kMin;
  const std::uint64_t due = T0 + 2 * kMin + 60 * kMin + 100 * kMin;
  CHECK(f.hop_sighting(s, due - kMin, "s1")->step == kStepWarning);
  CHECK(f.hop_sighting(s, due + kMin, "s1")->step == kStepOverdue);
}

TEST_CASE("answered hops and closed cases are not seen; the receiving node sees the whole case") {
  Fixture f;
  CaseState s = case_with_hop(HopStage::kAnswered);
  CHECK_FALSE(f.hop_sighting(s, T0 + 100000 * kMin));
  auto all = sightings_due(s, f.at(T0 + 4 * 24 * 60 * kMin, "c1"));
  REQUIRE(all.size() == 1);
  CHECK(all[0].stage == "case");
  CHECK(all[0].hop.empty());
  CHECK(sightings_due(s, f.at(T0 + 4 * 24 * 60 * kMin, "s1")).empty());
  s.status = CaseStatus::kCompleted;
  CHECK(sightings_due(s, f.at(T0 + 4 * 24 * 60 * kMin, "c1")).empty());
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
  CHECK_FALSE(f.hop_sighting(s, sunday, "s1"));
  const std::uint64_t monday_13h = fri + 3 * 24 * 60 * kMin + 13 * 60 * kMin;
  auto st = f.hop_sighting(s, monday_13h, "s1");
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
