// Proves the local API's validation layer: every route's request becomes a typed command or a
// 400/404/413 naming the input at fault and the limit — for the bad inputs of issue 21 and the
// edges of every reader (types, UTF-8, character limits, ranges, unknown keys and parameters).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>

#include "daemon/api_commands.h"
#include "sync/case_kinds.h"
#include "sync/limits.h"

using namespace casesync;
using nlohmann::json;

namespace {

RequestView body(const std::string& text, std::vector<std::string> path = {}) {
  return RequestView{text, {}, std::move(path)};
}

RequestView query(const std::string& target, std::vector<std::string> path = {}) {
  return RequestView{"", parse_query_string(target), std::move(path)};
}

std::string repeat(const std::string& unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

template <class T>
ApiError refused(const Checked<T>& c) {
  REQUIRE_MESSAGE(!c.ok(), "expected a refusal");
  return c.error();
}

void check_error(const ApiError& e, int status, const std::string& code, const std::string& field,
                 const std::string& in_message = "") {
  CHECK(e.status == status);
  CHECK(e.code == code);
  CHECK(e.field == field);
  CHECK_MESSAGE(e.message.english().find(in_message) != std::string::npos, e.message.english());
  CHECK_FALSE(e.message.empty());
}

// GET /api/cases requests the layer must refuse with a 400.
struct ListRefusal {
  const char* target;
  const char* code;
  const char* field;
  const char* says;
};

void check_list_refusals(const std::vector<ListRefusal>& cases) {
  for (const auto& c : cases) {
    CAPTURE(c.target);
    check_error(refused(parse_case_list(query(c.target))), 400, c.code, c.field, c.says);
  }
}

}  // namespace

TEST_CASE("issue 21: the bodies that stopped a node are 400s naming the field") {
  check_error(refused(parse_new_case(body(R"({"matter":123,"applicant":"a"})"))), 400,
              "wrong_type", "matter", "must be text, not a number");
  check_error(refused(parse_new_case(body(R"({"matter":"QY-001","applicant":["a"]})"))), 400,
              "wrong_type", "applicant", "not a list");
  check_error(refused(parse_new_case(body(R"({"matter":"QY-001","applicant":{"x":1}})"))), 400,
              "wrong_type", "applicant", "not an object");
  check_error(refused(parse_event_batch(body(R"({"events":[{"case_id":5,"kind":"note"}]})"))), 400,
              "wrong_type", "events[0].case_id");
  check_error(refused(parse_new_case(body("{\"matter\":\"QY-001\",\"applicant\":\"bad\xff\xfe\"}"))),
              400, "bad_utf8", "", "offset 35");
}

TEST_CASE("bodies: JSON objects only, not too deep, not too large") {
  CHECK(parse_json_object("", 100).ok());  // no body: an empty object
  check_error(refused(parse_json_object("{\"a\":", 100)), 400, "bad_json", "", "not JSON");
  check_error(refused(parse_json_object("[1,2]", 100)), 400, "bad_json", "", "object");
  check_error(refused(parse_json_object(repeat("[", 20000) + repeat("]", 20000), 1 << 20)), 400,
              "bad_json", "", "deeper than 16");
  check_error(refused(parse_json_object("{}" + std::string(200, ' '), 100)), 413,
              "body_too_large", "", "the limit is 100");
  // Brackets inside strings do not count as nesting.
  CHECK(parse_json_object("{\"a\":\"" + repeat("[", 100) + "\"}", 1000).ok());
}

TEST_CASE("new case: limits in characters, free fields, materials, unknown keys") {
  const std::string base = R"("matter":"QY-001",)";
  CHECK(parse_new_case(body("{" + base + "\"applicant\":\"" + repeat("王", 200) + "\"}")).ok());
  check_error(refused(parse_new_case(body("{" + base + "\"applicant\":\"" + repeat("王", 201) + "\"}"))),
              400, "too_long", "applicant", "201 characters; the limit is 200");
  check_error(refused(parse_new_case(body("{" + base + R"("applicant":"a\nb"})"))), 400,
              "bad_value", "applicant", "one line");
  check_error(refused(parse_new_case(body("{" + base + R"("applicant":""})"))), 400, "missing",
              "applicant");
  check_error(refused(parse_new_case(body(R"({"applicant":"a"})"))), 400, "missing", "matter");
  check_error(refused(parse_new_case(body("{" + base + R"("applicant":"a","applicnt":"b"})"))), 400,
              "unknown_field", "applicnt", "fields: applicant");

  json many = {{"matter", "QY-001"}, {"applicant", "a"}, {"materials", json::array()}};
  for (int i = 0; i < 51; ++i) many["materials"].push_back("m" + std::to_string(i));
  check_error(refused(parse_new_case(body(many.dump()))), 400, "too_many", "materials",
              "the limit is 50");
  many["materials"] = {repeat("证", 81)};
  check_error(refused(parse_new_case(body(many.dump()))), 400, "too_long", "materials[0]",
              "the limit is 80");
  many["materials"] = {"申请书", "营业执照"};
  auto ok = parse_new_case(body(many.dump()));
  REQUIRE(ok.ok());
  CHECK(new_case_body(*ok).at("materials") == "申请书\n营业执照");

  json fields = {{"matter", "QY-001"}, {"applicant", "a"}, {"fields", json::object()}};
  for (int i = 0; i < 65; ++i) fields["fields"]["f" + std::to_string(i)] = "v";
  check_error(refused(parse_new_case(body(fields.dump()))), 400, "too_many", "fields",
              "the limit is 64");
  fields["fields"] = {{"matter", "x"}};
  check_error(refused(parse_new_case(body(fields.dump()))), 400, "bad_value", "fields.matter");
  fields["fields"] = {{"rooms", 3}, {"urgent", true}, {"note", "a\nb"}};
  auto typed = parse_new_case(body(fields.dump()));
  REQUIRE(typed.ok());
  CHECK(typed->fields.at("rooms") == "3");
  fields["fields"] = {{"x", json::array()}};
  check_error(refused(parse_new_case(body(fields.dump()))), 400, "wrong_type", "fields.x");
}

TEST_CASE("new case: an event larger than an event may be is a 413 before anything is signed") {
  json big = {{"matter", "QY-001"}, {"applicant", "a"}, {"fields", json::object()}};
  for (int i = 0; i < 64; ++i) big["fields"]["f" + std::to_string(i)] = repeat("王", 1000);
  check_error(refused(parse_new_case(body(big.dump()))), 413, "body_too_large", "",
              "limit of one event is 131072");
}

TEST_CASE("query parameters: limit 1..10000 (default 100), after >= 0, nothing unknown") {
  CHECK(parse_case_list(query("/api/cases"))->limit == 100);
  CHECK(parse_case_list(query("/api/cases?limit=10000"))->limit == 10000);
  check_list_refusals({
      {"/api/cases?limit=-1", "bad_value", "limit", "1..10000"},
      {"/api/cases?limit=abc", "bad_value", "limit", "abc"},
      {"/api/cases?limit=0", "out_of_range", "limit", "1..10000"},
      {"/api/cases?limit=99999999", "out_of_range", "limit", "99999999"},
      {"/api/cases?limit=1&limit=2", "bad_value", "limit", "twice"},
      {"/api/cases?limt=5", "unknown_field", "limt", "parameters: "},
  });
  check_error(refused(parse_events_feed(query("/api/events?after=-5&limit=-1"))), 400,
              "bad_value", "after");
  CHECK(parse_events_feed(query("/api/events?after=18446744073709551615")).ok() == false);
  auto feed = parse_events_feed(query("/api/events?after=7"));
  REQUIRE(feed.ok());
  CHECK(feed->after == 7);
  CHECK(feed->limit == 100);
  check_error(refused(parse_changes(query("/api/changes?wait=61"))), 400, "out_of_range", "wait");
  check_error(refused(parse_no_input(query("/api/status?verbose=1"))), 400, "unknown_field",
              "verbose", "takes none");
}

TEST_CASE("query strings decode percent escapes and plus signs; bad UTF-8 is refused") {
  const auto q = parse_query_string("/api/cases?applicant=%E6%9D%8E%E5%9B%9B&x=a+b&&y");
  REQUIRE(q.size() == 3);
  CHECK(q[0].second == "李四");
  CHECK(q[1].second == "a b");
  CHECK(q[2].first == "y");
  check_error(refused(parse_case_list(query("/api/cases?applicant=%FF%FE"))), 400, "bad_utf8",
              "applicant");
}

TEST_CASE("worklist filters: statuses, flags, dates and names are checked") {
  auto q = parse_case_list(query(
      "/api/cases?status=received&status=accepted&open=1&holder=s01&applicant=%E6%9D%8E"
      "&matter=QY-001&waiting_for_me=1&since=2026-02-28&limit=2"));
  REQUIRE(q.ok());
  CHECK(q->statuses == std::vector<std::string>{"received", "accepted"});
  CHECK(q->open);
  CHECK(q->waiting_for_me);
  CHECK(q->holder == "s01");
  CHECK(q->applicant == "李");
  CHECK(q->since == "2026-02-28");
  check_list_refusals({
      {"/api/cases?status=open", "bad_value", "status", "received, prereviewed"},
      {"/api/cases?since=2026-02-30", "bad_value", "since", "YYYY-MM-DD"},
      {"/api/cases?holder=S%2001", "bad_value", "holder", "not a valid id"},
      {"/api/cases?open=yes", "bad_value", "open", "1 or 0"},
  });
  check_error(refused(parse_stats(query("/api/stats?from=2026-03-01&to=2026-02-01"))), 400,
              "out_of_range", "from");
}

TEST_CASE("case ids are checked against their format before any lookup") {
  CHECK(parse_case_get(query("/x", {"s01-c01-000001"})).ok());
  check_error(refused(parse_case_get(query("/x", {"../../etc/passwd"}))), 400, "bad_value",
              "case_id", "not a case id");
  check_error(refused(parse_case_get(query("/x", {"s01\xff"}))), 400, "bad_value", "case_id",
              "the value is not a case id");
  check_error(refused(parse_case_get(query("/x", {std::string(65, 'a') + "-1"}))), 400,
              "bad_value", "case_id");
  check_error(refused(parse_case_get(query("/x?full=2", {"s01-000001"}))), 400, "bad_value", "full");
  CHECK(parse_case_get(query("/x?full=1", {"s01-000001"}))->full);
}

TEST_CASE("actions: each takes its own typed fields") {
  const std::vector<std::string> on = {"s01-000001"};
  auto path = [&](const std::string& action) { return std::vector<std::string>{on[0], action}; };
  check_error(refused(parse_case_action(body("{}", path("bogus")))), 404, "not_found", "action",
              "forward, accept");
  check_error(refused(parse_case_action(body(R"({"to":"S 01"})", path("forward")))), 400,
              "bad_value", "to");
  check_error(refused(parse_case_action(body(R"({"to":"s02","due_working_days":"5"})", path("forward")))),
              400, "wrong_type", "due_working_days");
  check_error(refused(parse_case_action(body(R"({"to":"s02","due_working_days":0})", path("forward")))),
              400, "out_of_range", "due_working_days", "1..3650");
  auto fwd = parse_case_action(body(R"({"to":"s02","due_working_days":5,"desk":"market"})", path("forward")));
  REQUIRE(fwd.ok());
  CHECK(fwd->kind == kinds::kForwarded);
  CHECK(fwd->body.at("due_working_days") == "5");
  check_error(refused(parse_case_action(body("{}", path("supplement")))), 400, "missing",
              "materials", "一次性告知");
  check_error(refused(parse_case_action(body(R"({"outcome":"maybe"})", path("reply")))), 400,
              "bad_value", "outcome", "approved, denied");
  check_error(refused(parse_case_action(body(R"({"outcome":"approved","as":"mayor"})", path("complete")))),
              400, "bad_value", "as", "district_admin");
  auto admin = parse_case_action(body(R"({"outcome":"approved","as":"district_admin"})", path("complete")));
  REQUIRE(admin.ok());
  CHECK(admin->body.at("authority") == "district_admin");
  auto note = parse_case_action(body(R"({"text":"called\nagain"})", path("note")));
  REQUIRE(note.ok());
  CHECK(note->body.at("note") == "called\nagain");
  CHECK(action_request_field("note", "note") == "text");
  check_error(refused(parse_case_action(body("{\"text\":\"" + repeat("备", 4001) + "\"}", path("note")))),
              400, "too_long", "text", "the limit is 4000");
  check_error(refused(parse_case_action(body(R"({"hop":"nohop"})", path("accept")))), 400,
              "bad_value", "hop", "NODE:SEQ");
  CHECK(parse_case_action(body("{}", path("accept")))->needs_hop);
}

TEST_CASE("raw events and batches: known kinds, text bodies, bounded counts") {
  check_error(refused(parse_case_event(body(R"({"kind":"bogus"})", {"s01-000001"}))), 404,
              "not_found", "kind", "bogus");
  check_error(refused(parse_case_event(body(R"({"kind":"note","body":{"n":5}})", {"s01-000001"}))),
              400, "wrong_type", "body.n");
  auto listed = parse_case_event(body(R"({"kind":"supplement_requested","body":{"materials":["a","b"]}})",
                                      {"s01-000001"}));
  REQUIRE(listed.ok());
  CHECK(listed->body.at("materials") == "a\nb");
  check_error(refused(parse_event_batch(body(R"({"events":[]})"))), 400, "missing", "events");
  check_error(refused(parse_event_batch(body(R"({"events":{}})"))), 400, "wrong_type", "events");
  check_error(refused(parse_event_batch(body(R"({"events":[{"case_id":"s01-1","kind":"nope"}]})"))),
              404, "not_found", "events[0].kind");
  json many = {{"events", json::array()}};
  for (int i = 0; i < 10001; ++i) many["events"].push_back({{"case_id", "s01-1"}, {"kind", "note"}});
  check_error(refused(parse_event_batch(body(many.dump()))), 400, "too_many", "events", "10000");
  auto ok = parse_event_batch(body(R"({"events":[{"case_id":"s01-1","kind":"note","body":{"text":"x"}}]})"));
  REQUIRE(ok.ok());
  CHECK(ok->front().body.at("text") == "x");
}

TEST_CASE("imports name the line at fault; admin routes check their fields") {
  auto two = parse_import(body("{\"matter\":\"QY-001\",\"applicant\":\"a\"}\n\n"
                               "{\"matter\":\"QY-001\",\"applicant\":\"b\"}\n"));
  REQUIRE(two.ok());
  CHECK(two->size() == 2);
  CHECK((*two)[1].line == 3);
  auto bad = refused(parse_import(body("{\"matter\":\"QY-001\",\"applicant\":\"a\"}\n{\"matter\":5}\n")));
  CHECK(bad.message.english().rfind("line 2: ", 0) == 0);
  CHECK(bad.field == "line 2.matter");
  check_error(refused(parse_import(body("\n \n"))), 400, "missing", "");
  check_error(refused(parse_backup(body(R"({"path":"/var/lib/x.db"})"))), 400, "bad_value", "path",
              "backup folder");
  for (const char* name : {"", "../x.db", "a/b.db", ".hidden", "..", "x\\y", "名.db"}) {
    CAPTURE(name);
    check_error(refused(parse_backup(body(json{{"name", name}}.dump()))), 400, "bad_value", "name",
                "file name");
  }
  CHECK(parse_backup(body(R"({"name":"casesync-2024-05-01_1.db"})"))->name ==
        "casesync-2024-05-01_1.db");
  CHECK(parse_backup(body("{}"))->name.empty());
  CHECK(!parse_backup_download(RequestView{"", {}, {"../casesync.db"}}).ok());
  check_error(refused(parse_roster_push(body(R"({"version":1,"text":"x","signature":"zz"})"))), 400,
              "bad_value", "signature", "hex");
  check_error(refused(parse_roster_push(body(R"({"version":-1,"text":"x","signature":"00"})"))), 400,
              "out_of_range", "version");
  check_error(refused(parse_new_case(RequestView{"{}", {{"x", "1"}}, {}})), 400, "unknown_field", "x");
}

TEST_CASE("issue 19: a department system's reference, waiting feeds, streams, webhook retry") {
  const std::string base = R"("matter":"SP-014","applicant":"Wang")";
  auto c = parse_new_case(body("{" + base + R"(,"source":"gov-portal","external_ref":"R/1"})"));
  REQUIRE(c.ok());
  CHECK(c->source == "gov-portal");
  CHECK(new_case_external_id(*c).rfind("gov-portal::", 0) == 0);  // not plain: hashed
  const auto created = new_case_body(*c);
  CHECK(created.at(std::string(kinds::kExternalRef)) == "R/1");
  CHECK(created.at(std::string(kinds::kExternalSource)) == "gov-portal");
  CHECK(new_case_external_id(*parse_new_case(body("{" + base + "}"))).empty());
  check_error(refused(parse_new_case(body("{" + base + R"(,"external_ref":"R1"})"))), 400,
              "missing", "source", "go together");
  check_error(refused(parse_new_case(body("{" + base + R"(,"source":"gov"})"))), 400, "missing",
              "external_ref");
  check_error(refused(parse_new_case(body("{" + base + R"(,"source":"Gov Portal","external_ref":"R1"})"))),
              400, "bad_value", "source", "a-z");
  check_error(refused(parse_new_case(body("{" + base + R"(,"source":"gov","external_ref":"a\nb"})"))),
              400, "bad_value", "external_ref");
  check_error(refused(parse_new_case(body(
                  "{" + base + R"(,"source":"gov","external_ref":")" + repeat("x", 129) + "\"}"))),
              400, "too_long", "external_ref");
  check_error(refused(parse_new_case(body("{" + base + R"(,"fields":{"external_ref":"R1"}})"))),
              400, "bad_value", "fields.external_ref", "top level");
  // Derived ids are case ids; node-made ones still are; paths are not.
  CHECK(parse_case_get(query("/x", {"gov-portal:3301062024000123"})).ok());
  CHECK(parse_case_get(query("/x", {"gov-portal::0a1b2c"})).ok());
  check_error(refused(parse_case_get(query("/x", {"gov/portal:1"}))), 400, "bad_value", "case_id");
  // The worklist finds a reference.
  auto list = parse_case_list(query("/api/cases?external_ref=R%2F1&source=gov-portal"));
  REQUIRE(list.ok());
  CHECK(list->external_ref == "R/1");
  check_list_refusals({{"/api/cases?source=Bad!", "bad_value", "source", "a-z"}});
  // Long-polls wait a duration or whole seconds, at most a minute.
  CHECK(parse_events_feed(query("/api/events?after=3&wait=30s"))->wait_ms == 30000);
  CHECK(parse_events_feed(query("/api/events?wait=500ms"))->wait_ms == 500);
  CHECK(parse_changes(query("/api/changes?wait=60"))->wait_ms == 60000);
  CHECK(parse_events_feed(query("/api/events"))->wait_ms == 0);
  check_error(refused(parse_events_feed(query("/api/events?wait=2m"))), 400, "out_of_range",
              "wait", "at most 60s");
  check_error(refused(parse_events_feed(query("/api/events?wait=soon"))), 400, "bad_value", "wait");
  check_error(refused(parse_events_feed(query("/api/events?wait=9999999999"))), 400,
              "out_of_range", "wait");
  // A stream resumes after Last-Event-ID, which wins over ?after=; it takes no wait.
  CHECK(parse_event_stream(query("/api/events?after=4"), "")->after == 4);
  CHECK(parse_event_stream(query("/api/events?after=4"), "17")->after == 17);
  check_error(refused(parse_event_stream(query("/api/events"), "17x")), 400, "bad_value",
              "Last-Event-ID");
  check_error(refused(parse_event_stream(query("/api/events?wait=1s"), "")), 400,
              "unknown_field", "wait");
  // Webhook retry: a name, an empty object.
  CHECK(*parse_webhook_retry(body("{}", {"dept"})) == "dept");
  check_error(refused(parse_webhook_retry(body("{}", {"Dept!"}))), 400, "bad_value", "name");
  check_error(refused(parse_webhook_retry(body(R"({"all":true})", {"dept"}))), 400,
              "unknown_field", "all");
}

