// PeerPenalty: when a peer that keeps sending input we refuse is cut off, and for how long.
// Pure: no clock, no sockets — every call takes now_ms, and the jitter comes from a PRNG seeded by
// the caller — so the policy is tested on a fake clock (daemon/peer_penalty_test.cc). The daemon
// enforces its verdicts at the edge (daemon/transport.h: ban, lift_ban).
//
// The rules:
//   - Each refused input the peer is to blame for (sync/effects.h PeerMisbehaved: the core says
//     which, e.g. not a stale batch from before a restore) scores one, in a sliding window of
//     `window`. A batch past the ahead-of-gap buffer counts (issue 25).
//   - More than `rejects_max` in the window bans the peer: the n-th ban since it was last forgiven
//     lasts `ban` * 2^(n-1), at most `ban_max`, shortened by up to kJitterFraction at random so
//     that peers banned together do not all return at once.
//   - A ban ends by itself at its time (take_expired()).
//   - `forgive_after` without a refused input (counted from the last one, or from the end of the
//     last ban) and the peer's next ban is a first one again.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/node_config.h"

namespace casesync {

struct Ban {
  std::uint64_t since_ms = 0;
  std::uint64_t until_ms = 0;
  std::uint32_t offence = 0;  // 1 for the first ban since the peer was last forgiven
  std::uint32_t rejects = 0;  // refused inputs in the window that earned it
};

class PeerPenalty {
 public:
  // Each ban is up to this fraction shorter than its doubling step, at random.
  static constexpr double kJitterFraction = 0.25;

  PeerPenalty(PenaltyConfig config, std::uint64_t seed);

  // `count` refused inputs from `peer` at now_ms. Returns the ban they earned, if they did; a
  // peer already banned earns nothing more (its input should not reach us at all).
  std::optional<Ban> on_rejected(const std::string& peer, std::uint32_t count,
                                 std::uint64_t now_ms);
  // Ends every ban due at now_ms and returns those peers, to be admitted again.
  std::vector<std::string> take_expired(std::uint64_t now_ms);

  // nullptr when `peer` is not banned.
  const Ban* ban_of(const std::string& peer) const;
  // Bans in force, by peer.
  std::map<std::string, Ban> bans_in_force() const;
  // Bans ever imposed on each peer since start (only peers that had one).
  std::map<std::string, std::uint64_t> bans_by_peer() const;
  std::uint64_t bans_total() const { return bans_total_; }
  const PenaltyConfig& config() const { return config_; }

 private:
  // One per peer that ever had an input refused. Peers are the rostered nodes ZAP admitted, so
  // the map is bounded by the roster; `recent_ms` by rejects_max + 1.
  struct Record {
    std::deque<std::uint64_t> recent_ms;  // times of refused inputs within the window
    std::optional<Ban> ban;
    std::uint32_t offences = 0;         // bans since last forgiven
    std::uint64_t last_trouble_ms = 0;  // last refused input, or the end of the last ban
    std::uint64_t bans = 0;
  };
  std::uint64_t ban_length_ms(std::uint32_t offence);

  PenaltyConfig config_;
  std::mt19937_64 rng_;
  std::map<std::string, Record> records_;
  std::uint64_t bans_total_ = 0;
};

}  // namespace casesync
