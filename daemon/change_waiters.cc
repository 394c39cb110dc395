#include "daemon/change_waiters.h"

#include <cassert>

namespace casesync {

void ChangeWaiters::set_executor(Executor executor) {
  std::lock_guard lock(mu_);
  executor_ = std::move(executor);
}

void ChangeWaiters::set_sink(Sink sink) {
  std::lock_guard lock(mu_);
  sink_ = std::move(sink);
}

std::uint64_t ChangeWaiters::counter() const {
  std::lock_guard lock(mu_);
  return counter_;
}

std::size_t ChangeWaiters::size() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

void ChangeWaiters::add(Waiter w) {
  std::vector<Waiter> due;
  {
    std::lock_guard lock(mu_);
    assert(executor_ && sink_ && "ChangeWaiters used before set_executor() and set_sink()");
    // The check and the insert are one step under the lock that changed() takes: a change
    // between the caller's look and this add is never missed.
    if (w.seen != counter_) {
      due.push_back(std::move(w));
    } else {
      const std::uint64_t id = w.conn_id;
      waiting_[id] = std::move(w);
    }
  }
  dispatch(std::move(due), false);
}

void ChangeWaiters::changed(std::uint64_t counter) {
  std::vector<Waiter> due;
  {
    std::lock_guard lock(mu_);
    counter_ = counter;
    due = take_locked([counter](const Waiter& w) { return w.seen != counter; });
  }
  dispatch(std::move(due), false);
}

void ChangeWaiters::expire(Clock::time_point now) {
  std::vector<Waiter> due;
  {
    std::lock_guard lock(mu_);
    due = take_locked([now](const Waiter& w) { return w.deadline <= now; });
  }
  dispatch(std::move(due), true);
}

std::vector<ChangeWaiters::Waiter> ChangeWaiters::take_locked(
    const std::function<bool(const Waiter&)>& due) {
  std::vector<Waiter> out;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (due(it->second)) {
      out.push_back(std::move(it->second));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void ChangeWaiters::cancel(std::uint64_t conn_id) {
  std::lock_guard lock(mu_);
  waiting_.erase(conn_id);
}

void ChangeWaiters::dispatch(std::vector<Waiter> due, bool timed_out) {
  if (due.empty()) return;
  Executor executor;
  {
    std::lock_guard lock(mu_);
    executor = executor_;
  }
  for (auto& w : due) {
    executor([this, w = std::move(w), timed_out]() mutable { run_wake(std::move(w), timed_out); });
  }
}

// On the executor. The counter is read before the wake looks at the data: a change while it
// looks moves the counter past `seen`, and the waiter held again is woken for it.
void ChangeWaiters::run_wake(Waiter w, bool timed_out) {
  const std::uint64_t seen = counter();
  Wake r = w.wake(timed_out);
  Sink sink;
  {
    std::lock_guard lock(mu_);
    sink = sink_;
  }
  if (!r.bytes.empty() || r.finished) sink(w.conn_id, std::move(r.bytes), r.finished);
  if (r.finished) return;
  w.seen = seen;
  w.deadline = r.next_deadline;
  add(std::move(w));
}

}  // namespace casesync
