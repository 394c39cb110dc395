#include "daemon/task_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <cstdint>
#include <future>

namespace casesync {

TaskQueue::TaskQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  assert(fd_ >= 0 && "eventfd failed: out of file descriptors at startup");
}

TaskQueue::~TaskQueue() { close(fd_); }

void TaskQueue::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  std::uint64_t one = 1;
  ssize_t n = write(fd_, &one, sizeof(one));
  (void)n;  // a full counter still leaves the fd readable: the loop wakes either way
}

void TaskQueue::run_pending() {
  std::uint64_t drained = 0;
  ssize_t n = read(fd_, &drained, sizeof(drained));
  (void)n;
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(tasks_);
  }
  for (auto& t : batch) t();
}

void TaskQueue::run_and_wait(const std::function<void()>& task) {
  std::promise<void> done;
  post([&] {
    // An exception belongs to the waiting caller, never to the loop: thrown there, it would end
    // the node.
    try {
      task();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  done.get_future().get();
}

}  // namespace casesync
