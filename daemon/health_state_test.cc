// Proves the derived health states: each state's threshold, their precedence, the reasons, and
// since-when tracking across transitions.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daemon/health_state.h"

#include <doctest/doctest.h>

using namespace casesync;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000'000;  // an arbitrary wall time

HealthConfig thresholds() {
  HealthConfig t;
  t.interval_ms = 1000;
  t.offline_after_ms = 4000;
  t.lag_events = 100;
  t.lag_age_ms = 60000;
  t.clock_skew_ms = 5000;
  return t;
}

// A healthy community report: parent link up, nothing pending, clocks agree.
HealthReport report(const std::string& node = "s01-c01") {
  HealthReport r;
  r.node = node;
  r.generated_ms = kNow - 500;
  LinkHealth up;
  up.peer = "s01";
  up.is_parent = true;
  up.up = true;
  up.last_heard_ago_ms = 200;
  r.links.push_back(up);
  return r;
}

NodeObservation seen(const HealthReport& r, std::uint64_t received_ms = kNow - 400) {
  NodeObservation o;
  o.node = r.node;
  o.report = &r;
  o.received_ms = received_ms;
  return o;
}

}  // namespace

TEST_CASE("a fresh report with nothing pending is in_step") {
  HealthReport r = report();
  NodeHealth h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kInStep);
  CHECK(h.conditions.empty());
  CHECK(h.last_seen_ago_ms == 400);
  REQUIRE(h.clock_offset_ms.has_value());
  CHECK(*h.clock_offset_ms == 0);
}

TEST_CASE("never reported is offline with that reason") {
  NodeObservation o;
  o.node = "s01-c02";
  NodeHealth h = derive_health(o, thresholds(), kNow);
  CHECK(h.state == NodeState::kOffline);
  CHECK(h.reason.english() == "never reported");
  // The state is a code; the reason is words, shown in the reader's language (issue 17).
  CHECK_MESSAGE(h.reason.render(UiLanguage::kChinese) == "从未上报",
                "no Chinese catalogue beside the test? build po/ first");
  CHECK_FALSE(h.last_seen_ago_ms.has_value());
  CHECK_FALSE(h.clock_offset_ms.has_value());
}

TEST_CASE("offline is measured on the receiver's clock, after offline_after") {
  HealthReport r = report();
  r.generated_ms = kNow + 3'600'000;  // the node's clock says the future: irrelevant
  CHECK(derive_health(seen(r, kNow - 4000), thresholds(), kNow).state == NodeState::kInStep);
  NodeHealth h = derive_health(seen(r, kNow - 12000), thresholds(), kNow);
  CHECK(h.state == NodeState::kOffline);
  CHECK(h.reason.english() == "no health report for 12s (offline after 4s)");
  CHECK(h.reason.render(UiLanguage::kChinese) == "已 12s 未收到健康报告（超过 4s 视为离线）");
  CHECK(h.conditions.front().since_hint_ms == kNow - 8000);
}

TEST_CASE("our own report is never offline") {
  HealthReport r = report("s01");
  NodeObservation o = seen(r, kNow - 60000);
  o.is_self = true;
  CHECK(derive_health(o, thresholds(), kNow).state == NodeState::kInStep);
}

TEST_CASE("clock_skewed uses our own measurement for direct children, else the report's") {
  HealthReport r = report();
  r.links[0].clock_offset_ms = -30000;  // its parent's clock minus its own: it runs 30 s ahead
  NodeHealth h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kClockSkewed);
  CHECK(*h.clock_offset_ms == 30000);
  CHECK(h.reason.english() == "clock 30.0s ahead of its parent s01 (clock_skew 5s)");

  NodeObservation o = seen(r);
  o.measured_offset_ms = -100;  // what we see on our link wins
  h = derive_health(o, thresholds(), kNow);
  CHECK(h.state == NodeState::kInStep);
  CHECK(*h.clock_offset_ms == -100);

  o.measured_offset_ms = -6000;
  CHECK(derive_health(o, thresholds(), kNow).reason.english().find("6.0s behind") != std::string::npos);
}

