#include "daemon/api_counters.h"

#include "daemon/api_json.h"

namespace casesync {

const char* api_refusal_name(ApiRefusal reason) {
  switch (reason) {
    case ApiRefusal::kNoToken: return "no_token";
    case ApiRefusal::kBadToken: return "bad_token";
    case ApiRefusal::kForbiddenRole: return "forbidden_role";
    case ApiRefusal::kBadOrigin: return "bad_origin";
    case ApiRefusal::kBadHost: return "bad_host";
    case ApiRefusal::kBadContentType: return "bad_content_type";
    case ApiRefusal::kThrottled: return "throttled";
  }
  return "?";
}

bool ApiCounters::refused(ApiRefusal reason, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  ++refused_[reason];
  if (reason != ApiRefusal::kBadToken && reason != ApiRefusal::kThrottled) return false;
  const bool in_burst = bursts_ > 0 && now_ms - std::min(now_ms, last_burst_ms_) < kBurstWindowMs;
  if (in_burst) {
    ++bad_tokens_in_bursts_;
    last_burst_ms_ = now_ms;  // a burst lasts while wrong tokens keep coming
    return false;
  }
  recent_bad_ms_.push_back(now_ms);
  if (recent_bad_ms_.size() > kBurstTokensMin) recent_bad_ms_.pop_front();
  if (recent_bad_ms_.size() < kBurstTokensMin ||
      now_ms - std::min(now_ms, recent_bad_ms_.front()) >= kBurstWindowMs) {
    return false;
  }
  ++bursts_;
  last_burst_ms_ = now_ms;
  bad_tokens_in_bursts_ += recent_bad_ms_.size();
  recent_bad_ms_.clear();
  return true;
}

std::map<std::string, std::uint64_t> ApiCounters::refusals() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::uint64_t> out;
  for (ApiRefusal r : kApiRefusals) {
    auto it = refused_.find(r);
    out[api_refusal_name(r)] = it == refused_.end() ? 0 : it->second;
  }
  return out;
}

std::uint64_t ApiCounters::bad_token_bursts() const {
  std::lock_guard lock(mu_);
  return bursts_;
}

std::vector<std::string> ApiCounters::security_warnings() const {
  std::lock_guard lock(mu_);
  if (bursts_ == 0) return {};
  return {"security_alert: api_bad_tokens: " + std::to_string(bad_tokens_in_bursts_) +
          " wrong API tokens in " + std::to_string(bursts_) + " burst(s) of " +
          std::to_string(kBurstTokensMin) + " or more within " +
          std::to_string(kBurstWindowMs / 1000) + "s, the last at " +
          format_time_ms(last_burst_ms_) + " (casesyncctl status at this node)"};
}

}  // namespace casesync
