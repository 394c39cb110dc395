// Proves the stall view and the time at each node are folds of signed events: the issue's
// cases (a silent street, a stopped street, a stopped community) attribute as silent,
// unreachable and not_accepted from sightings alone; escalation climbs sender -> parent -> root
// and never names the receiver; a stage's old sightings stop counting once it moves on; only a
// hop's ends may record a sighting; dwell starts at the receiver's own receipt.
#include <doctest/doctest.h>

#include "sync/case_history_for_tests.h"
#include "sync/case_kinds.h"
#include "sync/dwell.h"
#include "sync/stall_fold.h"
#include "sync/stall_sighting.h"

using namespace casesync;

namespace {

using testing::Body;
using testing::str;
namespace k = casesync::kinds;

// d (district) -> s1, s2 (streets) -> c11 / c21 (communities).
const Roster& roster() {
  static const Roster r = [] {
    Roster out;
    auto node = [&out](const char* id, Role role, const char* parent) {
      out.add({.id = id, .role = role, .parent = parent,
               .sign_public_key = std::string(crypto::kSignPublicKeyBytes, 'k')});
    };
    node("d", Role::kDistrict, "");
    node("s1", Role::kStreet, "d");
    node("s2", Role::kStreet, "d");
    node("c11", Role::kCommunity, "s1");
    node("c21", Role::kCommunity, "s2");
    return out;
  }();
  return r;
}

Body created() { return {{str(k::kMatter), "QY-001"}, {str(k::kApplicant), "Wang Fang"}}; }
Body to(const std::string& node) { return {{str(k::kTo), node}}; }
Body on_hop(const std::string& hop) { return {{str(k::kHop), hop}}; }

// A stall_seen body: due at `due`, seen at `seen`, both the reporter's clock.
Body seen(const std::string& hop, const std::string& stage, std::uint32_t step, std::uint64_t due,
          std::uint64_t seen_ms) {
  StallSighting x{.hop = hop, .stage = stage, .step = step, .due_ms = due, .seen_ms = seen_ms,
                  .overdue_by_ms = static_cast<std::int64_t>(seen_ms) - static_cast<std::int64_t>(due)};
  return sighting_body(x);
}

struct Case {
  // A case's id names the node that received it.
  explicit Case(const std::string& id = "c11-000001") : h(&roster(), id) {}
  testing::CaseHistory h;
  std::string last;
  std::string add(const std::string& origin, std::uint64_t ms, std::string_view kind, Body b = {}) {
    last = h.add(origin, ms, kind, std::move(b), last.empty() ? std::vector<std::string>{}
                                                              : std::vector<std::string>{last});
    return last;
  }
  std::vector<Stall> stalls() const { return fold_stalls(h.fold(), roster()); }
};

// c11 receives a case and forwards it to s1, whose daemon signs the receipt.
Case delivered_to_s1(std::string& hop) {
  Case c;
  c.add("c11", 1000, k::kCreated, created());
  hop = c.add("c11", 2000, k::kForwarded, to("s1"));
  c.add("s1", 3000, k::kDelivered, on_hop(hop));
  return c;
}

}  // namespace

TEST_CASE("silent street: the receiver's own sighting makes it silent; escalation skips it") {
  std::string hop;
  Case c = delivered_to_s1(hop);
  CHECK(c.stalls().empty());  // no sighting yet: nothing to say
  // Only the sender saw the accept deadline pass: the receipt proves s1 had it, no more.
  c.add("c11", 50000, k::kStallSeen, seen(hop, "accept", 1, 40000, 50000));
  auto st = c.stalls();
  REQUIRE(st.size() == 1);
  CHECK(st[0].alert_id == "c11-000001/" + hop + "/accept");
  CHECK(st[0].level == "overdue");
  CHECK(st[0].attribution == "not_accepted");
  CHECK(st[0].escalated_to == "c11");
  CHECK(st[0].seen_by == "c11");
  // s1's own daemon signs that it held the case past its deadline: running, and nobody acted.
  c.add("s1", 36000, k::kStallSeen, seen(hop, "accept", 1, 33000, 36000));
  st = c.stalls();
  REQUIRE(st.size() == 1);
  CHECK(st[0].attribution == "silent");
  CHECK(st[0].seen_by == "s1");  // same step: the receiver's figures lead
  CHECK(st[0].due_ms == 33000);
  CHECK(st[0].overdue_by_ms == 3000);
  // Escalated: the sender's parent is s1 itself, so the next rung is the district.
  c.add("s1", 60000, k::kStallSeen, seen(hop, "accept", 2, 33000, 60000));
  CHECK(c.stalls()[0].escalated_to == "d");
  CHECK(escalation_chain("c11", "s1", roster()) == std::vector<std::string>{"c11", "d"});
}

TEST_CASE("stopped street: an undelivered hop seen late by its sender is unreachable") {
  Case c("c21-000001");
  c.add("c21", 1000, k::kCreated, created());
  const std::string up = c.add("c21", 2000, k::kForwarded, to("s2"));
  c.add("s2", 2500, k::kDelivered, on_hop(up));
  c.add("s2", 2600, k::kAccepted, on_hop(up));
  const std::string hop = c.add("s2", 3000, k::kForwarded, to("s1"));
  c.add("s2", 20000, k::kStallSeen, seen(hop, "delivery", 1, 13000, 20000));
  auto st = c.stalls();
  REQUIRE(st.size() == 1);
  CHECK(st[0].stage == "delivery");
  CHECK(st[0].attribution == "unreachable");
  CHECK(st[0].escalated_to == "s2");
  c.add("s2", 30000, k::kStallSeen, seen(hop, "delivery", 2, 13000, 30000));
  CHECK(c.stalls()[0].escalated_to == "d");
  c.add("s2", 40000, k::kStallSeen, seen(hop, "delivery", 3, 13000, 40000));
  CHECK(c.stalls()[0].escalated_to == "d");
}