TEST_CASE("a parent link never heard gives no clock offset") {
  HealthReport r = report();
  r.links[0].last_heard_ago_ms = UINT64_MAX;
  r.links[0].clock_offset_ms = 999999;
  NodeHealth h = derive_health(seen(r), thresholds(), kNow);
  CHECK_FALSE(h.clock_offset_ms.has_value());
  CHECK(h.state == NodeState::kInStep);
}

TEST_CASE("lagging by upward backlog, by age, and by a live child's backlog") {
  HealthReport r = report();
  r.links[0].backlog = 101;
  r.links[0].backlog_oldest_ms = r.generated_ms - 1000;
  NodeHealth h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kLagging);
  CHECK(h.backlog_events == 101);
  CHECK(h.backlog_oldest_age_ms == 1400);  // 1 s at the report, 0.4 s since it arrived
  CHECK(h.reason.english() == "101 events not acknowledged by s01 (lag_events 100)");

  r.links[0].backlog = 3;
  r.links[0].backlog_oldest_ms = r.generated_ms - 61000;
  h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kLagging);
  CHECK(h.reason.english() == "oldest unacknowledged event 1m1s old (lag_age 1m)");

  r.links[0].backlog = 0;
  LinkHealth child;
  child.peer = "s01-c01-x";
  child.backlog = 500;
  r.links.push_back(child);  // down: that child's own problem, not this node's
  CHECK(derive_health(seen(r), thresholds(), kNow).state == NodeState::kInStep);
  r.links.back().up = true;
  h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kLagging);
  CHECK(h.reason.english().find("waiting for its child s01-c01-x") != std::string::npos);
}

TEST_CASE("security_alert from its own rejects, from ours, and from equivocations") {
  HealthReport r = report();
  r.rejects = {{"ahead_buffer_full", 3}, {"malformed_frame", 1}};
  CHECK(derive_health(seen(r), thresholds(), kNow).state == NodeState::kInStep);

  r.rejects["bad_signature"] = 2;
  NodeHealth h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kSecurityAlert);
  CHECK(h.reason.english().rfind("it refused: bad_signature (2)", 0) == 0);

  HealthReport clean = report();
  std::map<std::string, std::uint64_t> ours = {{"chain_break", 1}, {"unknown_peer", 5}};
  NodeObservation o = seen(clean);
  o.rejects_here = &ours;
  h = derive_health(o, thresholds(), kNow);
  CHECK(h.state == NodeState::kSecurityAlert);
  CHECK(h.reason.english().rfind("refused here from it: chain_break (1)", 0) == 0);
  REQUIRE(h.security.size() == 1);
  CHECK(h.security[0].counted_here);

  clean.counters["equivocations"] = 1;
  h = derive_health(seen(clean), thresholds(), kNow);
  CHECK(h.state == NodeState::kSecurityAlert);
  CHECK(h.reason.english().rfind("it refused: equivocation (1)", 0) == 0);
  clean.rejects["equivocation"] = 1;  // counted once, not twice
  CHECK(derive_health(seen(clean), thresholds(), kNow).security.size() == 1);
}

TEST_CASE("security_alert says what to do, and an admin's clear lasts until new refusals") {
  HealthReport r = report();
  r.rejects["unauthorized"] = 28;
  NodeObservation o = seen(r);
  NodeHealth h = derive_health(o, thresholds(), kNow);
  REQUIRE(h.state == NodeState::kSecurityAlert);
  CHECK(h.reason.english().find("alert=bad_input") != std::string::npos);
  CHECK(h.reason.english().find("casesyncctl security-alert clear " + o.node) != std::string::npos);

  const std::vector<SecurityFinding> cleared = h.security;  // what the admin saw and cleared
  o.cleared = &cleared;
  CHECK(derive_health(o, thresholds(), kNow).state == NodeState::kInStep);
  r.rejects["unauthorized"] = 29;  // one more refusal after the clear
  h = derive_health(o, thresholds(), kNow);
  CHECK(h.state == NodeState::kSecurityAlert);
  CHECK(h.reason.english().rfind("it refused: unauthorized (1)", 0) == 0);
  r.rejects["unauthorized"] = 3;  // the node restarted: its counts began again, all of them count
  CHECK(derive_health(o, thresholds(), kNow).reason.english().rfind("it refused: unauthorized (3)", 0) == 0);
}

