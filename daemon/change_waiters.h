// ChangeWaiters: requests that wait for this node's data to change, held without a thread each.
// Today that is the long-poll of GET /api/changes?wait=S; the event stream of issue 19
// (Accept: text/event-stream) is the same thing answered more than once.
//
// A waiter is a parked connection of the front (daemon/http_front.h) and what to do when the
// change counter moves past what it saw or its deadline passes: wake(), run by the executor —
// the loop thread, which owns the store — returns bytes for the connection, handed to the sink
// (the front writes them). A wake that answers `finished` ends the waiter; one that does not
// (an event stream, or a long-poll woken by a change that is not for it) is held again, with
// the counter it has now seen and the deadline it returns. Issue 20 may run wakes on a reader
// pool instead: only the executor changes.
//
// Thread-safe. Waking is at most once per waiter per change: a waiter is taken out of the
// registry before its wake is handed to the executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace casesync {

class ChangeWaiters {
 public:
  using Clock = std::chrono::steady_clock;
  struct Wake {
    std::string bytes;       // for the connection; may be empty (nothing to say yet)
    bool finished = true;    // the answer is complete: the connection serves its next request
    Clock::time_point next_deadline{};  // when not finished: the next wake at the latest
  };
  // timed_out: woken by the deadline, not by a change.
  using WakeFn = std::function<Wake(bool timed_out)>;
  struct Waiter {
    std::uint64_t conn_id = 0;
    std::uint64_t seen = 0;  // the change counter the waiter's answer so far reflects
    Clock::time_point deadline{};
    WakeFn wake;
  };
  using Executor = std::function<void(std::function<void()>)>;
  using Sink = std::function<void(std::uint64_t conn_id, std::string bytes, bool finished)>;

  // Both before the first add(). "executor" runs wakes; "sink" takes their bytes.
  void set_executor(Executor executor);
  void set_sink(Sink sink);

  // Holds `w` until the counter moves past w.seen or w.deadline; wakes it now if it moved.
  void add(Waiter w);
  // The change counter moved (the loop thread, after new events were stored).
  void changed(std::uint64_t counter);
  // Wakes the waiters whose deadline passed (the front's timer).
  void expire(Clock::time_point now);
  // The client went away: forget its waiter.
  void cancel(std::uint64_t conn_id);

  std::uint64_t counter() const;
  std::size_t size() const;

 private:
  // The waiters `due` picks, taken out of the registry. REQUIRES: mu_ held.
  std::vector<Waiter> take_locked(const std::function<bool(const Waiter&)>& due);
  void dispatch(std::vector<Waiter> due, bool timed_out);
  void run_wake(Waiter w, bool timed_out);

  mutable std::mutex mu_;
  std::map<std::uint64_t, Waiter> waiting_;  // by connection
  std::uint64_t counter_ = 0;
  Executor executor_;
  Sink sink_;
};

}  // namespace casesync
