// WorkerPool: a fixed number of threads and a bounded queue, for the local API's requests once
// the front (daemon/http_front.h) has their head. A full queue refuses at once (submit() is
// false) instead of growing: the caller answers 503 and the client may retry.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace casesync {

class WorkerPool {
 public:
  WorkerPool(std::string name, std::size_t threads, std::size_t queue_max);
  ~WorkerPool();  // shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when `queue_max` tasks already wait, or after shutdown().
  bool submit(std::function<void()> task);
  // Drops what is still queued (those requests' connections are closed by their owner), lets
  // the running tasks finish, joins the threads. Idempotent.
  void shutdown();
  std::size_t queued() const;

 private:
  void work();

  const std::string name_;
  const std::size_t queue_max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace casesync