TEST_CASE("security_alert from a node's own warning: a burst of wrong API tokens") {
  HealthReport r = report();
  r.warnings = {"calendar: no schedule for 2027",
                "security_alert: api_bad_tokens: 1000 wrong API tokens in 1 burst(s) of 20 or more "
                "within 60s, the last at 2026-03-02T10:00:00.000Z"};
  NodeHealth h = derive_health(seen(r), thresholds(), kNow);
  CHECK(h.state == NodeState::kSecurityAlert);
  REQUIRE(h.security.size() == 1);
  CHECK(h.security[0].reject_reason == "api_bad_tokens");
  CHECK(h.security[0].count == 1000);
  CHECK_FALSE(h.security[0].counted_here);
  CHECK(h.reason.english().rfind("it refused: api_bad_tokens (1000)", 0) == 0);
  r.warnings = {"security_alert:no reason", "a security_alert: x: 1"};
  CHECK(derive_health(seen(r), thresholds(), kNow).state == NodeState::kInStep);
}

TEST_CASE("precedence: security_alert > disk_trouble > offline > clock_skewed > lagging") {
  HealthReport r = report();
  r.links[0].backlog = 1000;                  // lagging
  r.links[0].clock_offset_ms = 9000;          // clock_skewed
  NodeObservation o = seen(r, kNow - 10000);  // offline
  auto state = [&] { return derive_health(o, thresholds(), kNow).state; };
  CHECK(state() == NodeState::kOffline);
  r.disk_trouble = true;
  CHECK(state() == NodeState::kDiskTrouble);
  r.rejects["unauthorized"] = 1;
  CHECK(state() == NodeState::kSecurityAlert);
  NodeHealth h = derive_health(o, thresholds(), kNow);
  REQUIRE(h.conditions.size() == 5);
  CHECK(h.conditions[1].state == NodeState::kDiskTrouble);
  CHECK(h.conditions[2].state == NodeState::kOffline);
  CHECK(h.conditions[3].state == NodeState::kClockSkewed);
  CHECK(h.conditions[4].state == NodeState::kLagging);

  o.received_ms = kNow;  // fresh again: skew outranks lag
  r.disk_trouble = false;
  r.rejects.clear();
  CHECK(state() == NodeState::kClockSkewed);
}

TEST_CASE("every state has a distinct name") {
  std::set<std::string> names;
  for (NodeState s : kNodeStates) names.insert(node_state_name(s));
  CHECK(names == std::set<std::string>{"in_step", "lagging", "clock_skewed", "offline",
                                       "disk_trouble", "security_alert"});
}

TEST_CASE("since: kept while the state holds, restarted on a change, hint when known") {
  StateHistory hist;
  CHECK(hist.note("a", NodeState::kInStep, 0, 1000) == 1000);
  CHECK(hist.note("a", NodeState::kInStep, 0, 5000) == 1000);
  CHECK(hist.note("a", NodeState::kOffline, 4000, 9000) == 4000);  // began before we looked
  CHECK(hist.note("a", NodeState::kOffline, 4500, 9500) == 4000);
  CHECK(hist.note("a", NodeState::kInStep, 20000, 12000) == 12000);  // a hint in the future
  CHECK(hist.note("a", NodeState::kLagging, 100, 13000) == 12000);   // not before the last one
  hist.note("b", NodeState::kInStep, 0, 1);
  hist.retain({"b"});
  CHECK(hist.size() == 1);
}

TEST_CASE("behind the district's policy longer than policy.lag_alert is lagging, with that reason") {
  HealthConfig t = thresholds();
  t.policy_lag_alert_ms = 10 * 60 * 1000;
  HealthReport r = report();
  r.policy_version = 1;
  NodeObservation o = seen(r);
  o.district_policy_version = 2;
  o.policy_behind_ms = 9 * 60 * 1000;  // not yet
  CHECK(derive_health(o, t, kNow).state == NodeState::kInStep);
  o.policy_behind_ms = 11 * 60 * 1000;
  const NodeHealth h = derive_health(o, t, kNow);
  CHECK(h.state == NodeState::kLagging);
  CHECK(h.reason.english() == "policy version 1, the district has 2 (behind 11m, policy.lag_alert 10m)");
}
