#include "tests/fault_proxy/settings.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>

namespace casesync::fault_proxy {
namespace {

Status invalid(std::string_view key, const std::string& why) {
  return Status::error(Code::kInvalidArgument, std::string(key) + ": " + why);
}

template <typename Int>
Result<Int> parse_int(std::string_view key, std::string_view text, Int min, Int max) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && (value < min || value > max))) {
    return invalid(key, std::string(text) + " is out of range (" + std::to_string(min) + ".." +
                            std::to_string(max) + ")");
  }
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return invalid(key, "'" + std::string(text) + "' is not a whole number");
  }
  return value;
}

Status apply_reset_every(Settings& s, std::string_view value, std::string_view label) {
  if (value == "off" || value == "0") {
    s.reset_every_min_ms = s.reset_every_max_ms = 0;
    return Status::ok();
  }
  const auto dash = value.find('-');
  auto min = parse_period_ms(label, value.substr(0, dash));
  if (!min.is_ok()) return min.status();
  auto max = dash == std::string_view::npos ? min : parse_period_ms(label, value.substr(dash + 1));
  if (!max.is_ok()) return max.status();
  if (*max < *min) return invalid(label, "the range " + std::string(value) + " runs backwards");
  s.reset_every_min_ms = *min;
  s.reset_every_max_ms = *max;
  return Status::ok();
}

Status apply_link_field(LinkSettings& link, std::string_view field, std::string_view key,
                        std::string_view value) {
  if (field == "latency_ms") {
    ASSIGN_OR_RETURN(link.latency_ms, parse_int<std::int64_t>(key, value, 0, kLatencyMsMax));
  } else if (field == "jitter_ms") {
    ASSIGN_OR_RETURN(link.jitter_ms, parse_int<std::int64_t>(key, value, 0, kJitterMsMax));
  } else if (field == "rate_bps") {
    ASSIGN_OR_RETURN(auto rate, parse_int<std::uint64_t>(key, value, 0, kRateBpsMax));
    if (rate != 0 && rate < kRateBpsMin) {
      return invalid(key, std::to_string(rate) + " is out of range (0 for unlimited, or " +
                              std::to_string(kRateBpsMin) + ".." + std::to_string(kRateBpsMax) +
                              ")");
    }
    link.rate_bps = rate;
  } else {
    return invalid(key,
                   "unknown setting (try latency_ms, jitter_ms, rate_bps, their up_ and "
                   "down_ forms, or reset_every)");
  }
  return Status::ok();
}

// `label` names the setting in errors: the key on the control channel, the flag on the command
// line.
Status apply_named(Settings& s, std::string_view key, std::string_view value,
                   std::string_view label) {
  if (key == "reset_every") return apply_reset_every(s, value, label);
  if (key.starts_with("up_")) return apply_link_field(s.up, key.substr(3), label, value);
  if (key.starts_with("down_")) return apply_link_field(s.down, key.substr(5), label, value);
  // Both directions, or neither: check on a copy so a bad value changes nothing.
  LinkSettings up = s.up;
  RETURN_IF_ERROR(apply_link_field(up, key, label, value));
  RETURN_IF_ERROR(apply_link_field(s.down, key, label, value));
  s.up = up;
  return Status::ok();
}

}  // namespace

Result<std::int64_t> parse_period_ms(std::string_view label, std::string_view text) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return invalid(label, "'" + std::string(text) + "' is not a number of seconds");
  }
  const double ms = std::round(seconds * 1000.0);
  if (!(ms >= static_cast<double>(kPeriodMsMin) && ms <= static_cast<double>(kPeriodMsMax))) {
    return invalid(label, std::string(text) + " s is out of range (0.01.." +
                              std::to_string(kPeriodMsMax / 1000) + " s)");
  }
  return static_cast<std::int64_t>(ms);
}

std::string Endpoint::to_string() const {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff) + ":" +
         std::to_string(port);
}

Result<Endpoint> parse_loopback_endpoint(std::string_view text) {
  Endpoint e;
  std::string_view port_text = text;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    const std::string host(text.substr(0, colon));
    in_addr addr{};
    if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
      return Status::error(Code::kInvalidArgument, "'" + host + "' is not an IPv4 address");
    }
    e.address = ntohl(addr.s_addr);
    if ((e.address >> 24) != 127) {
      return Status::error(Code::kInvalidArgument,
                           host + " is not a loopback address (only 127.0.0.0/8 is allowed)");
    }
    port_text = text.substr(colon + 1);
  }
  ASSIGN_OR_RETURN(e.port, parse_int<std::uint16_t>("port", port_text, 0, 65535));
  return e;
}

Status apply_setting(Settings& s, std::string_view key, std::string_view value) {
  return apply_named(s, key, value, key);
}

Result<Settings> parse_args(const std::vector<std::string>& args) {
  Settings s;
  bool have_listen = false;
  bool have_target = false;
  for (std::size_t i = 0; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    if (!flag.starts_with("--")) return invalid(flag, "expected a --flag");
    if (i + 1 >= args.size()) return invalid(flag, "missing its value");
    const std::string& value = args[i + 1];
    std::string key = flag.substr(2);
    for (char& c : key) c = c == '-' ? '_' : c;
    if (key == "listen" || key == "target" || key == "control") {
      auto e = parse_loopback_endpoint(value);
      if (!e.is_ok()) return e.status().with_context(flag);
      if (key == "listen") {
        s.listen = *e;
        have_listen = true;
      } else if (key == "target") {
        if (e->port == 0) return invalid(flag, "the target needs a port");
        s.target = *e;
        have_target = true;
      } else {
        s.control = *e;
      }
    } else if (key == "seed") {
      ASSIGN_OR_RETURN(s.seed, parse_int<std::uint64_t>(flag, value, 0, UINT64_MAX));
    } else {
      RETURN_IF_ERROR(apply_named(s, key, value, flag));
    }
  }
  if (!have_listen || !have_target) {
    return Status::error(Code::kInvalidArgument, "--listen and --target are required");
  }
  return s;
}

std::string usage() {
  return "usage: casesync-fault-proxy --listen 127.0.0.1:P --target 127.0.0.1:Q\n"
         "         [--control 127.0.0.1:C] [--seed S] [--reset-every N-M]\n"
         "         [--latency-ms MS] [--jitter-ms MS] [--rate-bps BITS]\n"
         "         [--up-latency-ms MS] [--down-rate-bps BITS] ... (up_/down_: one direction)\n"
         "Forwards each connection to P on to Q, adding delay, a rate cap and injected faults.\n"
         "Port 0 picks a free port; the ready line on stdout names the ports in use.\n"
         "Control (one line each, e.g. with `nc 127.0.0.1 C`): set KEY VALUE | blackhole on|off|SEC"
         " | partition on|off|SEC | reset | stats | settings | help | quit\n";
}

std::string settings_json(const Settings& s) {
  std::string out = "{";
  for (const auto& [name, link] : {std::pair{"up", &s.up}, std::pair{"down", &s.down}}) {
    const std::string p = std::string("\"") + name + "_";
    out += p + "latency_ms\":" + std::to_string(link->latency_ms) + "," + p +
           "jitter_ms\":" + std::to_string(link->jitter_ms) + "," + p +
           "rate_bps\":" + std::to_string(link->rate_bps) + ",";
  }
  out += "\"reset_every_min_ms\":" + std::to_string(s.reset_every_min_ms) +
         ",\"reset_every_max_ms\":" + std::to_string(s.reset_every_max_ms) +
         ",\"seed\":" + std::to_string(s.seed) + "}";
  return out;
}

}  // namespace casesync::fault_proxy