TEST_CASE("clerks: a new clerk's id, name and role; the clerk is never named by a request") {
  auto ok = parse_new_clerk(body(R"({"id":"w01","name":"王芳","role":"window"})"));
  REQUIRE(ok.ok());
  CHECK(ok->id == "w01");
  CHECK(ok->role == "window");
  check_error(refused(parse_new_clerk(body(R"({"id":"W_1","name":"x","role":"window"})"))), 400,
              "bad_value", "id", "not a clerk id");
  check_error(refused(parse_new_clerk(body(R"({"id":"admin","name":"x","role":"admin"})"))), 400,
              "bad_value", "id", "built-in");
  check_error(refused(parse_new_clerk(body(R"({"id":"w2","name":"x","role":"root"})"))), 400,
              "bad_value", "role", "window");
  check_error(refused(parse_new_clerk(body(R"({"id":"w2","role":"window"})"))), 400, "missing",
              "name");
  check_error(refused(parse_new_clerk(body("{\"id\":\"w2\",\"name\":\"" + repeat("王", 101) +
                                           "\",\"role\":\"window\"}"))),
              400, "too_long", "name");
  CHECK(*parse_clerk_disable(body("{}", {"w01"})) == "w01");
  check_error(refused(parse_clerk_disable(body("{}", {"W 1"}))), 404, "not_found", "id");
  // The node names the clerk from the token; a body that tries is refused.
  check_error(refused(parse_case_event(body(R"({"kind":"note","body":{"note":"x","actor_id":"a1"}})",
                                            {"s01-c01-000001"}))),
              400, "bad_value", "body.actor_id", "from the token");
  check_error(refused(parse_new_case(body(
                  R"({"matter":"QY-001","applicant":"a","fields":{"actor_role":"admin"}})"))),
              400, "bad_value", "fields.actor_role");
}

TEST_CASE("stats: per node, per clerk or per matter") {
  CHECK_FALSE(parse_stats(query("/api/stats"))->by_clerk);
  CHECK(parse_stats(query("/api/stats?by=clerk"))->by_clerk);
  CHECK_FALSE(parse_stats(query("/api/stats?by=node"))->by_clerk);
  check_error(refused(parse_stats(query("/api/stats?by=desk"))), 400, "bad_value", "by", "clerk");
  CHECK(parse_stats(query("/api/stats?by=matter"))->by_matter);
  CHECK_FALSE(parse_stats(query("/api/stats?by=clerk"))->by_matter);
  check_error(refused(parse_stats(query("/api/stats?by=matter&node=s01"))), 400, "bad_value", "node",
              "every node");
}
