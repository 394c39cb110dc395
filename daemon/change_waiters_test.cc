// Proves the waiters of a long-poll: woken once by a change past what they saw (never missed when
// it came before they were added), by their deadline, not after their client left, and held
// again when a wake has nothing to say yet (the shape an event stream reuses).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <vector>

#include "daemon/change_waiters.h"

using namespace casesync;
using Clock = ChangeWaiters::Clock;

namespace {

struct Harness {
  ChangeWaiters waiters;
  std::vector<std::function<void()>> queued;  // the executor: run by the test, like the loop
  struct Sent {
    std::uint64_t conn;
    std::string bytes;
    bool finished;
  };
  std::vector<Sent> sent;
  Harness() {
    waiters.set_executor([this](std::function<void()> f) { queued.push_back(std::move(f)); });
    waiters.set_sink([this](std::uint64_t c, std::string b, bool f) { sent.push_back({c, b, f}); });
  }
  void run() {
    auto now = std::move(queued);
    queued.clear();
    for (auto& f : now) f();
  }
  ChangeWaiters::Waiter waiter(std::uint64_t conn, std::uint64_t seen, Clock::time_point deadline,
                               int* wakes, bool answer_on_change = true) {
    return {conn, seen, deadline, [=](bool timed_out) {
              ++*wakes;
              ChangeWaiters::Wake w;
              if (!timed_out && !answer_on_change) {
                w.finished = false;
                w.next_deadline = deadline;
                return w;
              }
              w.bytes = timed_out ? "timeout" : "changes";
              return w;
            }};
  }
};

}  // namespace

TEST_CASE("a change wakes each waiter once; a change before add() is not missed") {
  Harness h;
  int wakes = 0;
  const auto later = Clock::now() + std::chrono::hours(1);
  h.waiters.add(h.waiter(7, 0, later, &wakes));
  h.waiters.changed(0);  // not past what it saw
  h.run();
  CHECK(wakes == 0);
  h.waiters.changed(1);
  h.waiters.changed(2);  // already taken out: no second wake
  h.run();
  CHECK(wakes == 1);
  REQUIRE(h.sent.size() == 1);
  CHECK(h.sent[0].conn == 7);
  CHECK(h.sent[0].bytes == "changes");
  CHECK(h.waiters.size() == 0);

  int late_wakes = 0;
  h.waiters.add(h.waiter(8, 1, later, &late_wakes));  // saw 1; the counter is 2 already
  h.run();
  CHECK(late_wakes == 1);
}

TEST_CASE("the deadline wakes a waiter; a client that left is forgotten") {
  Harness h;
  int wakes = 0, gone_wakes = 0;
  const auto soon = Clock::now() + std::chrono::seconds(1);
  h.waiters.add(h.waiter(1, 0, soon, &wakes));
  h.waiters.add(h.waiter(2, 0, soon, &gone_wakes));
  h.waiters.cancel(2);
  h.waiters.expire(soon - std::chrono::milliseconds(1));
  h.run();
  CHECK(wakes == 0);
  h.waiters.expire(soon);
  h.run();
  CHECK(wakes == 1);
  CHECK(gone_wakes == 0);
  REQUIRE(h.sent.size() == 1);
  CHECK(h.sent[0].bytes == "timeout");
}

TEST_CASE("a wake with nothing to say holds the waiter again, with what it has now seen") {
  Harness h;
  int wakes = 0;
  const auto later = Clock::now() + std::chrono::hours(1);
  h.waiters.add(h.waiter(3, 0, later, &wakes, /*answer_on_change=*/false));
  h.waiters.changed(1);
  h.run();
  CHECK(wakes == 1);
  CHECK(h.sent.empty());
  CHECK(h.waiters.size() == 1);
  h.waiters.changed(1);  // nothing new since the wake looked
  h.run();
  CHECK(wakes == 1);
  h.waiters.expire(later);
  h.run();
  CHECK(wakes == 2);
  REQUIRE(h.sent.size() == 1);
  CHECK(h.sent[0].finished);
}
