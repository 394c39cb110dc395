#include "tests/fault_proxy/control.h"

#include <vector>

#include "tests/fault_proxy/settings.h"

namespace casesync::fault_proxy {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

Status bad(const std::string& why) { return Status::error(Code::kInvalidArgument, why); }

// "on", "off" or a number of seconds (a timed switch).
Status parse_switch(std::string_view name, std::string_view arg, Command& c) {
  if (arg == "on" || arg == "off") {
    c.on = arg == "on";
    return Status::ok();
  }
  ASSIGN_OR_RETURN(c.duration_ms, parse_period_ms(name, arg));
  c.on = true;
  return Status::ok();
}

}  // namespace

Result<Command> parse_command(std::string_view line) {
  const auto words = split_words(line);
  if (words.empty()) return bad("empty command; " + help_line());
  const std::string_view verb = words[0];
  Command c;
  const auto want_args = [&](std::size_t n) -> Status {
    if (words.size() == n + 1) return Status::ok();
    return bad(std::string(verb) + " takes " + std::to_string(n) + " argument(s)");
  };
  if (verb == "set") {
    RETURN_IF_ERROR(want_args(2));
    c.kind = CommandKind::kSet;
    c.key = words[1];
    c.value = words[2];
  } else if (verb == "blackhole" || verb == "partition") {
    RETURN_IF_ERROR(want_args(1));
    c.kind = verb == "blackhole" ? CommandKind::kBlackhole : CommandKind::kPartition;
    RETURN_IF_ERROR(parse_switch(verb, words[1], c));
  } else if (verb == "reset" || verb == "stats" || verb == "settings" || verb == "help" ||
             verb == "quit") {
    RETURN_IF_ERROR(want_args(0));
    c.kind = verb == "reset"      ? CommandKind::kReset
             : verb == "stats"    ? CommandKind::kStats
             : verb == "settings" ? CommandKind::kSettings
             : verb == "help"     ? CommandKind::kHelp
                                  : CommandKind::kQuit;
  } else {
    return bad("unknown command '" + std::string(verb) + "'; " + help_line());
  }
  return c;
}

std::string help_line() {
  return "commands: set KEY VALUE (latency_ms jitter_ms rate_bps, up_/down_ forms, reset_every "
         "N-M|off), blackhole on|off|SECONDS, partition on|off|SECONDS, reset, stats, settings, "
         "help, quit";
}

std::string stats_json(const StatsView& s) {
  const auto field = [](const char* name, std::uint64_t v) {
    return std::string("\"") + name + "\":" + std::to_string(v) + ",";
  };
  const Counters& c = s.counters;
  return "{" + field("bytes_up", c.bytes_up) + field("bytes_down", c.bytes_down) +
         field("bytes_dropped", c.bytes_dropped) + field("bytes_buffered", s.bytes_buffered) +
         field("connections_accepted", c.connections_accepted) +
         field("connections_refused", c.connections_refused) +
         field("connections_reset", c.connections_reset) +
         field("connect_failures", c.connect_failures) +
         field("connections_open", s.connections_open) +
         "\"blackhole\":" + (s.blackhole ? "true" : "false") +
         ",\"partition\":" + (s.partition ? "true" : "false") + "}";
}

}  // namespace casesync::fault_proxy
