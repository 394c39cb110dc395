// ApiCounters: what the local API refused or answered with an error, for /api/status
// ("api_errors", "api_error_responses", "api_refused"), /metrics and health. Bad input from a
// local caller is counted like bad input from a peer; an exception caught by the last-resort
// catch is a bug and is counted apart; a refusal at the door (no or wrong token, wrong role,
// foreign Origin or Host, wrong Content-Type) is counted by reason, and a burst of wrong tokens
// is a security alert (docs/HEALTH.md). Written from httplib's threads and the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace casesync {

// Why a request was refused before its route ran. Names are an interface (metrics, JSON).
enum class ApiRefusal {
  kNoToken,         // 401: no Authorization: Bearer
  kBadToken,        // 401: malformed, unknown, disabled or wrong token
  kForbiddenRole,   // 403: the clerk's role may not do this
  kBadOrigin,       // 403: a web page of another origin
  kBadHost,         // 403: a Host that is not this node's (DNS rebinding)
  kBadContentType,  // 415: a write that is not application/json
  kThrottled,       // 429: token checks paused for the clerk, or too many waiting
};
inline constexpr ApiRefusal kApiRefusals[] = {
    ApiRefusal::kNoToken,   ApiRefusal::kBadToken, ApiRefusal::kForbiddenRole, ApiRefusal::kBadOrigin,
    ApiRefusal::kBadHost, ApiRefusal::kBadContentType, ApiRefusal::kThrottled};
const char* api_refusal_name(ApiRefusal reason);

class ApiCounters {
 public:
  // Wrong tokens (bad_token, throttled) at least this many within kBurstWindowMs are a burst: a
  // clerk mistyping does not get there, a script guessing does.
  static constexpr std::size_t kBurstTokensMin = 20;
  static constexpr std::uint64_t kBurstWindowMs = 60 * 1000;

  // Every answer with a status >= 400, whoever wrote it (a route or httplib).
  void error_response(int status) {
    std::lock_guard lock(mu_);
    ++by_status_[status];
  }
  // An exception that reached the last-resort catch of a handler (answered 500).
  void internal_error() { internal_.fetch_add(1); }
  // A refusal at the door, at wall time `now_ms`. Returns true when it starts a burst of wrong
  // tokens (the caller logs it once).
  bool refused(ApiRefusal reason, std::uint64_t now_ms);

  std::uint64_t internal_errors() const { return internal_.load(); }
  std::map<int, std::uint64_t> error_responses() const {
    std::lock_guard lock(mu_);
    return by_status_;
  }
  std::map<std::string, std::uint64_t> refusals() const;  // every reason, zeros included
  std::uint64_t bad_token_bursts() const;
  // "security_alert: api_bad_tokens: ..." while any burst was seen since start (like every
  // security finding, it stays until the daemon restarts); empty otherwise. The health report
  // carries it to the district (daemon/health_state.h).
  std::vector<std::string> security_warnings() const;

 private:
  mutable std::mutex mu_;
  std::map<int, std::uint64_t> by_status_;
  std::atomic<std::uint64_t> internal_{0};
  std::map<ApiRefusal, std::uint64_t> refused_;
  std::deque<std::uint64_t> recent_bad_ms_;  // the last kBurstTokensMin wrong tokens' times
  std::uint64_t bursts_ = 0;
  std::uint64_t last_burst_ms_ = 0;
  std::uint64_t bad_tokens_in_bursts_ = 0;
};

}  // namespace casesync
