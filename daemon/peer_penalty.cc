#include "daemon/peer_penalty.h"

#include <algorithm>
#include <cassert>

namespace casesync {

PeerPenalty::PeerPenalty(PenaltyConfig config, std::uint64_t seed) : config_(config), rng_(seed) {
  assert(config_.rejects_max >= 1 && "a peer must be allowed at least one refused input");
  assert(config_.ban_ms >= 1 && config_.ban_ms <= config_.ban_max_ms);
}

std::uint64_t PeerPenalty::ban_length_ms(std::uint32_t offence) {
  assert(offence >= 1);
  std::uint64_t step = config_.ban_ms;
  for (std::uint32_t i = 1; i < offence && step < config_.ban_max_ms; ++i) {
    step = step > config_.ban_max_ms / 2 ? config_.ban_max_ms : step * 2;
  }
  step = std::min(step, config_.ban_max_ms);
  const auto jitter_max = static_cast<std::uint64_t>(static_cast<double>(step) * kJitterFraction);
  return step - (jitter_max == 0 ? 0 : rng_() % (jitter_max + 1));
}

std::optional<Ban> PeerPenalty::on_rejected(const std::string& peer, std::uint32_t count,
                                            std::uint64_t now_ms) {
  if (count == 0) return std::nullopt;
  Record& r = records_[peer];
  if (r.ban) return std::nullopt;
  if (r.offences > 0 && now_ms - std::min(now_ms, r.last_trouble_ms) >= config_.forgive_after_ms) {
    r.offences = 0;
  }
  r.last_trouble_ms = now_ms;
  // Only the newest rejects_max + 1 times matter: that many inside the window is a ban.
  const std::size_t keep = std::size_t{config_.rejects_max} + 1;
  for (std::uint32_t i = 0; i < count && i < keep; ++i) r.recent_ms.push_back(now_ms);
  while (r.recent_ms.size() > keep) r.recent_ms.pop_front();
  while (!r.recent_ms.empty() && r.recent_ms.front() + config_.window_ms <= now_ms) {
    r.recent_ms.pop_front();
  }
  if (r.recent_ms.size() <= config_.rejects_max) return std::nullopt;
  Ban ban;
  ban.rejects = static_cast<std::uint32_t>(r.recent_ms.size());
  ban.offence = ++r.offences;
  ban.since_ms = now_ms;
  ban.until_ms = now_ms + ban_length_ms(ban.offence);
  r.recent_ms.clear();
  r.ban = ban;
  r.bans++;
  bans_total_++;
  return ban;
}

std::vector<std::string> PeerPenalty::take_expired(std::uint64_t now_ms) {
  std::vector<std::string> out;
  for (auto& [peer, r] : records_) {
    if (!r.ban || r.ban->until_ms > now_ms) continue;
    r.last_trouble_ms = r.ban->until_ms;
    r.ban.reset();
    out.push_back(peer);
  }
  return out;
}

const Ban* PeerPenalty::ban_of(const std::string& peer) const {
  auto it = records_.find(peer);
  return it == records_.end() || !it->second.ban ? nullptr : &*it->second.ban;
}

std::map<std::string, Ban> PeerPenalty::bans_in_force() const {
  std::map<std::string, Ban> out;
  for (const auto& [peer, r] : records_) {
    if (r.ban) out[peer] = *r.ban;
  }
  return out;
}

std::map<std::string, std::uint64_t> PeerPenalty::bans_by_peer() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [peer, r] : records_) {
    if (r.bans > 0) out[peer] = r.bans;
  }
  return out;
}

}  // namespace casesync
