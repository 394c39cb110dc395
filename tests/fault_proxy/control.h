// The control channel's line protocol, parsed into values so the unit test covers it without
// sockets. One command per line, one reply line per command: "ok", "error: ...", or JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace casesync::fault_proxy {

// A control line longer than this is not a command; the client is told so and dropped.
inline constexpr std::size_t kControlLineBytesMax = 1024;

enum class CommandKind {
  kSet,        // set KEY VALUE
  kBlackhole,  // blackhole on|off|SECONDS
  kPartition,  // partition on|off|SECONDS
  kReset,      // reset every open connection now
  kStats,      // counters as one JSON line
  kSettings,   // current settings as one JSON line
  kHelp,
  kQuit,  // reply "ok", then the proxy exits
};

struct Command {
  CommandKind kind = CommandKind::kHelp;
  std::string key;               // kSet
  std::string value;             // kSet
  bool on = false;               // kBlackhole, kPartition
  std::int64_t duration_ms = 0;  // kBlackhole, kPartition when on: 0 until switched off
};

Result<Command> parse_command(std::string_view line);
std::string help_line();

struct Counters {
  std::uint64_t bytes_up = 0;    // written to the server
  std::uint64_t bytes_down = 0;  // written to the client
  // Read from a peer and never delivered: swallowed by a black hole, or lost in the proxy's
  // buffers when a connection was reset.
  std::uint64_t bytes_dropped = 0;
  std::uint64_t connections_accepted = 0;  // and forwarded to the target
  std::uint64_t connections_refused = 0;   // reset at once: partition, or too many open
  std::uint64_t connections_reset = 0;     // open ones reset: reset command, timer, partition
  std::uint64_t connect_failures = 0;      // the target refused; the client got a reset
};

struct StatsView {
  Counters counters;
  std::uint64_t connections_open = 0;
  std::uint64_t bytes_buffered = 0;
  bool blackhole = false;
  bool partition = false;
};
std::string stats_json(const StatsView& stats);

}  // namespace casesync::fault_proxy
