// Proves what every route of the local API goes through: a refusal at the door is answered
// before the handler runs, the last-resort catch answers an
// exception with a JSON 500 and counts it, answers never throw on bytes that are not UTF-8, the
// query comes from the URL only, and an exception in a task for the loop thread is rethrown to
// the waiting caller instead of ending the loop.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "daemon/api_util.h"
#include "daemon/task_queue.h"

using namespace casesync;
using nlohmann::json;

namespace {

httplib::Request request(const std::string& target, const std::string& body = "") {
  httplib::Request req;
  req.method = "POST";
  req.target = target;
  req.path = target.substr(0, target.find('?'));
  req.body = body;
  req.params.emplace("from_the_form", "1");  // httplib also parses a form body into params
  return req;
}

// A door that admits everyone (the door itself is api_auth_test.cc's).
Checked<Requester> open_door(const httplib::Request&) { return Requester{}; }

}  // namespace

TEST_CASE("an exception in a handler is a counted JSON 500, not the end of the node") {
  ApiCounters counters;
  auto h = guarded(counters, open_door, [](const ApiCall&, httplib::Response&) {
    throw std::out_of_range("map::at");
  });
  httplib::Response res;
  h(request("/api/cases"), res);
  CHECK(res.status == 500);
  const json body = json::parse(res.body);
  CHECK(body["error"] == "internal");
  CHECK(body["message"].get<std::string>().find("map::at") != std::string::npos);
  CHECK(body.contains("field"));
  CHECK(counters.internal_errors() == 1);
  auto odd = guarded(counters, open_door, [](const ApiCall&, httplib::Response&) { throw 42; });
  odd(request("/api/cases"), res);
  CHECK(res.status == 500);
  CHECK(counters.internal_errors() == 2);
}

TEST_CASE("a refusal at the door is the answer; the handler never runs") {
  ApiCounters counters;
  bool ran = false;
  auto h = guarded(
      counters, [](const httplib::Request&) -> Checked<Requester> {
        return ApiError{401, "no_token", "needs a token", ""};
      },
      [&](const ApiCall&, httplib::Response&) { ran = true; });
  httplib::Response res;
  h(request("/api/cases"), res);
  CHECK_FALSE(ran);
  CHECK(res.status == 401);
  CHECK(res.get_header_value("WWW-Authenticate").rfind("Bearer", 0) == 0);
  CHECK(json::parse(res.body)["error"] == "no_token");
}

TEST_CASE("a handler sees the URL's query, the body and the path parts") {
  ApiCounters counters;
  RequestView seen;
  auto h = guarded(counters, open_door, [&](const ApiCall& call, httplib::Response& res) {
    seen = call.request;
    seen.body = {};  // the request dies with the call
    reply(res, 200, {{"ok", true}});
  });
  httplib::Response res;
  h(request("/api/cases?limit=5&applicant=%E6%9D%8E", "{}"), res);
  CHECK(res.status == 200);
  REQUIRE(seen.query.size() == 2);
  CHECK(seen.query[0] == std::pair<std::string, std::string>{"limit", "5"});
  CHECK(seen.query[1].second == "李");
  CHECK(counters.internal_errors() == 0);
}

TEST_CASE("answers never throw on stored bytes that are not UTF-8") {
  httplib::Response res;
  reply(res, 200, {{"applicant", "bad\xff\xfe"}});
  CHECK(res.status == 200);
  CHECK(json::parse(res.body)["applicant"] == "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("an exception in a loop task reaches the caller; the loop keeps running") {
  TaskQueue tasks;
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) {
      tasks.run_pending();
      std::this_thread::yield();
    }
  });
  CHECK_THROWS_AS(tasks.run_and_wait([] { throw std::runtime_error("boom"); }), std::runtime_error);
  int ran = 0;
  tasks.run_and_wait([&] { ran = 1; });
  CHECK(ran == 1);
  stop = true;
  tasks.post([] {});
  loop.join();
}
