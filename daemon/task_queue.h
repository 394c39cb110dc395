// TaskQueue: how HTTP handler threads hand work to the event loop thread, which alone touches
// the protocol core and the store (one thread owns them; threads share no state). post() wakes
// the loop through an eventfd that zmq::poll watches next to the sockets.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

namespace casesync {

class TaskQueue {
 public:
  TaskQueue();
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  int fd() const { return fd_; }
  void post(std::function<void()> task);
  // Runs everything posted so far. Called by the loop thread only.
  void run_pending();
  // Runs `task` on the loop thread and waits for it; an exception it throws is rethrown here,
  // on the caller's thread. REQUIRES: not called from the loop thread.
  void run_and_wait(const std::function<void()>& task);

 private:
  int fd_ = -1;
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
};

}  // namespace casesync
