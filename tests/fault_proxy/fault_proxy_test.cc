// Proves the proxy's pure parts on a virtual clock: rate cap, latency, order under jitter, buffer
// bounds, and the parsing of flags, settings and control commands (loopback-only targets included).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "tests/fault_proxy/control.h"
#include "tests/fault_proxy/pipe.h"
#include "tests/fault_proxy/settings.h"

using namespace casesync;
using namespace casesync::fault_proxy;
using std::chrono::milliseconds;

namespace {

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

std::string pattern(std::size_t n, std::size_t start = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((start + i) * 131 % 251);
  return s;
}

// Runs the pipe on virtual time until `expected` bytes came out; returns when the last one did.
TimePoint drain(Pipe& pipe, std::mt19937_64& rng, TimePoint now, std::string& out,
                std::size_t expected) {
  for (int steps = 0; out.size() < expected; ++steps) {
    REQUIRE(steps < 1'000'000);
    pipe.advance(now, rng);
    for (auto b = pipe.deliverable(now); !b.empty(); b = pipe.deliverable(now)) {
      out.append(b);
      pipe.consume(b.size());
    }
    if (out.size() >= expected) break;
    const auto wake = pipe.next_wakeup(now);
    REQUIRE(wake.has_value());
    REQUIRE(*wake > now);  // a wakeup in the past would spin the event loop
    now = *wake;
  }
  return now;
}

Settings parsed(std::vector<std::string> args) {
  args.insert(args.begin(), {"--listen", "127.0.0.1:0", "--target", "127.0.0.1:9"});
  auto s = parse_args(args);
  REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
  return *s;
}

std::string args_error(std::vector<std::string> args) {
  auto s = parse_args(args);
  REQUIRE_FALSE(s.is_ok());
  return s.status().message();
}

}  // namespace

