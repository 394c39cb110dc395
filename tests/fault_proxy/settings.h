// What casesync-fault-proxy does to the traffic it forwards: the flags set it at start and
// `set KEY VALUE` on the control channel changes it at run time. Both go through apply_setting(),
// so a flag and its control command cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace casesync::fault_proxy {

// Longer than this is an outage, not a slow link: use a black hole instead.
inline constexpr std::int64_t kLatencyMsMax = 600'000;
inline constexpr std::int64_t kJitterMsMax = kLatencyMsMax;
// One byte per second is the slowest link worth modelling; 10 Gbit/s is beyond loopback anyway.
inline constexpr std::uint64_t kRateBpsMin = 8;
inline constexpr std::uint64_t kRateBpsMax = 10'000'000'000;
// Reset intervals and timed black holes / partitions: at most a day, at least 10 ms.
inline constexpr std::int64_t kPeriodMsMin = 10;
inline constexpr std::int64_t kPeriodMsMax = 86'400'000;

// One direction of the link. Up is client -> server, down is server -> client.
struct LinkSettings {
  std::int64_t latency_ms = 0;
  std::int64_t jitter_ms = 0;  // each chunk's delay is latency ± uniform jitter, never below 0
  std::uint64_t rate_bps = 0;  // 0: unlimited
};

// An IPv4 loopback address and port; port 0 asks the kernel for a free one (listen sides only).
struct Endpoint {
  std::uint32_t address = 0x7f000001;  // host byte order; always within 127.0.0.0/8
  std::uint16_t port = 0;
  std::string to_string() const;
};

struct Settings {
  Endpoint listen;
  Endpoint target;
  std::optional<Endpoint> control;
  LinkSettings up;
  LinkSettings down;
  std::int64_t reset_every_min_ms = 0;  // 0: no random resets
  std::int64_t reset_every_max_ms = 0;
  std::uint64_t seed = 1;
};

// "127.0.0.1:5555" or "5555". Anything outside 127.0.0.0/8 is refused, so the proxy can never be
// pointed at (or opened to) another machine.
Result<Endpoint> parse_loopback_endpoint(std::string_view text);

// Seconds as a person writes them ("20", "0.5") to milliseconds within the period limits; `label`
// names the setting in the error.
Result<std::int64_t> parse_period_ms(std::string_view label, std::string_view text);

// The keys `set` accepts: latency_ms, jitter_ms, rate_bps (both directions), the same with an
// up_ or down_ prefix (one direction), and reset_every ("20-40" or "20" seconds, "off" or "0").
Status apply_setting(Settings& settings, std::string_view key, std::string_view value);

// The flags: --listen, --target, --control, --seed, and --KEY for every key of apply_setting()
// with '_' spelled '-' (--up-latency-ms 150). Errors name the flag and the allowed range.
Result<Settings> parse_args(const std::vector<std::string>& args);
std::string usage();

// The runtime keys and their values as one JSON line, for the `settings` command.
std::string settings_json(const Settings& settings);

}  // namespace casesync::fault_proxy