TEST_CASE("stopped community: delivered, then silent from its side: not_accepted, never silent") {
  Case c("s1-000001");
  c.add("s1", 1000, k::kCreated, created());
  const std::string hop = c.add("s1", 2000, k::kForwarded, to("c11"));
  c.add("c11", 2100, k::kDelivered, on_hop(hop));
  c.add("s1", 90000, k::kStallSeen, seen(hop, "accept", 1, 80000, 90000));
  auto st = c.stalls();
  REQUIRE(st.size() == 1);
  CHECK(st[0].attribution == "not_accepted");
  CHECK(st[0].escalated_to == "s1");
  // Escalation never reaches down to the receiver: s1's chain is s1, d.
  c.add("s1", 99000, k::kStallSeen, seen(hop, "accept", 3, 80000, 99000));
  CHECK(c.stalls()[0].escalated_to == "d");
}

TEST_CASE("a stage's sightings stop counting when it moves on; warnings carry no attribution") {
  std::string hop;
  Case c;
  c.add("c11", 1000, k::kCreated, created());
  hop = c.add("c11", 2000, k::kForwarded, to("s1"));
  c.add("c11", 8000, k::kStallSeen, seen(hop, "delivery", 0, 12000, 8000));
  auto st = c.stalls();
  REQUIRE(st.size() == 1);
  CHECK(st[0].level == "warning");
  CHECK(st[0].attribution.empty());
  CHECK(st[0].overdue_by_ms == -4000);
  c.add("s1", 9000, k::kDelivered, on_hop(hop));
  CHECK(c.stalls().empty());  // the delivery came: that warning is history
  c.add("s1", 9500, k::kAccepted, on_hop(hop));
  c.add("c11", 99000, k::kStallSeen, seen(hop, "answer", 1, 90000, 99000));
  st = c.stalls();
  REQUIRE(st.size() == 1);
  CHECK(st[0].stage == "answer");
  CHECK(st[0].attribution == "unreachable");
  c.add("s1", 99500, k::kReplied, {{str(k::kHop), hop}, {str(k::kOutcome), "approved"}});
  CHECK(c.stalls().empty());
}

TEST_CASE("the whole case: seen by its receiving node, attributed like its current hop") {
  std::string hop;
  Case c = delivered_to_s1(hop);
  c.add("s1", 36000, k::kStallSeen, seen(hop, "accept", 1, 33000, 36000));
  c.add("c11", 99000, k::kStallSeen, seen("", "case", 1, 90000, 99000));
  auto st = c.stalls();
  REQUIRE(st.size() == 2);
  CHECK(st[1].alert_id == "c11-000001//case");
  CHECK(st[1].sender == "c11");
  CHECK(st[1].receiver == "s1");
  CHECK(st[1].attribution == "silent");
}

TEST_CASE("only a hop's ends record sightings of it; a malformed sighting is refused") {
  std::string hop;
  Case c = delivered_to_s1(hop);
  c.add("d", 50000, k::kStallSeen, seen(hop, "accept", 1, 40000, 50000));
  Body bad = seen(hop, "accept", 1, 40000, 50000);
  bad[str(k::kStep)] = "9";
  c.add("c11", 50001, k::kStallSeen, bad);
  c.add("s1", 50002, k::kStallSeen, seen("", "case", 1, 40000, 50000));  // not its window
  const CaseState s = c.h.fold();
  CHECK(s.sightings.empty());
  REQUIRE(s.invalid.size() == 3);
  CHECK(s.invalid[0].find("only the ends of hop") != std::string::npos);
  CHECK(s.invalid[1].find("step 0..3") != std::string::npos);
  CHECK(s.invalid[2].find("only c11") != std::string::npos);
  CHECK(fold_stalls(s, roster()).empty());
}

TEST_CASE("dwell: a receiver's time starts at its own receipt, never at the sender's forward") {
  Case c;
  c.add("c11", 1000, k::kCreated, created());
  const std::string hop = c.add("c11", 2000, k::kForwarded, to("s1"));
  // s1 was down for ~15 minutes: its receipt, on its own clock, says when it got the case.
  c.add("s1", 900000, k::kDelivered, on_hop(hop));
  c.add("s1", 950000, k::kStallSeen, seen(hop, "accept", 1, 940000, 950000));
  auto d = dwell_of(c.h.fold());
  REQUIRE(d.size() == 2);
  CHECK(d[0].node == "c11");
  CHECK(d[0].ms == 1000);
  CHECK(d[1].node == "s1");
  CHECK(d[1].ms == 50000);
  // Answered: back with c11, whose time restarts at its own next act.
  c.add("s1", 960000, k::kReplied, {{str(k::kHop), hop}, {str(k::kOutcome), "approved"}});
  c.add("c11", 970000, k::kNotified);
  c.add("c11", 975000, k::kCompleted, {{str(k::kOutcome), "approved"}});
  d = dwell_of(c.h.fold());
  REQUIRE(d.size() == 2);
  CHECK(d[0].ms == 1000 + 5000);
  CHECK(d[1].ms == 60000);
}
