// ApiCounters: what the local API answered with an error, for /api/status ("api_errors",
// "api_error_responses") and /metrics. Bad input from a local caller is counted like bad input
// from a peer; an exception caught by the last-resort catch is a bug and is counted apart.
// Written from httplib's threads and the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

namespace casesync {

class ApiCounters {
 public:
  // Every answer with a status >= 400, whoever wrote it (a route or httplib).
  void error_response(int status) {
    std::lock_guard lock(mu_);
    ++by_status_[status];
  }
  // An exception that reached the last-resort catch of a handler (answered 500).
  void internal_error() { internal_.fetch_add(1); }

  std::uint64_t internal_errors() const { return internal_.load(); }
  std::map<int, std::uint64_t> error_responses() const {
    std::lock_guard lock(mu_);
    return by_status_;
  }

 private:
  mutable std::mutex mu_;
  std::map<int, std::uint64_t> by_status_;
  std::atomic<std::uint64_t> internal_{0};
};

}  // namespace casesync
