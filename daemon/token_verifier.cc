#include "daemon/token_verifier.h"

#include <algorithm>

#include "common/duration.h"
#include "crypto/crypto.h"
#include "daemon/api_token.h"

namespace casesync {

namespace {

TokenCheck bad(Text message, std::optional<Clerk> clerk = std::nullopt) {
  return {TokenOutcome::kBad, std::move(clerk), std::move(message), false};
}

// What went wrong with the token, and where a good one comes from.
Text ask_admin(const Text& what) {
  return ui_text("%s; ask this node's administrator for a token (casesyncctl clerk add)", what);
}

}  // namespace

TokenVerifier::TokenVerifier(const ClerkBook* book, Clock clock, Matcher matcher)
    : book_(book),
      clock_(std::move(clock)),
      matcher_(std::move(matcher)),
      cache_key_(crypto::random_bytes(crypto::kMacKeyBytes)) {}

TokenCheck TokenVerifier::check(std::string_view token) {
  const auto id = token_clerk_id(token);
  if (!id) return bad(ask_admin(ui_text("the bearer token is not a casesync token (csk_...)")));
  const std::optional<Clerk> clerk = book_->find(*id);
  if (!clerk) return bad(ask_admin(ui_text("no clerk %s at this node", *id)));
  if (clerk->disabled) return bad(ask_admin(ui_text("clerk %s is disabled at this node", *id)), clerk);
  if (*id == kAdminClerkId) {
    // A digest compare costs nothing to throttle; the burst is still counted by the guard.
    if (book_->is_admin_token(token)) return {TokenOutcome::kOk, clerk, "", false};
    return bad(ui_text("not this node's admin token (%s)", book_->admin_token_path()), clerk);
  }
  const Hash32 key = crypto::keyed_hash(cache_key_, token);
  {
    std::lock_guard lock(mu_);
    const std::uint64_t now = clock_();
    if (auto hit = from_cache(key, *clerk, now)) return *hit;
    if (auto paused = throttled(*clerk, now)) return *paused;
  }
  return verify(key, *clerk, token);
}

std::optional<TokenCheck> TokenVerifier::from_cache(const Hash32& key, const Clerk& clerk,
                                                    std::uint64_t now) {
  for (Cache* cache : {&good_, &bad_}) {
    auto it = cache->find(key);
    if (it == cache->end()) continue;
    const bool fresh = it->second.clerk_id == clerk.id &&
                       it->second.generation == clerk.generation &&
                       now - std::min(now, it->second.last_used_ms) < kCacheIdleMs;
    if (!fresh) {
      cache->erase(it);
      continue;
    }
    it->second.last_used_ms = now;
    if (cache == &good_) return TokenCheck{TokenOutcome::kOk, clerk, "", false};
    note_failure(clerk, now);
    return bad(ask_admin(ui_text("not the token of clerk %s", clerk.id)), clerk);
  }
  return std::nullopt;
}

std::optional<TokenCheck> TokenVerifier::throttled(const Clerk& clerk, std::uint64_t now) {
  auto it = paused_until_.find(clerk.id);
  if (it == paused_until_.end()) return std::nullopt;
  if (now >= it->second) {
    paused_until_.erase(it);
    return std::nullopt;
  }
  return TokenCheck{TokenOutcome::kThrottled, clerk,
                    ui_text("too many wrong tokens for clerk %s recently; its tokens are checked "
                            "again in %s (the node raised a security alert)",
                            clerk.id, format_duration_ms(it->second - now)),
                    false};
}

TokenCheck TokenVerifier::verify(const Hash32& key, const Clerk& clerk, std::string_view token) {
  {
    std::unique_lock lock(mu_);
    if (running_ >= kVerifyConcurrentMax && waiting_ >= kVerifyWaitingMax) {
      return {TokenOutcome::kThrottled, clerk,
              ui_text("the node is busy checking other tokens; retry in a second"), false};
    }
    ++waiting_;
    slot_free_.wait(lock, [this] { return running_ < kVerifyConcurrentMax; });
    --waiting_;
    ++running_;
  }
  const bool match = matcher_(clerk.token_hash, token);  // the slow part, outside the lock
  std::lock_guard lock(mu_);
  --running_;
  slot_free_.notify_one();
  const std::uint64_t now = clock_();
  if (match) {
    remember(good_, kCacheEntriesMax, key, clerk, now);
    failures_.erase(clerk.id);
    return {TokenOutcome::kOk, clerk, "", true};
  }
  remember(bad_, kBadCacheEntriesMax, key, clerk, now);
  note_failure(clerk, now);
  TokenCheck out = bad(ask_admin(ui_text("not the token of clerk %s", clerk.id)), clerk);
  out.verified_now = true;
  return out;
}

void TokenVerifier::remember(Cache& cache, std::size_t max, const Hash32& key, const Clerk& clerk,
                             std::uint64_t now) {
  if (cache.size() >= max && !cache.count(key)) {
    auto oldest = std::min_element(cache.begin(), cache.end(), [](const auto& a, const auto& b) {
      return a.second.last_used_ms < b.second.last_used_ms;
    });
    cache.erase(oldest);
  }
  cache[key] = Remembered{clerk.id, clerk.generation, now};
}

void TokenVerifier::note_failure(const Clerk& clerk, std::uint64_t now) {
  std::vector<std::uint64_t>& times = failures_[clerk.id];
  times.erase(std::remove_if(times.begin(), times.end(),
                             [now](std::uint64_t t) { return now - std::min(now, t) >= kClerkFailureWindowMs; }),
              times.end());
  times.push_back(now);
  if (times.size() >= kClerkFailuresMax) {
    paused_until_[clerk.id] = now + kClerkThrottleMs;
    times.clear();
  }
}

}  // namespace casesync
