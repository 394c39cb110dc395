// Proves the clerk in an event (sync/actor.h): what each role may author, that a malformed actor
// is refused everywhere, that the fold records who forwarded, accepted and answered each hop,
// and that events without a clerk (written before clerks existed) stay valid as their node's.
#include "sync/actor.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "sync/case_fold.h"
#include "sync/case_history_for_tests.h"
#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/case_view.h"
#include "sync/hlc.h"

using namespace casesync;

namespace {

namespace k = casesync::kinds;
using testing::Body;

std::string str(std::string_view s) { return std::string(s); }

// d (district) -> s1 (street) -> c1 (community).
const Roster& roster() {
  static const Roster r = [] {
    Roster out;
    const std::string key(crypto::kSignPublicKeyBytes, 'k');
    out.add({.id = "d", .role = Role::kDistrict, .parent = "", .sign_public_key = key});
    out.add({.id = "s1", .role = Role::kStreet, .parent = "d", .sign_public_key = key});
    out.add({.id = "c1", .role = Role::kCommunity, .parent = "s1", .sign_public_key = key});
    return out;
  }();
  return r;
}

Body by(const std::string& id, const std::string& role, Body body = {}) {
  put_actor(body, {id, "Clerk " + id, role});
  return body;
}

Event draft(const std::string& origin, std::string_view kind, Body body) {
  Event e;
  e.origin = origin;
  e.seq = 1;
  e.case_id = "c1-1";
  e.kind = str(kind);
  e.body = std::move(body);
  return e;
}

class History : public testing::CaseHistory {
 public:
  History() : CaseHistory(&roster(), "c1-1") {}
};

Body created() {
  return {{str(k::kMatter), "m1"}, {str(k::kApplicant), "Wang Fang"},
          {str(k::kIdNumber), "110105199001011234"}};
}

}  // namespace

TEST_CASE("actor: each role authors what its row of the table allows") {
  CHECK(role_may_author(ClerkRole::kWindow, draft("c1", k::kCreated, {})));
  CHECK_FALSE(role_may_author(ClerkRole::kReviewer, draft("c1", k::kCreated, {})));
  CHECK(role_may_author(ClerkRole::kSystem, draft("c1", k::kCreated, {})));
  CHECK(role_may_author(ClerkRole::kReviewer, draft("c1", k::kAccepted, {})));
  CHECK_FALSE(role_may_author(ClerkRole::kWindow, draft("c1", k::kAccepted, {})));
  CHECK_FALSE(role_may_author(ClerkRole::kSystem, draft("c1", k::kCompleted, {})));
  CHECK(role_may_author(ClerkRole::kWindow, draft("c1", k::kCompleted, {})));
  Body admin{{str(k::kAuthority), str(k::kDistrictAdmin)}};
  CHECK_FALSE(role_may_author(ClerkRole::kWindow, draft("d", k::kCompleted, admin)));
  CHECK(role_may_author(ClerkRole::kAdmin, draft("d", k::kCompleted, admin)));
  CHECK(roles_allowed(draft("d", k::kReopened, {})) == "admin");
  CHECK(roles_allowed(draft("d", k::kViewedFull, {})) == "reviewer, admin");
  CHECK(roles_allowed(draft("d", k::kNote, {})) == "window, reviewer, admin, system");
  for (ClerkRole r : kClerkRoles) CHECK(clerk_role_from_name(clerk_role_name(r)) == r);
  CHECK_FALSE(clerk_role_from_name("root").has_value());
}

TEST_CASE("actor: a malformed or out-of-role actor is refused by the case rules") {
  History h;
  h.add("c1", 1000, k::kCreated, by("w1", "window", created()));
  const CaseState s = h.fold();
  REQUIRE(s.exists);
  const Body ok = by("w1", "window", {{str(k::kNoteText), "hello"}});
  CHECK(check_event(draft("c1", k::kNote, ok), s, roster()).ok);
  for (const auto& [key, value] : std::vector<std::pair<std::string_view, std::string>>{
           {k::kActorId, "W_1"}, {k::kActorId, ""}, {k::kActorName, ""},
           {k::kActorName, "two\nlines"}, {k::kActorRole, "root"}}) {
    Body bad = ok;
    bad[str(key)] = value;
    const Verdict v = check_event(draft("c1", k::kNote, bad), s, roster());
    CHECK_FALSE(v.ok);
    CHECK(v.refusal == Refusal::kMalformed);
  }
  Body partial = ok;
  partial.erase(str(k::kActorRole));
  CHECK(check_event(draft("c1", k::kNote, partial), s, roster()).refusal == Refusal::kMalformed);
  // A window clerk may not sign for a hop, nor a reviewer receive a case.
  const Verdict reopen = check_event(draft("d", k::kReopened, by("w9", "window")), s, roster());
  CHECK_FALSE(reopen.ok);
  CHECK(reopen.refusal == Refusal::kPermission);
  CHECK(reopen.reason.english().find("roles allowed: admin") != std::string::npos);
  // No actor at all: judged by the node alone, as before clerks existed.
  CHECK(check_event(draft("c1", k::kNote, {{str(k::kNoteText), "old"}}), s, roster()).ok);
}