TEST_CASE("rate cap: 64 KiB at 256 kbit/s takes two seconds, less one burst") {
  std::mt19937_64 rng(1);
  Pipe pipe(LinkSettings{.rate_bps = 256'000}, kT0);
  const std::string in = pattern(64 * 1024);
  pipe.push(in);
  std::string out;
  const TimePoint done = drain(pipe, rng, kT0, out, in.size());
  CHECK(out == in);
  const double seconds = std::chrono::duration<double>(done - kT0).count();
  const double burst_s = 640.0 / 32'000.0;  // 20 ms of bucket at 32000 bytes/s
  CHECK(seconds >= 65536.0 / 32'000.0 - burst_s - 0.001);
  CHECK(seconds <= 65536.0 / 32'000.0 + 0.01);
}

TEST_CASE("a rate change keeps what was earned and applies from then on") {
  std::mt19937_64 rng(1);
  Pipe pipe(LinkSettings{.rate_bps = 80'000}, kT0);  // 10 000 bytes/s
  pipe.push(pattern(20'000));
  std::string out;
  TimePoint now = drain(pipe, rng, kT0, out, 10'000);
  CHECK(std::chrono::duration<double>(now - kT0).count() == doctest::Approx(0.98).epsilon(0.02));
  pipe.configure(LinkSettings{.rate_bps = 0}, now);  // lift the cap: the rest goes at once
  drain(pipe, rng, now, out, 20'000);
  CHECK(out == pattern(20'000));
}

TEST_CASE("latency delays every byte by exactly the configured time") {
  std::mt19937_64 rng(1);
  Pipe pipe(LinkSettings{.latency_ms = 100}, kT0);
  pipe.push("hello");
  pipe.advance(kT0, rng);
  CHECK(pipe.deliverable(kT0 + milliseconds(99)).empty());
  CHECK(pipe.next_wakeup(kT0) == kT0 + milliseconds(100));
  CHECK(pipe.deliverable(kT0 + milliseconds(100)) == "hello");
}

TEST_CASE("jitter varies the delay within bounds but never reorders bytes") {
  // A 100-byte chunk every millisecond for 200 ms; each one's delay is 50 ± 40 ms.
  const auto run = [](std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    Pipe pipe(LinkSettings{.latency_ms = 50, .jitter_ms = 40}, kT0);
    std::vector<int> out_at_ms;  // when chunk i had fully come out
    std::string out;
    for (int t = 0; t < 400; ++t) {
      const TimePoint now = kT0 + milliseconds(t);
      if (t < 200) pipe.push(pattern(100, static_cast<std::size_t>(t) * 100));
      pipe.advance(now, rng);
      for (auto b = pipe.deliverable(now); !b.empty(); b = pipe.deliverable(now)) {
        out.append(b);
        pipe.consume(b.size());
      }
      while (out_at_ms.size() < out.size() / 100) out_at_ms.push_back(t);
    }
    CHECK(out == pattern(20'000));
    REQUIRE(out_at_ms.size() == 200);
    std::vector<int> delays;
    for (int i = 0; i < 200; ++i) {
      const int delay = out_at_ms[static_cast<std::size_t>(i)] - i;
      CHECK(delay >= 10);
      CHECK(delay <= 90);  // waiting behind an earlier chunk never exceeds its own bound
      delays.push_back(delay);
    }
    std::sort(delays.begin(), delays.end());
    // Order holds chunks back behind slower ones, which narrows the spread, but it is there.
    CHECK(delays.back() - delays.front() >= 10);
    return out_at_ms;
  };
  const auto a = run(7);
  CHECK(a == run(7));  // the seed replays the same delays
  CHECK(a != run(8));
}

TEST_CASE("a pipe is bounded and clear() reports what it dropped") {
  Pipe pipe(LinkSettings{.latency_ms = 1000}, kT0);
  pipe.push(std::string(kPipeBytesMax - 10, 'x'));
  CHECK(pipe.room_bytes() == 10);
  pipe.push(std::string(10, 'y'));
  CHECK(pipe.room_bytes() == 0);
  CHECK(pipe.clear() == kPipeBytesMax);
  CHECK(pipe.empty());
}

TEST_CASE("flags: endpoints, per-direction settings, reset range, seed") {
  const Settings s = parsed({"--latency-ms", "150", "--jitter-ms", "20", "--down-rate-bps", "64000",
                             "--reset-every", "20-40", "--seed", "42", "--control", "0"});
  CHECK(s.up.latency_ms == 150);
  CHECK(s.down.jitter_ms == 20);
  CHECK(s.up.rate_bps == 0);
  CHECK(s.down.rate_bps == 64'000);
  CHECK(s.reset_every_min_ms == 20'000);
  CHECK(s.reset_every_max_ms == 40'000);
  CHECK(s.seed == 42);
  REQUIRE(s.control.has_value());
  CHECK(s.control->to_string() == "127.0.0.1:0");
  CHECK(parsed({"--reset-every", "0.5"}).reset_every_max_ms == 500);
}

TEST_CASE("only loopback addresses, and errors name the flag and the range") {
  CHECK(args_error({"--listen", "0", "--target", "10.0.0.1:80"}).find("not a loopback") !=
        std::string::npos);
  CHECK(args_error({"--listen", "0.0.0.0:1", "--target", "9"}).find("--listen") !=
        std::string::npos);
  CHECK(args_error({"--listen", "0", "--target", "localhost:9"}).find("IPv4") != std::string::npos);
  CHECK(args_error({"--listen", "0", "--target", "127.0.0.1:0"}).find("needs a port") !=
        std::string::npos);
  CHECK(args_error({"--listen", "0", "--target", "9", "--latency-ms", "700000"}) ==
        "--latency-ms: 700000 is out of range (0..600000)");
  CHECK(
      args_error({"--listen", "0", "--target", "9", "--reset-every", "40-20"}).find("backwards") !=
      std::string::npos);
  CHECK(args_error({"--listen", "0"}).find("required") != std::string::npos);
  CHECK(parse_loopback_endpoint("127.1.2.3:80").is_ok());
}

TEST_CASE("set: both directions or one; a bad value changes nothing") {
  Settings s;
  REQUIRE(apply_setting(s, "latency_ms", "150").is_ok());
  REQUIRE(apply_setting(s, "up_rate_bps", "64000").is_ok());
  CHECK(s.up.latency_ms == 150);
  CHECK(s.down.latency_ms == 150);
  CHECK(s.up.rate_bps == 64'000);
  CHECK(s.down.rate_bps == 0);
  CHECK_FALSE(apply_setting(s, "latency_ms", "-1").is_ok());
  CHECK_FALSE(apply_setting(s, "rate_bps", "4").is_ok());
  CHECK_FALSE(apply_setting(s, "colour", "blue").is_ok());
  CHECK(s.up.latency_ms == 150);
  REQUIRE(apply_setting(s, "reset_every", "off").is_ok());
  CHECK(s.reset_every_max_ms == 0);
  CHECK(settings_json(s).find("\"up_rate_bps\":64000") != std::string::npos);
}

TEST_CASE("control commands parse into values; mistakes get a reason") {
  auto set = parse_command("set latency_ms 150\r");
  REQUIRE(set.is_ok());
  CHECK(set->kind == CommandKind::kSet);
  CHECK(set->key == "latency_ms");
  CHECK(set->value == "150");
  auto timed = parse_command("blackhole 120");
  REQUIRE(timed.is_ok());
  CHECK(timed->kind == CommandKind::kBlackhole);
  CHECK(timed->on);
  CHECK(timed->duration_ms == 120'000);
  auto off = parse_command("  partition   off ");
  REQUIRE(off.is_ok());
  CHECK(off->kind == CommandKind::kPartition);
  CHECK_FALSE(off->on);
  CHECK(parse_command("stats")->kind == CommandKind::kStats);
  CHECK(parse_command("quit")->kind == CommandKind::kQuit);
  CHECK_FALSE(parse_command("").is_ok());
  CHECK_FALSE(parse_command("set latency_ms").is_ok());
  CHECK_FALSE(parse_command("blackhole maybe").is_ok());
  CHECK_FALSE(parse_command("reset now").is_ok());
  CHECK(parse_command("explode").status().message().find("unknown command") != std::string::npos);
}

TEST_CASE("stats are one JSON line") {
  StatsView v{.counters = {.bytes_up = 5, .connections_reset = 2}, .blackhole = true};
  const std::string j = stats_json(v);
  CHECK(j.find("\"bytes_up\":5,") != std::string::npos);
  CHECK(j.find("\"connections_reset\":2,") != std::string::npos);
  CHECK(j.find("\"blackhole\":true") != std::string::npos);
  CHECK(j.find('\n') == std::string::npos);
}
