// TokenVerifier: whose a bearer token is, without letting wrong tokens cost honest clerks. A
// clerk's token is checked against its Argon2id hash (crypto/token_hash.h: ~0.1-0.3 s and 64 MiB
// each), so checking every request that way would stall the API. Instead:
//  - the token names its clerk (daemon/api_token.h): a malformed token or an unknown or disabled
//    clerk is refused at once, without hashing; the admin's token is compared in constant time
//    with a digest (daemon/clerk_book.h);
//  - a token verified recently is remembered under a keyed BLAKE2b of it (never the token), so an
//    honest clerk's further requests cost a lookup (microseconds) until the clerk changes
//    (disabled: at once) or the entry sits unused for kCacheIdleMs;
//  - a wrong token is remembered the same way, so a client retrying a stale token costs nothing;
//  - at most kVerifyConcurrentMax verifications run at once and kVerifyWaitingMax wait; any more
//    are refused at once (429): wrong tokens can occupy a core and a few HTTP threads, never the
//    event loop, never every thread;
//  - after kClerkFailuresMax wrong tokens for one clerk within kClerkFailureWindowMs, that clerk's
//    tokens not already verified are refused unverified (429) for kClerkThrottleMs — its
//    verified tokens keep working. The burst is counted and raised (daemon/api_guard.h).
// Called on httplib's threads; thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.h"
#include "common/bytes.h"
#include "daemon/clerk_book.h"

namespace casesync {

enum class TokenOutcome {
  kOk,
  kBad,        // malformed, unknown clerk, disabled clerk, or not the clerk's token: 401
  kThrottled,  // not checked now: too many checks waiting, or the clerk's tokens paused: 429
};

struct TokenCheck {
  TokenOutcome outcome = TokenOutcome::kBad;
  std::optional<Clerk> clerk;  // kOk: who; kBad/kThrottled: the clerk the token named, if known
  Text message;                // for the refusal, in the asker's language; never the token
  bool verified_now = false;   // an Argon2id verification ran for this request
};

class TokenVerifier {
 public:
  static constexpr std::size_t kVerifyConcurrentMax = 1;  // Argon2id runs: a core and 64 MiB each
  static constexpr std::size_t kVerifyWaitingMax = 2;     // requests queued behind them
  static constexpr std::size_t kCacheEntriesMax = 256;    // verified tokens remembered
  static constexpr std::size_t kBadCacheEntriesMax = 1024;  // wrong tokens remembered
  static constexpr std::uint64_t kCacheIdleMs = 30 * 60 * 1000;
  static constexpr std::size_t kClerkFailuresMax = 5;
  static constexpr std::uint64_t kClerkFailureWindowMs = 60 * 1000;
  static constexpr std::uint64_t kClerkThrottleMs = 60 * 1000;

  using Clock = std::function<std::uint64_t()>;  // monotonic milliseconds
  using Matcher = std::function<bool(const std::string& hash, std::string_view token)>;

  // "*book" must remain live while this verifier is in use. `matcher` checks a token against a
  // stored hash (tests pass a fast one).
  TokenVerifier(const ClerkBook* book, Clock clock, Matcher matcher);

  TokenCheck check(std::string_view token);

 private:
  struct Remembered {
    std::string clerk_id;
    std::uint64_t generation = 0;
    std::uint64_t last_used_ms = 0;
  };
  using Cache = std::map<Hash32, Remembered>;

  std::optional<TokenCheck> from_cache(const Hash32& key, const Clerk& clerk, std::uint64_t now);
  std::optional<TokenCheck> throttled(const Clerk& clerk, std::uint64_t now);
  TokenCheck verify(const Hash32& key, const Clerk& clerk, std::string_view token);
  void remember(Cache& cache, std::size_t max, const Hash32& key, const Clerk& clerk,
                std::uint64_t now);
  void note_failure(const Clerk& clerk, std::uint64_t now);

  const ClerkBook* book_;
  Clock clock_;
  Matcher matcher_;
  const std::string cache_key_;  // random per process
  std::mutex mu_;
  std::condition_variable slot_free_;
  std::size_t running_ = 0;
  std::size_t waiting_ = 0;
  Cache good_;
  Cache bad_;
  std::map<std::string, std::vector<std::uint64_t>> failures_;  // clerk -> recent failure times
  std::map<std::string, std::uint64_t> paused_until_;           // clerk -> end of its pause
};

}  // namespace casesync