TEST_CASE("actor: a district admin's completion needs a clerk with role admin at the district") {
  History h;
  h.add("c1", 1000, k::kCreated, by("w1", "window", created()));
  const CaseState s = h.fold();
  Body admin{{str(k::kOutcome), "approved"}, {str(k::kAuthority), str(k::kDistrictAdmin)}};
  CHECK(check_event(draft("d", k::kCompleted, by("a1", "admin", admin)), s, roster()).ok);
  const Verdict window = check_event(draft("d", k::kCompleted, by("w2", "window", admin)), s, roster());
  CHECK_FALSE(window.ok);
  CHECK(window.refusal == Refusal::kPermission);
  // An admin at a street is still no district admin.
  CHECK_FALSE(check_event(draft("s1", k::kCompleted, by("a2", "admin", admin)), s, roster()).ok);
}

TEST_CASE("actor: an unmasked view is an audit record that names its clerk and changes nothing") {
  History h;
  const std::string c = h.add("c1", 1000, k::kCreated, by("w1", "window", created()));
  const CaseState before = h.fold();
  Body shown{{str(k::kShown), "id_number,phone"}};
  CHECK(check_event(draft("c1", k::kViewedFull, by("r1", "reviewer", shown)), before, roster()).ok);
  CHECK_FALSE(check_event(draft("c1", k::kViewedFull, shown), before, roster()).ok);
  CHECK_FALSE(check_event(draft("c1", k::kViewedFull, by("w1", "window", shown)), before, roster()).ok);
  CHECK_FALSE(check_event(draft("d", k::kViewedFull, by("r2", "reviewer", shown)), before, roster()).ok);
  h.add("c1", 2000, k::kViewedFull, by("r1", "reviewer", shown), {c});
  const CaseState after = h.fold();
  CHECK(after.status == before.status);
  CHECK(after.holder == before.holder);
  REQUIRE(after.timeline.size() == 2);
  CHECK(after.timeline.back().actor.id == "r1");
  CHECK(after.timeline.back().summary == "unmasked view (id_number,phone) by r1 (reviewer) at c1");
}

TEST_CASE("actor: the fold names who forwarded, accepted and answered each hop") {
  History h;
  const std::string c = h.add("c1", 1000, k::kCreated, by("w1", "window", created()));
  const std::string f = h.add("c1", 2000, k::kForwarded, by("w1", "window", {{str(k::kTo), "s1"}}), {c});
  const std::string d = h.add("s1", 3000, k::kDelivered, {{str(k::kHop), f}}, {f});
  const std::string a = h.add("s1", 4000, k::kAccepted, by("r7", "reviewer", {{str(k::kHop), f}}), {d});
  h.add("s1", 5000, k::kReplied,
        by("r8", "reviewer", {{str(k::kHop), f}, {str(k::kOutcome), "approved"}}), {a});
  const CaseState s = h.fold();
  REQUIRE(s.hops.size() == 1);
  REQUIRE(s.invalid.empty());
  CHECK(s.hops[0].forwarded_by.id == "w1");
  CHECK(s.hops[0].accepted_by == Actor{"r7", "Clerk r7", "reviewer"});
  CHECK(s.hops[0].answered_by.id == "r8");
  CHECK(s.timeline[0].actor.id == "w1");
  CHECK(s.timeline[2].actor.empty());  // the daemon's own receipt: the node
  // The actor is no free field of the case.
  CHECK(s.fields.count(str(k::kActorId)) == 0);
  CHECK(s.fields.count(str(k::kActorName)) == 0);

  // The same events by another clerk fold to another state: the actor is part of the state.
  History one, other;
  one.add("c1", 1000, k::kCreated, by("w1", "window", created()));
  other.add("c1", 1000, k::kCreated, by("w2", "window", created()));
  CHECK(case_state_hash(other.fold()) != case_state_hash(one.fold()));
}

TEST_CASE("actor: actor keys cannot be edited or given as free fields") {
  History h;
  h.add("c1", 1000, k::kCreated, by("w1", "window", created()));
  const CaseState s = h.fold();
  Body edit = by("w1", "window", {{str(k::kField), "actor_id"}, {str(k::kValue), "a1"}});
  const Verdict v = check_event(draft("c1", k::kEdited, edit), s, roster());
  CHECK_FALSE(v.ok);
  CHECK(v.field == str(k::kField));
}
